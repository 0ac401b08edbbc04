//! `run_coroutine_threadsafe` and `ConcurrentFuture` (asyncio's
//! `run_coroutine_threadsafe` returning a `concurrent.futures.Future`).
//!
//! The coroutine becomes a task created through the handle: from a foreign thread it
//! enters through the scheduler's injection queue and wakes one parked worker. The
//! `ConcurrentFuture` registers itself as the task's join waker; when the task completes,
//! that waker (running on the completing worker) moves the outcome into the future,
//! wakes blocked `result()` callers and runs the done callbacks, on that thread, as
//! `concurrent.futures` does.
//!
//! Cancelling the future ([`ConcurrentFuture::cancel`]) is `concurrent.futures`'
//! `cancel()`: the future itself is cancelled at once (`cancelled()`, `done()`, `result()`
//! and `exception()` say so right away, blocked `result()` callers wake, the done callbacks
//! run on the cancelling thread) and the task is asked to cancel (asyncio's
//! `_chain_future` forwards the cancel to the task). Cancel and completion race for the
//! future's lock, and exactly one of them wins:
//!
//! ```text
//! cancel():     lock; if Pending: outcome = Cancelled, drop the join handle; unlock;
//!               notify; task.cancel(); run callbacks; true
//!               else true if the outcome is a cancellation, false if a value/panic
//! completion:   lock; if the join handle is still there (not cancelled): outcome = Ready
//! ```
//!
//! So once `cancel()` returned `true` the future stays cancelled, even if the task then
//! catches its cancellation and returns a value (the value is dropped with the task, as
//! asyncio's `_set_concurrent_future_state` drops it when `set_running_or_notify_cancel()`
//! fails). A task that finished but whose completion has not reached the future yet
//! loses to `cancel()` as well (in asyncio, the task's done callback has not run yet).

use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::loom::{Condvar, Mutex};
use crate::runtime::Handle;
use crate::task::cancel::CancelledError;
use crate::task::error::{PanicError, TaskError, TimeoutError};
use crate::task::exception::Exception;
use crate::task::output::IntoOutcome;
use crate::task::{Task, TaskRef};

/// Submits `future` to `handle`'s runtime from any thread; returns a future to block on.
///
/// ```
/// use std::time::Duration;
/// let rt = asyncio::Runtime::new().unwrap();
/// let fut = asyncio::run_coroutine_threadsafe(
///     async {
///         asyncio::sleep(Duration::from_millis(1)).await.unwrap();
///         "done"
///     },
///     rt.handle(),
/// );
/// assert_eq!(fut.result(Some(Duration::from_secs(10))).unwrap(), "done");
/// ```
pub fn run_coroutine_threadsafe<F>(
    future: F,
    handle: &Handle,
) -> ConcurrentFuture<<F::Output as IntoOutcome>::Value>
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    let task = handle.create_task(future);
    ConcurrentFuture::new(task)
}

/// Why [`ConcurrentFuture::result`] gave no value.
#[derive(Debug, Clone)]
pub enum ConcurrentError {
    /// The timeout expired first; the task keeps running.
    Timeout(TimeoutError),
    /// The task was cancelled.
    Cancelled(CancelledError),
    /// The task panicked.
    Panicked(PanicError),
    /// The task raised (its `Err` output).
    Exception(Exception),
}

impl From<TaskError> for ConcurrentError {
    fn from(e: TaskError) -> Self {
        match e {
            TaskError::Cancelled(c) => ConcurrentError::Cancelled(c),
            TaskError::Panicked(p) => ConcurrentError::Panicked(p),
            TaskError::Exception(e) => ConcurrentError::Exception(e),
        }
    }
}

