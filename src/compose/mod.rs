//! asyncio's composition functions: `gather`, `shield`, `wait`, `as_completed`,
//! `ensure_future`, `sleep_with`, the scopes `timeout`/`timeout_at`/`wait_for`
//! (`timeouts.rs`) and `TaskGroup` (`taskgroup.rs`).
//!
//! This layer sits on the task and runtime layers (it awaits tasks, registers waiters,
//! uses timers) and below the entry points (`runner.rs`, `threadsafe.rs`).
//!
//! All of them are runtime-aware await points (docs/design.md §4.2): a cancellation pending for
//! the awaiting task is delivered as a value when they are polled, and they leave no
//! completion hook or timer behind when they return early or are dropped.

pub(crate) mod as_completed;
pub(crate) mod gather;
pub(crate) mod shield;
pub(crate) mod taskgroup;
#[cfg(all(test, loom))]
mod tests;
pub(crate) mod timeouts;
pub(crate) mod wait;
pub(crate) mod watch;

use std::future::Future;
use std::time::Duration;

use crate::runtime::time::sleep::sleep;
use crate::runtime::Handle;
use crate::task::cancel::CancelledError;
use crate::task::output::IntoOutcome;
use crate::task::Task;

/// Wraps a future into a task on the running runtime (asyncio's `ensure_future` for a
/// coroutine; a `Task` is already one).
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::ensure_future(async { 3 });
///     assert_eq!(t.await.unwrap(), 3);
/// });
/// ```
pub fn ensure_future<F>(fut: F) -> Task<<F::Output as IntoOutcome>::Value>
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    Handle::current_or_panic("asyncio::ensure_future").create_task(fut)
}

/// Sleeps, then returns `value` (asyncio's `sleep(delay, result)`).
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let v = asyncio::sleep_with(Duration::from_millis(1), "ready").await.unwrap();
///     assert_eq!(v, "ready");
/// });
/// ```
pub async fn sleep_with<T>(duration: Duration, value: T) -> Result<T, CancelledError> {
    sleep(duration).await?;
    Ok(value)
}
