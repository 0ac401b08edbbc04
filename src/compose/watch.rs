//! Watching tasks complete, on behalf of a composition function.
//!
//! A [`WatchSet`] registers one *completion waker* (a hook, see `task/hooks.rs`) per
//! watched task; the waker carries the task's index and queues it in a shared ready list
//! when the task completes, then wakes whoever polls the set. It is woken from a callback
//! scheduled on the runtime (`Notify::Scheduled`), as asyncio's `wait`/`gather` are
//! notified through a done callback and a waiter future, so one-worker runs keep
//! asyncio's order. So a composition over `n`
//! tasks does O(1) work per completion (no re-polling of every child), learns the
//! completion order, and — because every registration is removed when the set is dropped
//! — leaves no orphan hook behind when it returns early (timeout, first failure,
//! cancellation).

use crate::loom::StdArc;
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::Mutex;
use crate::task::hooks::{self, CallbackId, Notify};
use crate::task::TaskRef;

struct ReadyList {
    /// Indices of tasks that completed since the last drain, in completion order.
    ready: Mutex<Vec<usize>>,
    /// Who to wake when one is added.
    waker: Mutex<Option<Waker>>,
}

struct IndexWaker {
    index: usize,
    list: StdArc<ReadyList>,
}

impl Wake for IndexWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.list.ready.lock().push(self.index);
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
    pub(crate) fn new(tasks: Vec<TaskRef>) -> WatchSet {
        let n = tasks.len();
        WatchSet {
            tasks,
            hooks: vec![None; n],
            list: StdArc::new(ReadyList {
                ready: Mutex::new(Vec::new()),
                waker: Mutex::new(None),
            }),
            registered: false,
            remaining: n,
        }
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
            for i in 0..self.tasks.len() {
                let waker = Waker::from(StdArc::new(IndexWaker {
                    index: i,
                    list: self.list.clone(),
                }));
                match hooks::add_completion_waker(&self.tasks[i], &waker, Notify::Scheduled) {
                    Some(id) => self.hooks[i] = Some(id),
                    // Already complete: reported the same way, from a callback, so the
                    // waiter still yields once (asyncio always awaits its waiter).
                    None => hooks::schedule_wake(&self.tasks[i], waker),
                }
            }
        }
        let ready = std::mem::take(&mut *self.list.ready.lock());
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
