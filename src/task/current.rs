//! `current_task()`: the task whose step runs on this thread.
//!
//! The harness enters the task for the duration of each poll (and the eager first step
//! does the same inside `create_task`, so eager steps nest: the guard restores the
//! creator afterwards). Callbacks run with no current task, as in asyncio.
//!
//! The same thread-local records whether a cancellation was delivered during the poll
//! (a runtime-aware await point consumed *must_cancel*), which the harness needs for the
//! forced-cancel rule (DESIGN §4.2).

use std::cell::Cell;

use crate::task::raw::RawTask;

struct Current {
    task: Cell<Option<RawTask>>,
    delivered: Cell<bool>,
}

crate::loom::thread_local_const! {
    static CURRENT: Current = Current {
        task: Cell::new(None),
        delivered: Cell::new(false),
    };
}

/// Restores the previous current task when the poll ends.
pub(crate) struct EnterGuard {
    prev: Option<RawTask>,
    prev_delivered: bool,
    exited: bool,
}

/// Makes `task` the current task of this thread until the guard exits.
pub(crate) fn enter(task: Option<RawTask>) -> EnterGuard {
    CURRENT.with(|c| EnterGuard {
        prev: c.task.replace(task),
        prev_delivered: c.delivered.replace(false),
        exited: false,
    })
}

impl EnterGuard {
    /// Leaves the task; returns `true` if a cancellation was delivered to it meanwhile.
    pub(crate) fn exit(mut self) -> bool {
        self.exited = true;
        self.restore()
    }

    fn restore(&self) -> bool {
        CURRENT.with(|c| {
            c.task.set(self.prev);
            c.delivered.replace(self.prev_delivered)
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
    let _ = CURRENT.try_with(|c| c.delivered.set(true));
}
