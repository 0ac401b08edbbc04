//! `CancelledError`: asyncio's cancellation, delivered as a value.
//!
//! Rust cannot throw into a future, so a cancellation request (`task.cancel(msg)`) is
//! delivered at the task's next runtime-aware await point as
//! `Err(CancelledError { msg })` (see `task/extra.rs` for the request side).
//!
//! A `CancelledError` handed to a task *about its own cancellation* is **tracked**: it
//! counts as a live token of that task until dropped. When the task's future completes,
//! a live token means the cancellation was propagated (kept in the output, typically with
//! `?`), and the task ends cancelled with the token's message. A token that was dropped
//! means the cancellation was caught: the task ends normally (asyncio's swallowed
//! cancellation). Cloning a tracked error makes another tracked token; errors collected
//! as values (`gather(..).return_exceptions()`, the done set of `wait`) are untracked.

use crate::loom::StdArc as Arc;
use std::fmt;

use crate::loom::sync::atomic::Ordering;
use crate::task::current;
use crate::task::TaskRef;

/// The operation or task was cancelled (asyncio's `asyncio.CancelledError`).
///
/// Carries the optional message given to [`TaskRef::cancel`].
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let t = asyncio::create_task(async {
///         asyncio::sleep(Duration::from_secs(60)).await?;
///         Ok::<_, asyncio::CancelledError>(())
///     });
///     asyncio::sleep(Duration::ZERO).await.unwrap();
///     t.cancel(Some("stop"));
///     let err = t.await.unwrap_err();
///     assert_eq!(err.as_cancelled().unwrap().message(), Some("stop"));
/// });
/// ```
pub struct CancelledError {
    msg: Option<Arc<str>>,
    tracker: Option<TaskRef>,
}

impl CancelledError {
    /// An untracked cancellation with an optional message.
    pub fn new(msg: Option<&str>) -> CancelledError {
        CancelledError {
            msg: msg.map(Arc::from),
            tracker: None,
        }
    }

    pub(crate) fn from_shared(msg: Option<Arc<str>>) -> CancelledError {
        CancelledError { msg, tracker: None }
    }

    /// A token tracked by `task`: counts as a live token of it until dropped.
    pub(crate) fn tracked(msg: Option<Arc<str>>, task: TaskRef) -> CancelledError {
        // The message the task ends with if this token is still alive at completion.
        task.header().extra.lock().cancel_msg = msg.clone();
        task.header().live_tokens.fetch_add(1, Ordering::AcqRel);
        CancelledError {
            msg,
            tracker: Some(task),
        }
    }

    /// The message given to `cancel`, if any.
    pub fn message(&self) -> Option<&str> {
        self.msg.as_deref()
    }

    pub(crate) fn shared_message(&self) -> Option<Arc<str>> {
        self.msg.clone()
    }

    /// The same cancellation as an untracked value: returning it does not cancel the
    /// task that holds it.
    pub fn untracked(&self) -> CancelledError {
        CancelledError::from_shared(self.msg.clone())
    }

    /// `true` if this value decides whether the task it was delivered to ends cancelled.
    pub fn is_tracked(&self) -> bool {
        self.tracker.is_some()
    }
}

impl Clone for CancelledError {
    fn clone(&self) -> Self {
        match &self.tracker {
            Some(task) => CancelledError::tracked(self.msg.clone(), task.clone()),
            None => CancelledError::from_shared(self.msg.clone()),
        }
    }
}

impl Drop for CancelledError {
    fn drop(&mut self) {
        if let Some(task) = self.tracker.take() {
            let prev = task.header().live_tokens.fetch_sub(1, Ordering::AcqRel);
            debug_assert!(prev > 0);
        }
    }
}

impl PartialEq for CancelledError {
    /// Equal when the messages are equal (tracking is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.msg == other.msg
    }
}

impl Eq for CancelledError {}

impl Default for CancelledError {
    fn default() -> Self {
        CancelledError::new(None)
    }
}

impl fmt::Debug for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CancelledError");
        d.field("msg", &self.msg.as_deref());
        if let Some(t) = &self.tracker {
            d.field("tracked_by", &t.id());
        }
        d.finish()
    }
}

impl fmt::Display for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.msg {
            Some(m) => write!(f, "CancelledError: {m}"),
            None => f.write_str("CancelledError"),
        }
    }
}

impl std::error::Error for CancelledError {}