impl fmt::Display for ConcurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConcurrentError::Timeout(t) => fmt::Display::fmt(t, f),
            ConcurrentError::Cancelled(c) => fmt::Display::fmt(c, f),
            ConcurrentError::Panicked(p) => fmt::Display::fmt(p, f),
            ConcurrentError::Exception(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for ConcurrentError {}

type CfCallback<T> = Box<dyn FnOnce(&ConcurrentFuture<T>) + Send + 'static>;

struct Inner<T> {
    task: TaskRef,
    state: Mutex<CfState<T>>,
    done: Condvar,
}

struct CfState<T> {
    join: Option<Task<T>>,
    outcome: Outcome<T>,
    callbacks: Vec<CfCallback<T>>,
}

enum Outcome<T> {
    Pending,
    Ready(Result<T, TaskError>),
    /// [`ConcurrentFuture::cancel`] won the race with the task's completion
    /// (`concurrent.futures`' `CANCELLED`): the task's outcome is never collected.
    Cancelled(CancelledError),
    /// Moved out by [`ConcurrentFuture::wait`].
    Taken,
}

/// A thread-blocking handle on a task's outcome (`concurrent.futures.Future`).
///
/// `Send + Sync`: any thread can block on it, query it or cancel it.
pub struct ConcurrentFuture<T> {
    inner: StdArc<Inner<T>>,
}

impl<T: Send + 'static> ConcurrentFuture<T> {
    fn new(task: Task<T>) -> ConcurrentFuture<T> {
        let inner = StdArc::new(Inner {
            task: task.task_ref(),
            state: Mutex::new(CfState {
                join: Some(task),
                outcome: Outcome::Pending,
                callbacks: Vec::new(),
            }),
            done: Condvar::new(),
        });
        // Register as the join waker (or collect the outcome right away).
        let waker = Waker::from(StdArc::new(CompletionWaker {
            inner: StdArc::downgrade(&inner),
        }));
        Inner::collect(&inner, &waker);
        ConcurrentFuture { inner }
    }

    /// `true` once the task's outcome reached this future, or it was cancelled.
    pub fn done(&self) -> bool {
        !matches!(self.inner.state.lock().outcome, Outcome::Pending)
    }

    /// `true` if this future was cancelled ([`cancel`](Self::cancel)), or the task ended
    /// cancelled (`concurrent.futures`: the future then is cancelled too).
    pub fn cancelled(&self) -> bool {
        matches!(
            self.inner.state.lock().outcome,
            Outcome::Cancelled(_) | Outcome::Ready(Err(TaskError::Cancelled(_)))
        )
    }

    /// Cancels this future at once and asks the task to cancel (`concurrent.futures`'
    /// `cancel()`, then asyncio's `task.cancel()` with no message).
    ///
    /// Returns `true` if the future is cancelled: it was pending (blocked
    /// [`result`](Self::result) callers wake with the cancellation, the done callbacks
    /// run here, before this returns), or it was already cancelled. Returns `false` if
    /// the task's value (or panic) reached the future first. Once this returned `true`
    /// the future stays cancelled, whatever the task does with its cancellation.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = asyncio::Runtime::new().unwrap();
    /// let fut = asyncio::run_coroutine_threadsafe(
    ///     async {
    ///         // Catches the cancellation and returns a value anyway.
    ///         let _ = asyncio::sleep(Duration::from_secs(3600)).await;
    ///         42
    ///     },
    ///     rt.handle(),
    /// );
    /// assert!(fut.cancel());
    /// assert!(fut.cancelled() && fut.done());
    /// assert!(matches!(fut.result(None), Err(asyncio::ConcurrentError::Cancelled(_))));
    /// ```
    pub fn cancel(&self) -> bool {
        let mut state = self.inner.state.lock();
        match &state.outcome {
            Outcome::Pending => {}
            Outcome::Cancelled(_) | Outcome::Ready(Err(TaskError::Cancelled(_))) => return true,
            Outcome::Ready(_) | Outcome::Taken => return false,
        }
        state.outcome = Outcome::Cancelled(CancelledError::new(None));
        // Completion finds no join handle and leaves the outcome alone.
        let join = state.join.take();
        let callbacks = std::mem::take(&mut state.callbacks);
        drop(state);
        self.inner.done.notify_all();
        // asyncio: `_chain_future`'s done callback (the first one) cancels the task, then
        // the user's callbacks run.
        self.inner.task.cancel(None);
        drop(join);
        Inner::run_callbacks(&self.inner, callbacks);
        true
    }

    /// The underlying task.
    pub fn task(&self) -> &TaskRef {
        &self.inner.task
    }

    /// Blocks until the task finishes or `timeout` passes; returns a clone of the value.
    ///
    /// A timeout leaves the task running.
    pub fn result(&self, timeout: Option<Duration>) -> Result<T, ConcurrentError>
    where
        T: Clone,
    {
        let state = self.wait_done(timeout)?;
        match &state.outcome {
            Outcome::Ready(Ok(v)) => Ok(v.clone()),
            Outcome::Ready(Err(e)) => Err(e.clone().into()),
            Outcome::Cancelled(c) => Err(ConcurrentError::Cancelled(c.clone())),
            Outcome::Taken => Err(ConcurrentError::Cancelled(CancelledError::new(Some(
                "the result was taken by ConcurrentFuture::wait",
            )))),
            Outcome::Pending => unreachable!("wait_done returns when done"),
        }
    }

    /// Blocks until the task finishes or `timeout` passes; returns its exception
    /// (`None` if it returned a value; the cancellation if the future was cancelled).
    pub fn exception(&self, timeout: Option<Duration>) -> Result<Option<TaskError>, TimeoutError> {
        match self.wait_done(timeout) {
            Ok(state) => Ok(match &state.outcome {
                Outcome::Ready(Err(e)) => Some(e.clone()),
                Outcome::Cancelled(c) => Some(TaskError::Cancelled(c.clone())),
                _ => None,
            }),
            Err(ConcurrentError::Timeout(t)) => Err(t),
            Err(_) => unreachable!("wait_done only times out"),
        }
    }

    /// Blocks until the task finishes and returns its outcome, moving the value out.
    pub fn wait(self) -> Result<T, TaskError> {
        let mut state = self
            .wait_done(None)
            .unwrap_or_else(|_| unreachable!("no timeout"));
        match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Ready(r) => r,
            Outcome::Cancelled(c) => Err(TaskError::Cancelled(c)),
            _ => Err(TaskError::Cancelled(CancelledError::new(Some(
                "the result was already taken",
            )))),
        }
    }

    /// Adds a callback called with this future once the task is done: on the thread that
    /// completes it, or right away on this thread if it is already done.
    pub fn add_done_callback<F>(&self, f: F)
    where
        F: FnOnce(&ConcurrentFuture<T>) + Send + 'static,
    {
        let mut state = self.inner.state.lock();
        if matches!(state.outcome, Outcome::Pending) {
            state.callbacks.push(Box::new(f));
        } else {
            drop(state);
            f(self);
        }
    }

    fn wait_done(
        &self,
        timeout: Option<Duration>,
    ) -> Result<crate::loom::MutexGuard<'_, CfState<T>>, ConcurrentError> {
        let deadline = timeout.map(|t| Instant::now().checked_add(t));
        let mut state = self.inner.state.lock();
        while matches!(state.outcome, Outcome::Pending) {
            match deadline {
                None | Some(None) => state = self.inner.done.wait(state),
                Some(Some(d)) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(ConcurrentError::Timeout(TimeoutError::new()));
                    }
                    state = self.inner.done.wait_timeout(state, d - now);
                }
            }
        }
        Ok(state)
    }
}

