//! The end-of-step rules: what the harness does with a pending request when a poll ends.
//!
//! During each poll the thread-local of `current.rs` keeps a [`StepReport`] for the task
//! being polled: whether a runtime-aware await point consumed its *must_cancel*
//! (`delivered`) and whether the task cancelled itself (`self_cancelled`). When the poll
//! ends, the harness applies asyncio's `__step` rules with it:
//!
//! * `Ready` with a request still pending that was pending when the step began (and that
//!   nothing delivered), or that the task made on itself: the task ends cancelled
//!   ([`cancellation_at_completion`]). A request that arrived from another thread while
//!   the step ran is ordered after the step ([`PendingRequest::ArrivedAfterTheStep`]).
//! * `Ready` with a tracked `CancelledError` of the task still alive (in the output): the
//!   task ends cancelled with its message.
//! * `Pending` with a request pending since the step began that no await point consumed:
//!   the task awaits something foreign; the harness cancels it by force
//!   ([`take_must_cancel`]).
//! * `Pending` with a request made during the step (await points leave it alone): offered
//!   to the waiter registered in this poll, else the task is rescheduled to receive it at
//!   its next step (`deliver::forward_request_made_during_step`): one loop iteration
//!   later, as asyncio's `__step` does once the coroutine has yielded.

use crate::loom::StdArc as Arc;

use crate::loom::sync::atomic::Ordering;
use crate::task::cancel::state::PendingScope;
use crate::task::core::Header;
use crate::task::current;
use crate::task::raw::RawTask;

/// What happened to the current task's cancellation during one poll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StepReport {
    /// A request was pending when the step began (the task was woken to receive it).
    pub(crate) pending_at_start: bool,
    /// A runtime-aware await point consumed a pending cancel request.
    pub(crate) delivered: bool,
    /// The task called `cancel()` on itself.
    pub(crate) self_cancelled: bool,
    /// A request armed during this step for this step's await points (a zero-timeout
    /// `wait_for` cancelling before its body's first step, see
    /// `deliver::arm_for_this_step`), not yet delivered.
    pub(crate) armed_for_this_step: bool,
}

impl StepReport {
    /// Nothing happened (and nothing was pending).
    pub(crate) const NONE: StepReport = StepReport {
        pending_at_start: false,
        delivered: false,
        self_cancelled: false,
        armed_for_this_step: false,
    };

    /// The report of a step that begins with a request pending or not.
    pub(crate) fn starting_with(pending_at_start: bool) -> StepReport {
        StepReport {
            pending_at_start,
            ..StepReport::NONE
        }
    }

    /// A request pending since the step began, not delivered yet: the await point the
    /// task resumes at must deliver it, not forward it (asyncio's `__step` throws a
    /// pending `CancelledError` into the coroutine where it is suspended).
    pub(crate) fn undelivered_since_start(self) -> bool {
        self.pending_at_start && !self.delivered
    }
}

/// Whether a cancel request still pending when the future returns counts (docs/design.md
/// §4.2, "completion with *must_cancel* still set").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingRequest {
    /// It was pending when the last step began, or the task made it on itself.
    Applies,
    /// It came from another thread while the last step ran: ordered after the step.
    ArrivedAfterTheStep,
}

/// Records that a cancellation was delivered to the current task in this poll.
pub(crate) fn mark_delivered() {
    current::update_report(|r| {
        r.delivered = true;
        r.armed_for_this_step = false;
    });
}

/// Records that `task` cancelled itself, if it is the task running on this thread;
/// returns whether it is.
pub(crate) fn note_cancel_of(task: RawTask) -> bool {
    let is_current = current::current_raw() == Some(task);
    if is_current {
        current::update_report(|r| r.self_cancelled = true);
    }
    is_current
}

/// Consumes the pending *must_cancel* request, returning its message.
pub(crate) fn take_must_cancel(header: &Header) -> Option<Arc<str>> {
    let fields = header.fields();
    header.state.clear_must_cancel();
    fields.cancel.msg.clone()
}

/// What the output of a finished step raised (see `output.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raised {
    /// It returned a value.
    Nothing,
    /// It raised a `CancelledError`: the task ends cancelled with that one.
    Cancellation,
    /// It raised an exception (an `Err`).
    Exception,
}

/// At `Ready`: `Some(msg)` if the task must end cancelled instead of with its outcome —
/// a pending request that counts (see [`PendingRequest`]; only for a returned value, as
/// asyncio's `__step` lets a raised exception win over `_must_cancel`), or a tracked
/// `CancelledError` of the task still alive (in the output: the task propagated its
/// cancellation inside a value or an error of its own). A pending request is consumed in
/// every case.
pub(crate) fn cancellation_at_completion(
    header: &Header,
    request: PendingRequest,
    raised: Raised,
) -> Option<Option<Arc<str>>> {
    let must_cancel = header.state.load().is_must_cancel();
    let tokens = header.live_tokens.load(Ordering::Acquire) > 0;
    if !must_cancel && !tokens {
        return None;
    }
    let mut fields = header.fields();
    let scope = std::mem::take(&mut fields.cancel.pending_scope);
    let request_counts = must_cancel
        && raised == Raised::Nothing
        && request == PendingRequest::Applies
        // A request re-armed for the next await point, which never came, does not.
        && scope == PendingScope::UntilCompletion;
    if must_cancel {
        header.state.clear_must_cancel();
    }
    // A token handed to the task while a request was pending, its message kept aside.
    let token_msg = fields
        .name_and_completion
        .as_mut()
        .and_then(|details| details.token_msg.take());
    match raised {
        // The raised cancellation is the outcome, whatever else is alive.
        Raised::Cancellation => None,
        // A `CancelledError` propagated out of the future (alive in the output) wins over a
        // pending request, as the exception raised out of the coroutine does in asyncio.
        _ if tokens => Some(token_msg.unwrap_or_else(|| fields.cancel.msg.clone())),
        _ if request_counts => Some(fields.cancel.msg.clone()),
        _ => None,
    }
}
