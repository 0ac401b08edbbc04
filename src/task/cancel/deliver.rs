//! Delivery: how a runtime-aware await point hands a pending request to its task.
//!
//! Every runtime-aware await point calls [`deliver_pending_cancel`] first (or
//! [`forward_or_deliver_pending_cancel`] when it is about to suspend on something a
//! cancel can be forwarded to). Consuming *must_cancel* is recorded in the step report
//! (`step.rs`) so that the harness can apply the end-of-step rules.

use crate::loom::StdArc as Arc;

use crate::task::cancel::error::CancelledError;
use crate::task::cancel::forward;
use crate::task::cancel::state::PendingScope;
use crate::task::cancel::step;
use crate::task::cancel::waiter::{self, CancelTarget};
use crate::task::current;
use crate::task::TaskRef;

/// The check every runtime-aware await point makes first: if the current task has a
/// pending cancel request (*must_cancel*), consume it and return the tracked error.
pub(crate) fn deliver_pending_cancel() -> Option<CancelledError> {
    let raw = current::current_raw()?;
    let header = raw.header();
    if !header.state.load().is_must_cancel() {
        return None;
    }
    let msg = {
        let mut fields = header.asyncio.lock();
        if !header.state.clear_must_cancel().is_must_cancel() {
            // Withdrawn by `uncancel()` meanwhile.
            return None;
        }
        fields.cancel.pending_scope = PendingScope::UntilCompletion;
        fields.cancel.msg.clone()
    };
    step::mark_delivered();
    Some(CancelledError::tracked(msg, TaskRef::clone_from_raw(raw)))
}

/// The check an await point with a cancel target (an awaited task, a `Future`, a
/// gather) makes when it is about to suspend: a cancel request of the current task made
/// during this step is first offered to that target, as asyncio's `Task.__step` does with
/// the future the coroutine just yielded (`if self._must_cancel: if
/// self._fut_waiter.cancel(msg): self._must_cancel = False`). Accepted: the request is
/// consumed and the task will see the target's cancelled outcome. Refused (the target is
/// done): the request is delivered here, as an error. A request that was already pending
/// when the step began is delivered here, never forwarded: asyncio throws it into the
/// coroutine where it resumes (and this is what unwinds a cycle of tasks awaiting each
/// other, see `forward.rs`).
pub(crate) fn forward_or_deliver_pending_cancel(target: CancelTarget) -> Option<CancelledError> {
    let raw = current::current_raw()?;
    let header = raw.header();
    if !header.state.load().is_must_cancel() {
        return None;
    }
    if current::report().undelivered_since_start() {
        return deliver_pending_cancel();
    }
    let msg = {
        let fields = header.asyncio.lock();
        if !header.state.load().is_must_cancel() {
            return None;
        }
        fields.cancel.msg.clone()
    };
    if forward::offer(&TaskRef::clone_from_raw(raw), target, msg) {
        let _fields = header.asyncio.lock();
        header.state.clear_must_cancel();
        step::mark_delivered();
        return None;
    }
    deliver_pending_cancel()
}

/// End of a step that returned `Pending` (the harness, after the end-of-step rules of
/// `step.rs`): a request still pending now was made while the step ran, by another
/// thread, after the await point the task suspended at had checked for one and before
/// that await point registered itself as the task's waiter (a request made once the
/// waiter is registered is forwarded by `cancel()` itself). It is ordered after the step,
/// like a request landing during a step that returns `Ready`: forwarded to the waiter
/// registered in this poll, as asyncio's `__step` does with `_must_cancel` once the
/// coroutine has yielded its future. Without this it would still be pending when the
/// next step begins, and so delivered where the task resumes instead of reaching what it
/// awaits: `wait_for(task, d)` would time out without cancelling `task`. With no waiter
/// (or a refusing one) it stays armed for the next step.
pub(crate) fn forward_request_made_during_step(task: &TaskRef) {
    let header = task.header();
    let (target, msg) = {
        let fields = header.asyncio.lock();
        if !header.state.load().is_must_cancel() {
            return;
        }
        let Some(target) = waiter::current_target(header, &fields.cancel.waiter) else {
            return;
        };
        (target, fields.cancel.msg.clone())
    };
    if forward::offer(task, target, msg) {
        let _fields = header.asyncio.lock();
        header.state.clear_must_cancel();
    }
}

/// Re-arms an outside cancellation that a task group consumed while waiting for its
/// children and then did not propagate (its children failed, so it returns the failures):
/// asyncio's `parent.uncancel(); parent.cancel()`, which keeps the count and makes the
/// next await point raise `CancelledError`. In asyncio, if the task instead finishes by
/// raising the `ExceptionGroup`, the exception wins over the pending request; a Rust task
/// returns it as a value, so the request is scoped to the next await point only
/// ([`PendingScope::NextAwaitPoint`]), and does not turn a finished task into a
/// cancelled one.
pub(crate) fn rearm_for_next_await(task: &TaskRef) {
    let header = task.header();
    {
        let mut fields = header.asyncio.lock();
        if header.state.load().is_complete() {
            return;
        }
        fields.cancel.pending_scope = PendingScope::NextAwaitPoint;
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
    let fields = header.asyncio.lock();
    if !header.state.load().is_must_cancel() || fields.cancel.requests > baseline + 1 {
        return false;
    }
    header.state.clear_must_cancel();
    drop(fields);
    step::mark_delivered();
    true
}

/// The `CancelledError` an awaitable whose cancel was forwarded to it reports: tracked by
/// the awaiting task (it is that task's own cancellation), untracked outside a task.
pub(crate) fn cancelled_error(msg: Option<Arc<str>>) -> CancelledError {
    match current::current_raw() {
        Some(raw) => CancelledError::tracked(msg, TaskRef::clone_from_raw(raw)),
        None => CancelledError::from_shared(msg),
    }
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