impl<T: Send + 'static> Inner<T> {
    /// Polls the task's join handle (registering `waker`); on completion stores the
    /// outcome, wakes the blocked threads and runs the callbacks.
    fn collect(this: &StdArc<Inner<T>>, waker: &Waker) {
        let mut state = this.state.lock();
        let Some(join) = state.join.as_mut() else {
            return;
        };
        // Not an await point of whatever task runs on this thread: a plain join poll.
        let polled = join.poll_join(&mut Context::from_waker(waker));
        let Poll::Ready(out) = polled else {
            return;
        };
        let join = state.join.take();
        state.outcome = Outcome::Ready(out);
        let callbacks = std::mem::take(&mut state.callbacks);
        drop(state);
        drop(join);
        this.done.notify_all();
        Inner::run_callbacks(this, callbacks);
    }

    /// Runs the done callbacks, in registration order, on this thread.
    fn run_callbacks(this: &StdArc<Inner<T>>, callbacks: Vec<CfCallback<T>>) {
        if !callbacks.is_empty() {
            let fut = ConcurrentFuture {
                inner: this.clone(),
            };
            for cb in callbacks {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(&fut)));
            }
        }
    }
}

/// The join waker: holds the future weakly, so a dropped `ConcurrentFuture` does not keep
/// its outcome alive through the task.
struct CompletionWaker<T> {
    inner: crate::loom::StdWeak<Inner<T>>,
}

impl<T: Send + 'static> Wake for CompletionWaker<T> {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        if let Some(inner) = self.inner.upgrade() {
            let waker = Waker::from(self.clone());
            Inner::collect(&inner, &waker);
        }
    }
}

impl<T> fmt::Debug for ConcurrentFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrentFuture")
            .field("task", &self.inner.task)
            .finish()
    }
}
