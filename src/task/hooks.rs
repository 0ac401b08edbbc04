//! Completion hooks: done callbacks and completion wakers.
//!
//! A hook is registered under the task's `asyncio` lock, and only while the task is not
//! complete: `State::set_has_hooks_if_pending` sets HAS_HOOKS in the same step, so the
//! completing thread (which sees HAS_HOOKS in the snapshot COMPLETE returns) takes the
//! lock and drains every hook that made it in. A registration that finds the task
//! complete handles its hook itself. So each hook runs exactly once, and completion
//! never takes the lock when nobody registered anything.
//!
//! Done callbacks are scheduled on the runtime in registration order (asyncio's
//! `call_soon` per callback), never run inline inside the call that completed the task;
//! one added after completion is scheduled too. Completion wakers (used by composition
//! functions that wait for many tasks) are woken directly, in the same order.
//!
//! Decision: the `Task<T>` handle's join waker is not a hook; it is woken right after the
//! hooks. In asyncio the awaiter's wake-up is a done callback like the others, ordered by
//! registration; here it always comes last. That matches the common pattern (callbacks
//! added right after `create_task`, then `await task`) exactly, and differs only when a
//! callback is added while the task is already being awaited.

use std::task::Waker;

use crate::loom::IdCounter;
use crate::runtime::exception::UserCode;
use crate::runtime::scheduler::Shared;
use crate::task::raw::RawTask;
use crate::task::TaskRef;

/// Identifies a done callback for [`TaskRef::remove_done_callback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallbackId(u64);

impl CallbackId {
    pub(crate) fn from_raw(id: u64) -> CallbackId {
        CallbackId(id)
    }

    pub(crate) fn as_raw(self) -> u64 {
        self.0
    }
}

pub(crate) type DoneCallback = Box<dyn FnOnce(&TaskRef) + Send + 'static>;

pub(crate) enum Hook {
    Callback {
        id: u64,
        f: DoneCallback,
    },
    Waker {
        id: u64,
        waker: Waker,
        notify: Notify,
    },
}

/// How a completion waker is woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notify {
    /// Right away, by the completing thread: like a `Task<T>` awaiter (asyncio wakes an
    /// awaiting task from the awaited task's done callback, one hop).
    Direct,
    /// From a callback scheduled on the runtime: like asyncio's composition functions,
    /// whose done callback sets a waiter future that then wakes the task (two hops), so
    /// one-worker runs keep asyncio's order.
    Scheduled,
}

fn next_callback_id() -> u64 {
    static NEXT: IdCounter = IdCounter::new();
    NEXT.next()
}

pub(crate) fn add_done_callback(task: &TaskRef, f: DoneCallback) -> CallbackId {
    let id = next_callback_id();
    let header = task.header();
    let mut fields = header.asyncio.lock();
    if header.state.set_has_hooks_if_pending() {
        fields
            .name_and_completion()
            .hooks
            .push(Hook::Callback { id, f });
    } else {
        drop(fields);
        schedule_callback(task.clone(), f);
    }
    CallbackId(id)
}

/// Removes the done callback `id`. The closure is dropped after the task's lock is
/// released: its destructor is user code (it may own a `WaitDone` of this very task,
/// whose drop takes the lock).
pub(crate) fn remove_done_callback(task: &TaskRef, id: CallbackId) -> usize {
    let removed = {
        let mut fields = task.header().asyncio.lock();
        let Some(details) = fields.name_and_completion.as_mut() else {
            return 0;
        };
        let pos = details
            .hooks
            .iter()
            .position(|h| matches!(h, Hook::Callback { id: hid, .. } if *hid == id.0));
        pos.map(|i| details.hooks.remove(i))
    };
    usize::from(removed.is_some())
}

/// Registers `waker` to be woken when the task completes, returning the id to remove it
/// with; `None` (nothing registered) if the task is already complete.
pub(crate) fn add_completion_waker(
    task: &TaskRef,
    waker: &Waker,
    notify: Notify,
) -> Option<CallbackId> {
    let header = task.header();
    let mut fields = header.asyncio.lock();
    if !header.state.set_has_hooks_if_pending() {
        return None;
    }
    let id = next_callback_id();
    fields.name_and_completion().hooks.push(Hook::Waker {
        id,
        waker: waker.clone(),
        notify,
    });
    Some(CallbackId(id))
}

/// Removes a completion waker (the waiter stopped waiting): no orphan left behind.
pub(crate) fn remove_completion_waker(task: &TaskRef, id: CallbackId) {
    let removed = {
        let mut fields = task.header().asyncio.lock();
        let Some(details) = fields.name_and_completion.as_mut() else {
            return;
        };
        let pos = details
            .hooks
            .iter()
            .position(|h| matches!(h, Hook::Waker { id: hid, .. } if *hid == id.0));
        pos.map(|i| details.hooks.remove(i))
    };
    drop(removed);
}

/// Number of hooks registered on a task.
pub(crate) fn hook_count(task: &TaskRef) -> usize {
    task.header()
        .asyncio
        .lock()
        .name_and_completion
        .as_ref()
        .map_or(0, |r| r.hooks.len())
}

/// Called by the completing thread when the COMPLETE snapshot has HAS_HOOKS. The user
/// code reached from here (a completion waker that may belong to a foreign executor, the
/// destructor of what the task was suspended on) runs guarded: one panicking hook does
/// not keep the others from running.
pub(crate) fn run_on_complete(raw: RawTask) {
    let (hooks, waiter) = {
        let mut fields = raw.header().asyncio.lock();
        let hooks = fields
            .name_and_completion
            .as_mut()
            .map(|r| std::mem::take(&mut r.hooks))
            .unwrap_or_default();
        (hooks, fields.cancel.waiter.take())
    };
    let header = raw.header();
    let shared = &header.scheduler;
    // A finished task awaits nothing: release what it was suspended on.
    if let Some(waiter) = waiter {
        shared.run_user_code(UserCode::Destructor, Some(header.id), || drop(waiter));
    }
    if hooks.is_empty() {
        return;
    }
    let task = TaskRef::clone_from_raw(raw);
    for hook in hooks {
        match hook {
            Hook::Callback { f, .. } => schedule_callback(task.clone(), f),
            Hook::Waker {
                waker,
                notify: Notify::Direct,
                ..
            } => shared.run_user_code(UserCode::Waker, Some(header.id), || waker.wake()),
            Hook::Waker {
                waker,
                notify: Notify::Scheduled,
                ..
            } => schedule_wake(&task, waker),
        }
    }
}

/// Wakes `waker` from a callback on `task`'s runtime (a [`Notify::Scheduled`] hook).
pub(crate) fn schedule_wake(task: &TaskRef, waker: Waker) {
    Shared::call_soon(&task.header().scheduler, Box::new(move || waker.wake()));
}

fn schedule_callback(task: TaskRef, f: DoneCallback) {
    let scheduler = task.header().scheduler.clone();
    Shared::call_soon(&scheduler, Box::new(move || f(&task)));
}
