//! `current_task()`: the task whose step runs on this thread.
//!
//! The harness enters the task for the duration of each poll (and the eager first step
//! does the same inside `create_task`, so eager steps nest: the guard restores the
//! creator afterwards). Callbacks run with no current task, as in asyncio.
//!
//! The same thread-local keeps, for the poll in progress, the task's cancellation
//! [`StepReport`] (what the end-of-step rules of `cancel/step.rs` need).

use std::cell::Cell;

use crate::task::cancel::StepReport;
use crate::task::raw::RawTask;

struct Current {
    task: Cell<Option<RawTask>>,
    report: Cell<StepReport>,
}

crate::loom::thread_local_const! {
    static CURRENT: Current = Current {
        task: Cell::new(None),
        report: Cell::new(StepReport::NONE),
    };
}

/// Restores the previous current task when the poll ends (also when it unwinds).
pub(crate) struct EnterGuard {
    prev: Option<RawTask>,
    prev_report: StepReport,
    exited: bool,
}

/// Makes `task` the current task of this thread until the guard exits, starting its
/// step report with `report`.
pub(crate) fn enter(task: Option<RawTask>, report: StepReport) -> EnterGuard {
    CURRENT.with(|c| EnterGuard {
        prev: c.task.replace(task),
        prev_report: c.report.replace(report),
        exited: false,
    })
}

impl EnterGuard {
    /// Leaves the task; reports what happened to its cancellation meanwhile.
    pub(crate) fn exit(mut self) -> StepReport {
        self.exited = true;
        self.restore()
    }

    fn restore(&self) -> StepReport {
        CURRENT.with(|c| {
            c.task.set(self.prev);
            c.report.replace(self.prev_report)
        })
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        if !self.exited {
            self.restore();
        }
    }
}

/// The task running on this thread, without taking a ref. Valid while the caller is
/// inside that task's poll.
pub(crate) fn current_raw() -> Option<RawTask> {
    CURRENT.try_with(|c| c.task.get()).ok().flatten()
}

/// The step report of the poll in progress on this thread.
pub(crate) fn report() -> StepReport {
    CURRENT
        .try_with(|c| c.report.get())
        .unwrap_or(StepReport::NONE)
}

/// Updates the step report of the poll in progress on this thread.
pub(crate) fn update_report(f: impl FnOnce(&mut StepReport)) {
    let _ = CURRENT.try_with(|c| {
        let mut r = c.report.get();
        f(&mut r);
        c.report.set(r);
    });
}
