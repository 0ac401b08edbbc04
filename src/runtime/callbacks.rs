//! `call_soon`, `call_later`, `call_at`: callbacks on the runtime (asyncio's `Handle`
//! and `TimerHandle`).
//!
//! A callback is a cell like a task's (so it shares the queues, the wake protocol and
//! the shutdown sweep) whose future calls the closure once. It is never registered, runs
//! with no current task, and a panic in it goes to the exception handler ("Exception in
//! callback"), as in asyncio. `call_later` registers the cell's waker as a timer; firing
//! wakes the cell, which queues it like any woken task, in firing order.
//!
//! A callback runs in a copy of the context current where it was registered
//! (`contextvars`), as asyncio's `call_soon(cb, context=None)`; the runtime's own
//! callbacks (`Shared::call_soon`) run in an empty context.
//!
//! Cancelling drops the closure at once (if it has not started), and for a timer also
//! removes the timer entry.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::contextvars::current::{self as contextvars, InContext, TaskContext};
use crate::loom::sync::Arc;
use crate::runtime::scheduler::{ScheduleKind, Shared};
use crate::runtime::time::{clock, AfterRegister, TimerKey};
use crate::task::core::{AsyncioFields, Kind};
use crate::task::notified::Notified;
use crate::task::raw::RawTask;
use crate::task::state::{Initial, Outcome};
use crate::task::waker::waker_from_ref;

/// The future of a callback cell: calls the closure once.
struct CallbackFuture<F>(Option<F>);

impl<F> Unpin for CallbackFuture<F> {}

impl<F: FnOnce()> Future for CallbackFuture<F> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if let Some(f) = self.0.take() {
            f();
        }
        Poll::Ready(())
    }
}

/// When a new callback runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallbackStart {
    /// Queued now (`call_soon`).
    Soon,
    /// Queued when its timer fires (`call_later`): the caller registers the timer with
    /// the waker returned by `new_callback`.
    OnTimer,
}

/// Creates a callback cell running in a copy of the current context; for
/// [`CallbackStart::Soon`] it is queued at once.
pub(crate) fn new_callback<F>(
    shared: &Arc<Shared>,
    f: F,
    start: CallbackStart,
) -> (CallbackHandle, Option<std::task::Waker>)
where
    F: FnOnce() + Send + 'static,
{
    new_callback_in(shared, f, start, contextvars::capture())
}

/// [`new_callback`] running in `context`.
pub(crate) fn new_callback_in<F>(
    shared: &Arc<Shared>,
    f: F,
    start: CallbackStart,
    context: TaskContext,
) -> (CallbackHandle, Option<std::task::Waker>)
where
    F: FnOnce() + Send + 'static,
{
    let raw = RawTask::new(
        InContext::new(context, CallbackFuture(Some(f))),
        shared.clone(),
        0,
        Kind::Callback,
        Initial {
            refs: 2,
            notified: start == CallbackStart::Soon,
            join_interest: false,
            running: false,
            registered: false,
        },
        AsyncioFields::default(),
    );
    let handle = CallbackHandle { raw };
    let waker = match start {
        CallbackStart::Soon => {
            // SAFETY: one of the two initial refs is the Notified's.
            let notified = unsafe { Notified::from_raw(raw) };
            shared.schedule(notified, ScheduleKind::Callback);
            None
        }
        CallbackStart::OnTimer => Some(waker_from_ref(raw)),
    };
    (handle, waker)
}

/// Schedules `f` to run `when` (rounded up to the millisecond).
pub(crate) fn call_at_on<F>(shared: &Arc<Shared>, when: Instant, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    let (callback, waker) = new_callback(shared, f, CallbackStart::OnTimer);
    let waker = waker.expect("OnTimer callbacks come with a waker");
    let deadline = clock::tick_ceil(when);
    let key = match shared.timers.register(deadline, waker) {
        Ok((key, after)) => {
            if let AfterRegister::UnparkDriver(worker) = after {
                shared.unpark_worker(worker);
            }
            Some(key)
        }
        Err(_closed) => {
            // The runtime is shut down: the callback will never run.
            callback.cancel();
            None
        }
    };
    TimerHandle {
        callback,
        key,
        shared: shared.clone(),
        when,
    }
}

/// A scheduled callback (asyncio's `Handle`), returned by `call_soon`.
///
/// Dropping it does not cancel the callback.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// asyncio::run(async {
///     let ran = Arc::new(AtomicBool::new(false));
///     let r = ran.clone();
///     let h = asyncio::call_soon(move || r.store(true, Ordering::SeqCst));
///     h.cancel();
///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
///     assert!(h.cancelled());
///     assert!(!ran.load(Ordering::SeqCst));
/// });
/// ```
pub struct CallbackHandle {
    raw: RawTask,
}

impl CallbackHandle {
    /// Cancels the callback: if it has not started, it never runs and its closure is
    /// dropped now.
    pub fn cancel(&self) {
        // Take a ref for `shutdown` to consume.
        self.raw.state().ref_inc();
        self.raw.shutdown();
    }

    /// `true` if the callback was cancelled before it ran.
    pub fn cancelled(&self) -> bool {
        self.raw.state().load().outcome() == Some(Outcome::Cancelled)
    }

    /// `true` once the callback ran (or was cancelled).
    pub fn done(&self) -> bool {
        self.raw.state().load().is_complete()
    }
}

impl Drop for CallbackHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("cancelled", &self.cancelled())
            .field("done", &self.done())
            .finish()
    }
}

/// A callback scheduled for later (asyncio's `TimerHandle`), returned by `call_later`
/// and `call_at`.
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let h = asyncio::call_later(Duration::from_secs(3600), || unreachable!());
///     assert!(h.when() > asyncio::time());
///     h.cancel(); // removes the timer and drops the closure now
///     assert!(h.cancelled());
/// });
/// ```
pub struct TimerHandle {
    callback: CallbackHandle,
    key: Option<TimerKey>,
    shared: Arc<Shared>,
    when: Instant,
}

impl TimerHandle {
    /// Cancels the callback and frees its timer.
    pub fn cancel(&self) {
        if let Some(key) = self.key {
            self.shared.timers.cancel(key);
        }
        self.callback.cancel();
    }

    /// `true` if cancelled before it ran.
    pub fn cancelled(&self) -> bool {
        self.callback.cancelled()
    }

    /// `true` once it ran (or was cancelled).
    pub fn done(&self) -> bool {
        self.callback.done()
    }

    /// When it is scheduled, on the scale of [`time()`](crate::time) (seconds).
    pub fn when(&self) -> f64 {
        clock::seconds_of_instant(self.when)
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when())
            .field("cancelled", &self.cancelled())
            .finish()
    }
}
