//! `TimeoutScope<F>` polls its body pinned in place (an unsafe projection), so it must be
//! `Unpin` only if the body is: `Pin::new` on a scope around an `async` block (never
//! `Unpin`) must be rejected, or the body could be moved after being polled.

use std::pin::Pin;
use std::time::Duration;

fn main() {
    let mut scope = asyncio::wait_for(async { asyncio::sleep(Duration::ZERO).await }, None);
    let _ = Pin::new(&mut scope);
}