/// The check every runtime-aware await point makes first: if the current task has a
/// pending cancel request (*must_cancel*), consume it and return the tracked error.
pub(crate) fn deliver_pending_cancel() -> Option<CancelledError> {
    let raw = current::current_raw()?;
    let header = raw.header();
    if !header.state.load().is_must_cancel() {
        return None;
    }
    let msg = {
        let mut extra = header.extra.lock();
        if !header.state.clear_must_cancel().is_must_cancel() {
            // Withdrawn by `uncancel()` meanwhile.
            return None;
        }
        extra.rearmed = false;
        extra.cancel_msg.clone()
    };
    current::mark_delivered();
    Some(CancelledError::tracked(msg, TaskRef::clone_from_raw(raw)))
}

/// The check an await point with a cancel target (an awaited task, a `Future`, a
/// gather) makes when it is about to suspend: a pending cancel request of the current
/// task is first offered to that target, as asyncio's `Task.__step` does with the future
/// the coroutine just yielded (`if self._must_cancel: if self._fut_waiter.cancel(msg):
/// self._must_cancel = False`). Accepted: the request is consumed and the task will see
/// the target's cancelled outcome. Refused (the target is done): the request is
/// delivered here, as an error.
pub(crate) fn forward_or_deliver_pending_cancel(
    forward: impl FnOnce(Option<Arc<str>>) -> bool,
) -> Option<CancelledError> {
    let raw = current::current_raw()?;
    let header = raw.header();
    if !header.state.load().is_must_cancel() {
        return None;
    }
    let msg = {
        let extra = header.extra.lock();
        if !header.state.load().is_must_cancel() {
            return None;
        }
        extra.cancel_msg.clone()
    };
    if forward(msg) {
        let _extra = header.extra.lock();
        header.state.clear_must_cancel();
        current::mark_delivered();
        return None;
    }
    deliver_pending_cancel()
}

/// Re-arms an outside cancellation that a task group consumed while waiting for its
/// children and then did not propagate (its children failed, so it returns the failures):
/// asyncio's `parent.uncancel(); parent.cancel()`, which keeps the count and makes the
/// next await point raise `CancelledError`. In asyncio, if the task instead finishes by
/// raising the `ExceptionGroup`, the exception wins over the pending request; a Rust task
/// returns it as a value, so the request is marked as for the next await point only, and
/// does not turn a finished task into a cancelled one.
pub(crate) fn rearm_for_next_await(task: &TaskRef) {
    let header = task.header();
    {
        let mut extra = header.extra.lock();
        if header.state.load().is_complete() {
            return;
        }
        extra.rearmed = true;
        header.state.set_must_cancel();
    }
    task.raw().wake_by_ref();
}

/// Consumes the current task's pending cancel request if it is the only outstanding one
/// since `baseline` (`cancelling() <= baseline + 1`), checked and consumed under the
/// task's lock so that a concurrent `cancel()` either counts before the check (and the
/// request is left alone) or comes after (and stays pending). For a timeout scope taking
/// its own cancellation when its body cannot receive it.
pub(crate) fn take_own_pending_cancel(baseline: u32) -> bool {
    let Some(raw) = current::current_raw() else {
        return false;
    };
    let header = raw.header();
    let extra = header.extra.lock();
    if !header.state.load().is_must_cancel() || extra.cancel_requests > baseline + 1 {
        return false;
    }
    header.state.clear_must_cancel();
    drop(extra);
    current::mark_delivered();
    true
}

/// A runtime-aware await point that only delivers a pending cancellation (it does not
/// yield; use `sleep(Duration::ZERO)` to yield).
///
/// Long computations that want to honour `cancel()` call it between steps.
///
/// ```
/// asyncio::run(async {
///     let me = asyncio::current_task().unwrap();
///     assert!(asyncio::checkpoint().await.is_ok());
///     me.cancel(Some("stop"));
///     let err = asyncio::checkpoint().await.unwrap_err();
///     assert_eq!(err.message(), Some("stop"));
///     // Caught: the task goes on (asyncio's swallowed cancellation).
/// });
/// ```
pub fn checkpoint() -> Checkpoint {
    Checkpoint { _private: () }
}

/// Future returned by [`checkpoint`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Checkpoint {
    _private: (),
}

impl std::future::Future for Checkpoint {
    type Output = Result<(), CancelledError>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(match deliver_pending_cancel() {
            Some(err) => Err(err),
            None => Ok(()),
        })
    }
}
