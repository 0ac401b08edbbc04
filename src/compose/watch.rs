//! Watching tasks complete, on behalf of a composition function.
//!
//! A [`WatchSet`] registers one *completion waker* (a hook, see `task/hooks.rs`) per
//! watched task; the waker carries the task's index and queues it in a shared ready list
//! when the task completes, then wakes whoever polls the set if the set's [`WakeOn`] policy
//! says so. It is woken from a callback scheduled on the runtime (`Notify::Scheduled`),
//! as asyncio's `wait`/`gather` are notified through a done callback that completes a
//! waiter (or the gathering future), whose own done callback wakes the task: two hops,
//! so one-worker runs keep asyncio's order. So a composition over `n` tasks does O(1)
//! work per completion (no re-polling of every child), learns the completion order, and
//! — because every registration is removed when the set is dropped — leaves no orphan
//! hook behind when it returns early (timeout, first failure, cancellation).
//!
//! The two policies:
//! * [`WakeOn::EachCompletion`] (`wait`, `as_completed`): every completion wakes the
//!   poller, which decides whether it is satisfied; a task already complete when the set
//!   registers is reported from a callback too, so the poller yields once (asyncio's
//!   `wait` always awaits its waiter future).
//! * [`WakeOn::WhenFinished`] (`gather`): the set itself decides, in the completion
//!   callback, and wakes the poller once: at the completion that finishes the set (the
//!   last one, or one for which `ends` holds: a gather's first failure), as
//!   `_GatheringFuture` is set by the child's done callback that finishes it and only
//!   then wakes its awaiter. Tasks already complete when the set registers are reported
//!   in that same poll, without a wake-up, as 3.12+ `gather` runs the done callback of
//!   the children that are already done before returning: a gather whose children are
//!   all done (or, by default, one of them failed) completes without a loop iteration.
//!
//! The decision is made under the ready-list lock that also counts the completions, and
//! the poller stores its waker before it drains the list, so a completion is either
//! drained by a poll or wakes the waker that poll stored: no lost wake-up.

use crate::loom::StdArc;
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::Mutex;
use crate::task::hooks::{self, CallbackId, Notify};
use crate::task::TaskRef;

/// When a completion wakes whoever polls a [`WatchSet`] (see the module docs).
#[derive(Clone, Copy)]
pub(crate) enum WakeOn {
    /// Every completion; tasks complete at registration are reported from a callback.
    EachCompletion,
    /// Once, at the completion that finishes the set: the last, or one for which `ends`
    /// holds. Tasks complete at registration are reported at once, without a wake-up.
    WhenFinished { ends: fn(&TaskRef) -> bool },
}

struct Ready {
    /// Indices of tasks that completed since the last drain, in completion order.
    indices: Vec<usize>,
    /// Tasks whose completion has not been reported yet (drained or not).
    outstanding: usize,
    wake_on: WakeOn,
}

impl Ready {
    /// Records the completion of task `index`; returns whether it wakes the poller.
    fn report(&mut self, index: usize, task: &TaskRef) -> bool {
        self.indices.push(index);
        self.outstanding -= 1;
        match self.wake_on {
            WakeOn::EachCompletion => true,
            WakeOn::WhenFinished { ends } => self.outstanding == 0 || ends(task),
        }
    }
}

struct ReadyList {
    ready: Mutex<Ready>,
    /// Who to wake.
    waker: Mutex<Option<Waker>>,
}

struct IndexWaker {
    index: usize,
    /// The task watched (for [`WakeOn::WhenFinished`]'s `ends`). The hook that holds this
    /// waker is drained when the task completes or removed when the set is dropped, so
    /// the task does not keep itself alive through it.
    task: TaskRef,
    list: StdArc<ReadyList>,
}

impl Wake for IndexWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        if !self.list.ready.lock().report(self.index, &self.task) {
            return;
        }
        let waker = self.list.waker.lock().clone();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Watches a fixed list of tasks for completion.
pub(crate) struct WatchSet {
    tasks: Vec<TaskRef>,
    hooks: Vec<Option<CallbackId>>,
    list: StdArc<ReadyList>,
    registered: bool,
    remaining: usize,
}

impl WatchSet {
    /// A set that wakes its poller at every completion ([`WakeOn::EachCompletion`]).
    pub(crate) fn new(tasks: Vec<TaskRef>) -> WatchSet {
        WatchSet::with_wake_on(tasks, WakeOn::EachCompletion)
    }

    pub(crate) fn with_wake_on(tasks: Vec<TaskRef>, wake_on: WakeOn) -> WatchSet {
        let n = tasks.len();
        WatchSet {
            tasks,
            hooks: vec![None; n],
            list: StdArc::new(ReadyList {
                ready: Mutex::new(Ready {
                    indices: Vec::new(),
                    outstanding: n,
                    wake_on,
                }),
                waker: Mutex::new(None),
            }),
            registered: false,
            remaining: n,
        }
    }

    /// Changes the policy (meant for before the first poll; after it, it applies to the
    /// completions still to come).
    pub(crate) fn set_wake_on(&mut self, wake_on: WakeOn) {
        self.list.ready.lock().wake_on = wake_on;
    }

    pub(crate) fn tasks(&self) -> &[TaskRef] {
        &self.tasks
    }

    /// Tasks not yet reported by [`poll_ready`](Self::poll_ready).
    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    /// Indices of tasks completed since the last call, in completion order; `Pending`
    /// (with the waker registered) if none.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Vec<usize>> {
        {
            let mut w = self.list.waker.lock();
            match &*w {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => *w = Some(cx.waker().clone()),
            }
        }
        if !self.registered {
            self.registered = true;
            self.register();
        }
        let ready = std::mem::take(&mut self.list.ready.lock().indices);
        if ready.is_empty() {
            return Poll::Pending;
        }
        for &i in &ready {
            // The hook fired (or never existed): nothing to remove for it.
            self.hooks[i] = None;
        }
        self.remaining -= ready.len();
        Poll::Ready(ready)
    }

    /// Registers a completion waker on every task, in argument order.
    fn register(&mut self) {
        let wake_on = self.list.ready.lock().wake_on;
        for i in 0..self.tasks.len() {
            let index_waker = StdArc::new(IndexWaker {
                index: i,
                task: self.tasks[i].clone(),
                list: self.list.clone(),
            });
            let waker = Waker::from(index_waker.clone());
            if let Some(id) = hooks::add_completion_waker(&self.tasks[i], &waker, Notify::Scheduled)
            {
                self.hooks[i] = Some(id);
                continue;
            }
            // Already complete.
            match wake_on {
                // Reported the same way, from a callback, so the poller still yields
                // once (asyncio's `wait` always awaits its waiter).
                WakeOn::EachCompletion => hooks::schedule_wake(&self.tasks[i], waker),
                // Reported now, for the poll that registers to drain: no wake-up (this
                // poll is the one it would wake).
                WakeOn::WhenFinished { .. } => {
                    let _ = self.list.ready.lock().report(i, &index_waker.task);
                }
            }
        }
    }
}
impl Drop for WatchSet {
    fn drop(&mut self) {
        for (task, hook) in self.tasks.iter().zip(self.hooks.iter_mut()) {
            if let Some(id) = hook.take() {
                hooks::remove_completion_waker(task, id);
            }
        }
    }
}
