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
pub(crate) mod awaitable;
pub(crate) mod gather;
pub(crate) mod shield;
pub(crate) mod taskgroup;
#[cfg(all(test, loom))]
mod tests;
pub(crate) mod timeouts;
pub(crate) mod wait;
pub(crate) mod watch;

use std::time::Duration;

use crate::compose::awaitable::Awaitable;
use crate::runtime::time::sleep::sleep;
use crate::task::cancel::CancelledError;

/// asyncio's `ensure_future`: a task or an `asyncio::Future` as it is (same identity), a
/// plain future (a coroutine) wrapped into a new task on the running runtime.
///
/// # Panics
/// Outside a runtime, for a plain future.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::ensure_future(async { 3 });
///     let same = asyncio::ensure_future(t.clone());
///     assert_eq!(same, t);
///     assert_eq!(t.await.unwrap(), 3);
///
///     let fut = asyncio::Future::<u8>::new();
///     let also = asyncio::ensure_future(fut.clone());
///     also.set_result(1).unwrap();
///     assert_eq!(fut.await.unwrap(), 1);
/// });
/// ```
pub fn ensure_future<A: Awaitable>(awaitable: A) -> A::Ensured {
    awaitable.ensure_future()
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
