//! Delivery: how a runtime-aware await point hands a pending request to its task.
//!
//! Every runtime-aware await point calls [`deliver_pending_cancel`] first (the await point
//! of a task or an `asyncio::Future`: [`deliver_pending_cancel_since_start`]); a request
//! made during the step is offered, when the step ends, to what the task suspended on
//! ([`forward_request_made_during_step`]). Consuming *must_cancel* is recorded in the step
//! report (`step.rs`) so that the harness can apply the end-of-step rules.

use crate::loom::StdArc as Arc;

use crate::task::cancel::error::CancelledError;
use crate::task::cancel::forward;
use crate::task::cancel::state::PendingScope;
use crate::task::cancel::step::{self, StepReport};
use crate::task::cancel::waiter;
use crate::task::current;
use crate::task::raw::RawTask;
use crate::task::TaskRef;

/// The check every runtime-aware await point makes first: if the current task has a
/// cancel request that was pending when this step began (asyncio's `_must_cancel` at the
/// top of `Task.__step`), consume it and return the tracked error — whatever the await
/// point would have given otherwise (a done future's value stays in the future, a done
/// task's output in its handle): asyncio throws the `CancelledError` into the coroutine
/// where it resumes instead of sending it the result.
///
/// A request made during this step (the task cancelling itself, or another thread while
/// it runs) is not delivered here: asyncio's `__step` sees it only once the coroutine
/// has yielded, cancels the future it yielded and the task receives the `CancelledError`
/// one loop iteration later (a bare `yield`, `sleep(0)`, leaves it for the next step).
/// The harness does the same when the step ends (`forward_request_made_during_step`).
/// An await point that does not suspend (a done future, a free lock) therefore gives its
/// result as asyncio's does.
pub(crate) fn deliver_pending_cancel() -> Option<CancelledError> {
    deliver_if(|report| report.undelivered_since_start() || report.armed_for_this_step)
}

/// [`deliver_pending_cancel`] for the await point of a task or a future (asyncio's
/// `await fut`): only a request pending since the step began. One armed for this step
/// ([`arm_for_this_step`]) stands for asyncio cancelling a *wrapper* before its first
/// step, and a task or future is never wrapped: the request goes to it instead (offered
/// to it as the waiter at the end of the step), or, if it is done, its outcome is given.
pub(crate) fn deliver_pending_cancel_since_start() -> Option<CancelledError> {
    deliver_if(StepReport::undelivered_since_start)
}

/// Consumes the current task's pending request if `deliverable` says this step's report
/// allows it, returning it as a `CancelledError` tracked by the task.
fn deliver_if(deliverable: impl FnOnce(StepReport) -> bool) -> Option<CancelledError> {
    let raw = current::current_raw()?;
    if !deliverable(current::report()) {
        return None;
    }
    take_pending_cancel(raw).map(|msg| CancelledError::tracked(msg, TaskRef::clone_from_raw(raw)))
}

/// Makes the current task's pending request (just made by the caller, on the task
/// itself) deliverable at the await points of this very step, as if it had been pending
/// when the step began: how a zero-timeout `wait_for` cancels its body before the body's
/// first step (asyncio 3.12+ wraps the awaitable in a task and cancels it before it
/// runs). The end-of-step rules still treat it as made during the step.
pub(crate) fn arm_for_this_step() {
    current::update_report(|r| r.armed_for_this_step = true);
}

/// For an await point whose awaited object ended cancelled: a request pending since the
/// step began is consumed by the awaited object's `CancelledError`, which the caller
/// hands to the task instead (asyncio's `__step(exc)` keeps a thrown `CancelledError` and
/// clears `_must_cancel`). A task that catches it and returns ends normally.
pub(crate) fn consume_pending_cancel() {
    let Some(raw) = current::current_raw() else {
        return;
    };
    if current::report().undelivered_since_start() {
        take_pending_cancel(raw);
    }
}

/// Consumes the current task's pending request (any, also one made during this step),
/// returning its message; `None` if there is none (or it was withdrawn meanwhile).
fn take_pending_cancel(raw: RawTask) -> Option<Option<Arc<str>>> {
    let header = raw.header();
    if !header.state.load().is_must_cancel() {
        return None;
    }
    let msg = {
        let mut fields = header.fields();
        if !header.state.clear_must_cancel().is_must_cancel() {
            // Withdrawn by `uncancel()` meanwhile.
            return None;
        }
        fields.cancel.pending_scope = PendingScope::UntilCompletion;
        fields.cancel.msg.clone()
    };
    step::mark_delivered();
    Some(msg)
}

/// End of a step that returned `Pending` (the harness, after the end-of-step rules of
/// `step.rs`): a request still pending now was made while the step ran — by the task on
/// itself, or by another thread — since a request pending when the step began is either
/// delivered by an await point or makes the harness cancel the task by force. Await
/// points leave such a request alone ([`deliver_pending_cancel`]); here it gets asyncio's
/// `__step` treatment once the coroutine has yielded: offered to the waiter registered in
/// this poll (`if self._must_cancel: if self._fut_waiter.cancel(msg): self._must_cancel
/// = False`), whose cancelled outcome wakes the task; otherwise (no waiter, a refusing
/// or an ambiguous one, a bare yield) it stays armed and the task is rescheduled, to
/// receive it where it resumes: either way, one loop iteration later. Without the offer,
/// `wait_for(task, d)` would time out without cancelling `task`.
pub(crate) fn forward_request_made_during_step(task: &TaskRef) {
    let header = task.header();
    // The common case, without the lock: no request pending (checked again under it).
    if !header.state.load().is_must_cancel() {
        return;
    }
    let target = {
        let fields = header.fields();
        if !header.state.load().is_must_cancel() {
            return;
        }
        waiter::current_target(header, &fields.cancel.waiter)
            .map(|target| (target, fields.cancel.msg.clone()))
    };
    if let Some((target, msg)) = target {
        if forward::offer(task, target, msg) {
            let _fields = header.fields();
            header.state.clear_must_cancel();
            return;
        }
    }
    // Still running (the harness holds RUNNING): a yield, to the back of the queue. A
    // task that yielded already (`sleep(0)`) is queued once.
    task.raw().wake_by_ref();
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
        let mut fields = header.fields();
        if header.state.load().is_complete() {
            return;
        }
        fields.cancel.pending_scope = PendingScope::NextAwaitPoint;
        header.state.set_must_cancel();
    }
    // Re-armed by the task itself (in its step): like any self-cancel it schedules
    // nothing, the end of the step does.
    if !step::note_cancel_of(task.raw()) {
        task.raw().wake_by_ref();
    }
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
    // No request pending: nothing to take, no lock needed.
    if !header.state.load().is_must_cancel() {
        return false;
    }
    let fields = header.fields();
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

/// A runtime-aware await point that only delivers a pending cancellation, also one the
/// task just made on itself (it does not yield; use `sleep(Duration::ZERO)` to yield).
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
        // Any pending request, also one made during this step: a checkpoint does not
        // suspend, so it is the only place such a request can be taken in this step.
        let delivered = current::current_raw().and_then(|raw| {
            take_pending_cancel(raw)
                .map(|msg| CancelledError::tracked(msg, TaskRef::clone_from_raw(raw)))
        });
        std::task::Poll::Ready(match delivered {
            Some(err) => Err(err),
            None => Ok(()),
        })
    }
}
