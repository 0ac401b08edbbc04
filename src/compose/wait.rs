//! `wait`: wait for tasks until a condition, returning `(done, pending)` (asyncio's
//! `asyncio.wait`).
//!
//! Nothing is cancelled: not on timeout, not when the awaiting task is cancelled (which
//! is delivered to it as `Err(WaitError::Cancelled)`). `FIRST_EXCEPTION` returns when a
//! task ends with a panic (a cancelled task does not count, as in asyncio) or when all
//! are done. The completion hooks are removed when the wait returns, so an early return
//! leaves nothing registered on the tasks. Empty input is an error (asyncio's
//! `ValueError`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::compose::awaitable::WaitItem;
use crate::compose::watch::WatchSet;
use crate::runtime::time::sleep::Timer;
use crate::task::cancel::{deliver_pending_cancel, CancelledError};
use crate::task::TaskRef;

/// When [`wait`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// When any task finishes or is cancelled.
    FirstCompleted,
    /// When any task ends with an exception (a panic), or all are done.
    FirstException,
    /// When all are done.
    AllCompleted,
}

/// asyncio's `FIRST_COMPLETED`.
pub const FIRST_COMPLETED: ReturnWhen = ReturnWhen::FirstCompleted;
/// asyncio's `FIRST_EXCEPTION`.
pub const FIRST_EXCEPTION: ReturnWhen = ReturnWhen::FirstException;
/// asyncio's `ALL_COMPLETED`.
pub const ALL_COMPLETED: ReturnWhen = ReturnWhen::AllCompleted;

/// Why [`wait`] returned no sets.
#[derive(Debug, Clone)]
pub enum WaitError {
    /// No tasks were given (asyncio: `ValueError: Set of Tasks/Futures is empty.`).
    EmptyInput,
    /// The awaiting task was cancelled.
    Cancelled(CancelledError),
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::EmptyInput => f.write_str("Set of Tasks/Futures is empty."),
            WaitError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl std::error::Error for WaitError {}

impl From<CancelledError> for WaitError {
    fn from(c: CancelledError) -> Self {
        WaitError::Cancelled(c)
    }
}

/// Waits for `items` (tasks, `TaskRef`s, `asyncio::Future`s, or plain futures wrapped
/// into tasks: see [`WaitItem`]) until `return_when` holds or `timeout` passes; returns
/// `(done, pending)`, each in argument order, with the items themselves (the new task for
/// a plain future).
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let fast = asyncio::create_task(async { 1 });
///     let slow = asyncio::create_task(asyncio::sleep(Duration::from_secs(60)));
///     let (done, pending) =
///         asyncio::wait(vec![fast.task_ref(), slow.task_ref()], None, asyncio::FIRST_COMPLETED)
///             .await
///             .unwrap();
///     assert_eq!((done.len(), pending.len()), (1, 1));
///     slow.cancel(None);
/// });
/// ```
pub fn wait<A, I>(items: I, timeout: Option<Duration>, return_when: ReturnWhen) -> Wait<A::Out>
where
    A: WaitItem,
    I: IntoIterator<Item = A>,
{
    let items: Vec<(TaskRef, A::Out)> = items.into_iter().map(A::into_wait_item).collect();
    let refs = items.iter().map(|(r, _)| r.clone()).collect();
    Wait {
        watch: WatchSet::new(refs),
        items: Some(items),
        timer: timeout.map(Timer::after),
        return_when,
    }
}

/// Future returned by [`wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<W> {
    items: Option<Vec<(TaskRef, W)>>,
    watch: WatchSet,
    timer: Option<Timer>,
    return_when: ReturnWhen,
}

impl<W> Unpin for Wait<W> {}

impl<W> Wait<W> {
    fn satisfied(&self, just_done: &[usize]) -> bool {
        match self.return_when {
            ReturnWhen::FirstCompleted => !just_done.is_empty(),
            ReturnWhen::FirstException => just_done.iter().any(|&i| self.watch.tasks()[i].failed()),
            ReturnWhen::AllCompleted => false,
        }
    }

    fn split(&mut self) -> (Vec<W>, Vec<W>) {
        let items = self.items.take().expect("polled after completion");
        let (done, pending): (Vec<_>, Vec<_>) = items.into_iter().partition(|(r, _)| r.done());
        (
            done.into_iter().map(|(_, w)| w).collect(),
            pending.into_iter().map(|(_, w)| w).collect(),
        )
    }
}

impl<W> Future for Wait<W> {
    type Output = Result<(Vec<W>, Vec<W>), WaitError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.items.as_ref().is_some_and(|i| i.is_empty()) {
            self.items = None;
            return Poll::Ready(Err(WaitError::EmptyInput));
        }
        if let Some(err) = deliver_pending_cancel() {
            return Poll::Ready(Err(WaitError::Cancelled(err)));
        }
        while self.watch.remaining() > 0 {
            match self.watch.poll_ready(cx) {
                Poll::Ready(done) => {
                    if self.satisfied(&done) {
                        return Poll::Ready(Ok(self.split()));
                    }
                }
                Poll::Pending => {
                    if let Some(timer) = self.timer.as_mut() {
                        if timer.poll_elapsed(cx).is_ready() {
                            return Poll::Ready(Ok(self.split()));
                        }
                    }
                    return Poll::Pending;
                }
            }
        }
        Poll::Ready(Ok(self.split()))
    }
}

impl<W> fmt::Debug for Wait<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("return_when", &self.return_when)
            .field("remaining", &self.watch.remaining())
            .finish()
    }
}
