//! The asyncio-level fields of a task, behind one small lock in the header.
//!
//! The hot path of a task (schedule, poll, complete, join) only touches the atomic state
//! word. What asyncio adds — the cancel message and request count, the live cancellation
//! tokens, the waiter a cancel is forwarded to, the name, done callbacks, the recorded
//! exception — lives here, in a `Mutex<Extra>` that only those operations take. Fields
//! that most tasks never use sit in a lazily boxed [`Rare`] so the header stays small.

use crate::loom::StdArc as Arc;

use crate::loom::sync::atomic::Ordering;
use crate::task::error::{PanicError, TaskError};
use crate::task::hooks::Hook;
use crate::task::raw::{Header, Kind, PendingRequest, RawTask};
use crate::task::state::{Outcome, Snapshot};
use crate::task::waiter::Waiter;

#[derive(Default)]
pub(crate) struct Extra {
    /// Message of the latest cancellation (the pending *must_cancel* request, then the
    /// message of the outcome once the task ended cancelled).
    pub(crate) cancel_msg: Option<Arc<str>>,
    /// `cancelling()`: cancel requests minus `uncancel()` calls.
    pub(crate) cancel_requests: u32,
    /// The pending *must_cancel* request was re-armed by a task group for the task's
    /// next await point only (see `cancel::rearm_for_next_await`): if the task finishes
    /// first, its result stands.
    pub(crate) rearmed: bool,
    /// What the task is suspended on.
    pub(crate) waiter: Option<Waiter>,
    /// Fields most tasks never touch.
    pub(crate) rare: Option<Box<Rare>>,
}

/// Fields most tasks never touch.
#[derive(Default)]
pub(crate) struct Rare {
    /// A name set by the user (default: `Task-{id}`).
    pub(crate) name: Option<Arc<str>>,
    /// The panic the task ended with, for the type-erased `exception()`.
    pub(crate) panic: Option<PanicError>,
    /// The panic was observed (awaited or asked for with `exception()`).
    pub(crate) exception_retrieved: bool,
    /// Done callbacks and completion wakers (see `hooks.rs`).
    pub(crate) hooks: Vec<Hook>,
}

impl Extra {
    pub(crate) fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Default::default)
    }
}

// ---- operations the harness calls at the edges of a task's life -------------------

/// Consumes the pending *must_cancel* request, returning its message.
pub(crate) fn take_must_cancel(header: &Header) -> Option<Arc<str>> {
    let extra = header.extra.lock();
    header.state.clear_must_cancel();
    extra.cancel_msg.clone()
}

/// At `Ready`: `Some(msg)` if the task must end cancelled instead — a pending request
/// that counts (see `PendingRequest`), or a tracked `CancelledError` of the task still
/// alive (in the output).
pub(crate) fn cancellation_at_completion(
    header: &Header,
    request: PendingRequest,
) -> Option<Option<Arc<str>>> {
    let must_cancel = header.state.load().is_must_cancel();
    let tokens = header.live_tokens.load(Ordering::Acquire) > 0;
    if !must_cancel && !tokens {
        return None;
    }
    let mut extra = header.extra.lock();
    let request_counts = must_cancel
        && request == PendingRequest::Applies
        // A request re-armed for the next await point, which never came, does not.
        && !std::mem::take(&mut extra.rearmed);
    if must_cancel {
        header.state.clear_must_cancel();
    }
    if request_counts || tokens {
        Some(extra.cancel_msg.clone())
    } else {
        None
    }
}

/// Keeps the task's exception where the type-erased `TaskRef::exception()` finds it.
pub(crate) fn record_exception(header: &Header, err: &TaskError) {
    let mut extra = header.extra.lock();
    match err {
        TaskError::Cancelled(c) => extra.cancel_msg = c.shared_message(),
        TaskError::Panicked(p) => extra.rare().panic = Some(p.clone()),
    }
}

/// Runs after COMPLETE is set: schedules done callbacks and wakes completion waiters.
pub(crate) fn on_complete(task: RawTask, snapshot: Snapshot) {
    if snapshot.has_hooks() {
        crate::task::hooks::run_on_complete(task);
    }
}

/// Runs just before the cell is freed: a panic nobody looked at goes to the exception
/// handler (asyncio's "Task exception was never retrieved").
pub(crate) fn before_dealloc(header: &Header) {
    if header.vtable.kind != Kind::Task || header.state.load().outcome() != Some(Outcome::Panicked)
    {
        return;
    }
    let unretrieved = {
        let mut extra = header.extra.lock();
        let rare = extra.rare();
        if rare.exception_retrieved {
            None
        } else {
            rare.panic.clone()
        }
    };
    if let Some(panic) = unretrieved {
        header.scheduler.report_exception(
            "Task exception was never retrieved",
            Some(panic),
            Some(header.id),
        );
    }
}
