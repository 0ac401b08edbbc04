//! What a task's completion does beyond the state word, and its last words.
//!
//! * [`record_exception`]: the outcome's exception is kept where the type-erased
//!   `TaskRef::exception()` finds it (the cancel message, or the panic / raised error).
//! * [`run_hooks`]: after COMPLETE is set, done callbacks are scheduled and completion
//!   wakers woken (`hooks.rs`), and the registration of what the task was suspended on is
//!   released.
//! * [`report_unretrieved`]: just before the cell is freed, an exception (a panic or a
//!   raised error) nobody looked at goes to the exception handler (asyncio's "Task
//!   exception was never retrieved").

use crate::task::core::{Header, Kind};
use crate::task::error::TaskError;
use crate::task::raw::RawTask;
use crate::task::state::{Outcome, Snapshot};

/// Keeps the task's exception where the type-erased `TaskRef::exception()` finds it.
pub(crate) fn record_exception(header: &Header, err: &TaskError) {
    let mut fields = header.fields();
    match err {
        TaskError::Cancelled(c) => fields.cancel.msg = c.shared_message(),
        failure => fields.name_and_completion().exception = Some(failure.clone()),
    }
}

/// Runs after COMPLETE is set: schedules done callbacks and wakes completion waiters,
/// calling `wake_join` (the `Task<T>` handle's awaiter) once, at its place among them in
/// registration order (`hooks.rs`).
pub(crate) fn run_hooks(task: RawTask, snapshot: Snapshot, wake_join: impl FnOnce()) {
    if snapshot.has_hooks() {
        crate::task::hooks::run_on_complete(task, snapshot, wake_join);
    } else {
        wake_join();
    }
}

/// Runs just before the cell is freed: an exception nobody looked at goes to the
/// exception handler (asyncio's "Task exception was never retrieved").
pub(crate) fn report_unretrieved(header: &Header) {
    if header.vtable.kind != Kind::Task || header.state.load().outcome() != Some(Outcome::Raised) {
        return;
    }
    let unretrieved = {
        let mut fields = header.fields();
        let details = fields.name_and_completion();
        if details.exception_retrieved {
            None
        } else {
            details.exception.clone()
        }
    };
    if let Some(exception) = unretrieved {
        header.scheduler.report_exception(
            "Task exception was never retrieved",
            Some(exception),
            Some(crate::runtime::exception::ReportedTask::of(header)),
        );
    }
}
