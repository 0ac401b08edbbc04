//! `as_completed`: tasks' outcomes in completion order (asyncio's `asyncio.as_completed`).
//!
//! Two forms over the same iterator:
//! * [`AsCompleted::next`] (and the `futures_core::Stream` impl) yields each task's
//!   outcome in completion order — the classic `for f in as_completed(fs): await f`.
//! * [`AsCompleted::next_task`] yields the original `Task` objects, done, in completion
//!   order — Python 3.13's `async for task in as_completed(tasks)`.
//!
//! With a timeout, once it passes each further call yields `TimeoutError`, one per task
//! not yielded yet, then `None` (asyncio raises it from each remaining awaitable); the
//! tasks themselves are not cancelled.
//! A pending cancellation of the awaiting task is delivered at each call. Dropping the
//! iterator removes its completion hooks and timer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::compose::awaitable::Awaitable;
use crate::compose::watch::WatchSet;
use crate::runtime::time::sleep::Timer;
use crate::task::cancel::{deliver_pending_cancel, CancelledError};
use crate::task::current;
use crate::task::error::TaskError;
use crate::task::error::TimeoutError;
use crate::task::{Task, TaskRef};

/// Why [`AsCompleted`] yielded no outcome.
#[derive(Debug, Clone)]
pub enum AsCompletedError {
    /// The timeout passed.
    Timeout(TimeoutError),
    /// The awaiting task was cancelled, or (for [`AsCompleted::next`]) the task yielded
    /// failed.
    Task(TaskError),
}

impl fmt::Display for AsCompletedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsCompletedError::Timeout(t) => fmt::Display::fmt(t, f),
            AsCompletedError::Task(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for AsCompletedError {}

impl From<CancelledError> for AsCompletedError {
    fn from(c: CancelledError) -> Self {
        AsCompletedError::Task(TaskError::Cancelled(c))
    }
}

/// Iterates over `awaitables` in completion order, optionally within `timeout` (tasks and
/// `asyncio::Future`s as they are, plain futures wrapped into tasks; 3.13 yields the
/// original tasks through [`AsCompleted::next_task`]).
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let slow = asyncio::create_task(async {
///         asyncio::sleep(Duration::from_millis(30)).await.unwrap();
///         "slow"
///     });
///     let fast = asyncio::create_task(async { "fast" });
///     let mut it = asyncio::as_completed(vec![slow, fast], None);
///     assert_eq!(it.next().await.unwrap().unwrap(), "fast");
///     assert_eq!(it.next().await.unwrap().unwrap(), "slow");
///     assert!(it.next().await.is_none());
/// });
/// ```
pub fn as_completed<A, I>(awaitables: I, timeout: Option<Duration>) -> AsCompleted<A::Value>
where
    A: Awaitable,
    I: IntoIterator<Item = A>,
{
    let tasks: Vec<Option<Task<A::Value>>> = awaitables
        .into_iter()
        .map(|a| Some(a.into_task()))
        .collect();
    let refs = tasks
        .iter()
        .map(|t| t.as_ref().expect("just built").task_ref())
        .collect();
    AsCompleted {
        tasks,
        watch: WatchSet::new(refs),
        ready: Vec::new(),
        timer: timeout.map(Timer::after),
        timed_out: false,
    }
}

/// The iterator returned by [`as_completed`].
#[must_use = "iterators do nothing unless polled"]
pub struct AsCompleted<T> {
    tasks: Vec<Option<Task<T>>>,
    watch: WatchSet,
    /// Completed, not yet yielded (completion order, reversed for `pop`).
    ready: Vec<usize>,
    timer: Option<Timer>,
    timed_out: bool,
}

impl<T> Unpin for AsCompleted<T> {}

impl<T> AsCompleted<T> {
    /// The next task to complete, or `None` when all were yielded; the 3.13 form
    /// yielding the original task (done).
    pub fn next_task(&mut self) -> NextTask<'_, T> {
        NextTask { it: self }
    }

    /// The outcome of the next task to complete, or `None` when all were yielded.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Next<'_, T> {
        Next { it: self }
    }

    /// Tasks not yielded yet.
    pub fn remaining(&self) -> usize {
        self.tasks.iter().filter(|t| t.is_some()).count()
    }

    fn poll_next_task(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Task<T>, AsCompletedError>>> {
        if self.remaining() == 0 {
            return Poll::Ready(None);
        }
        if let Some(err) = deliver_pending_cancel() {
            return Poll::Ready(Some(Err(err.into())));
        }
        if self.timed_out {
            return Poll::Ready(Some(self.yield_timeout()));
        }
        if self.ready.is_empty() {
            if let Poll::Ready(mut done) = self.watch.poll_ready(cx) {
                done.reverse();
                self.ready = done;
            }
        }
        if let Some(i) = self.ready.pop() {
            let task = self.tasks[i].take().expect("yielded once");
            if self.remaining() == 0 {
                // Exhausted: release the timer now, not when the iterator is dropped.
                self.timer = None;
            }
            return Poll::Ready(Some(Ok(task)));
        }
        if let Some(timer) = self.timer.as_mut() {
            if timer.poll_elapsed(cx).is_ready() {
                self.timed_out = true;
                self.timer = None;
                return Poll::Ready(Some(self.yield_timeout()));
            }
        }
        Poll::Pending
    }

    /// After the timeout, each call stands for one remaining task (asyncio raises
    /// `TimeoutError` from each remaining awaitable), so iteration still ends.
    fn yield_timeout(&mut self) -> Result<Task<T>, AsCompletedError> {
        if let Some(slot) = self.tasks.iter_mut().find(|t| t.is_some()) {
            // Detached: the task keeps running.
            drop(slot.take());
        }
        Err(AsCompletedError::Timeout(TimeoutError::new()))
    }

    fn poll_next_outcome(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<T, AsCompletedError>>> {
        match self.poll_next_task(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Some(Ok(mut task))) => {
                let out = match task.poll_join(&mut Context::from_waker(std::task::Waker::noop())) {
                    Poll::Ready(r) => r,
                    Poll::Pending => unreachable!("yielded tasks are done"),
                };
                Poll::Ready(Some(out.map_err(|e| AsCompletedError::Task(track(e)))))
            }
        }
    }
}

/// A child's cancellation reaches the awaiter tracked, as when awaiting the task.
fn track(e: TaskError) -> TaskError {
    match (e, current::current_raw()) {
        (TaskError::Cancelled(c), Some(me)) => TaskError::Cancelled(CancelledError::tracked(
            c.shared_message(),
            TaskRef::clone_from_raw(me),
        )),
        (e, _) => e,
    }
}

/// Future returned by [`AsCompleted::next`].
#[must_use = "futures do nothing unless awaited"]
pub struct Next<'a, T> {
    it: &'a mut AsCompleted<T>,
}

impl<T> Future for Next<'_, T> {
    type Output = Option<Result<T, AsCompletedError>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.it.poll_next_outcome(cx)
    }
}

/// Future returned by [`AsCompleted::next_task`].
#[must_use = "futures do nothing unless awaited"]
pub struct NextTask<'a, T> {
    it: &'a mut AsCompleted<T>,
}

impl<T> Future for NextTask<'_, T> {
    type Output = Option<Result<Task<T>, AsCompletedError>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.it.poll_next_task(cx)
    }
}

impl<T> futures_core::Stream for AsCompleted<T> {
    type Item = Result<T, AsCompletedError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_outcome(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining();
        (0, Some(n))
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining())
            .field("timed_out", &self.timed_out)
            .finish()
    }
}
