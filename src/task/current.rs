//! `current_task()`: the task whose step runs on this thread.
//!
//! The harness enters the task for the duration of each poll (and the eager first step
//! does the same inside `create_task`, so eager steps nest: the guard restores the
//! creator afterwards). Callbacks run with no current task, as in asyncio.
//!
//! The same thread-local records, for the poll in progress, whether a cancellation was
//! delivered to the task (a runtime-aware await point consumed *must_cancel*) and whether
//! the task cancelled itself: the harness needs both for the end-of-poll rules of DESIGN
//! §4.2 (see `raw.rs`).

use std::cell::Cell;

use crate::task::raw::RawTask;

struct Current {
    task: Cell<Option<RawTask>>,
    report: Cell<PollReport>,
}

/// What happened to the current task's cancellation during one poll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PollReport {
    /// A runtime-aware await point consumed a pending cancel request.
    pub(crate) delivered: bool,
    /// The task called `cancel()` on itself.
    pub(crate) self_cancelled: bool,
}

crate::loom::thread_local_const! {
    static CURRENT: Current = Current {
        task: Cell::new(None),
        report: Cell::new(PollReport {
            delivered: false,
            self_cancelled: false,
        }),
    };
}

/// Restores the previous current task when the poll ends.
pub(crate) struct EnterGuard {
    prev: Option<RawTask>,
    prev_report: PollReport,
    exited: bool,
}

/// Makes `task` the current task of this thread until the guard exits.
pub(crate) fn enter(task: Option<RawTask>) -> EnterGuard {
    CURRENT.with(|c| EnterGuard {
        prev: c.task.replace(task),
        prev_report: c.report.replace(PollReport::default()),
        exited: false,
    })
}

impl EnterGuard {
    /// Leaves the task; reports what happened to its cancellation meanwhile.
    pub(crate) fn exit(mut self) -> PollReport {
        self.exited = true;
        self.restore()
    }

    fn restore(&self) -> PollReport {
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

/// Records that a cancellation was delivered to the current task in this poll.
pub(crate) fn mark_delivered() {
    let _ = CURRENT.try_with(|c| {
        let mut r = c.report.get();
        r.delivered = true;
        c.report.set(r);
    });
}

/// Records that `task` cancelled itself, if it is the task running on this thread.
pub(crate) fn note_cancel_of(task: RawTask) {
    let _ = CURRENT.try_with(|c| {
        if c.task.get() == Some(task) {
            let mut r = c.report.get();
            r.self_cancelled = true;
            c.report.set(r);
        }
    });
}
