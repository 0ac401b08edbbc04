//! Completion hooks: done callbacks and completion wakers.
//!
//! A hook is registered under the task's `asyncio` lock, and only while the task is not
//! complete: `State::try_set_has_hooks` sets HAS_HOOKS in the same step, so the
//! completing thread (which sees HAS_HOOKS in the snapshot COMPLETE returns) takes the
//! lock and drains every hook that made it in. A registration that finds the task
//! complete handles its hook itself. So each hook runs exactly once, and completion
//! never takes the lock when nobody registered anything.
//!
//! Done callbacks are scheduled on the runtime (asyncio's `call_soon` per callback),
//! never run inline inside the call that completed the task; one added after completion
//! is scheduled too. Each runs in a copy of the context current where it was added
//! (asyncio's `add_done_callback(fn, context=None)`), bound to it at registration. Completion wakers (used by composition functions that wait for many
//! tasks) are woken directly or from a scheduled callback (see [`Notify`]).
//!
//! ## One FIFO list, the join waker included
//!
//! In asyncio the wake-up of a task awaiting this one is a done callback like the others
//! (`Task.__wakeup`, added when the awaiter starts awaiting), so callbacks, completion
//! wakers and the awaiter of the `Task<T>` handle are all run in registration order.
//! The join waker keeps its own lock-free slot in the header (state word: JOIN_WAKER), so
//! that a task awaited with no hooks never takes the lock; its place among the hooks is
//! recorded only when it matters, by a [`Hook::JoinWaker`] marker:
//!
//! * A hook registered while JOIN_WAKER is set (seen in the snapshot of the very
//!   read-modify-write that sets HAS_HOOKS, under the lock) first pushes the marker, if
//!   none is there: the join waker was registered before this hook.
//! * No marker means the join waker comes after every hook (it was registered after
//!   them, or no hook was added while it was set).
//! * The `Task<T>` handle polled with a different waker registers anew: after clearing
//!   JOIN_WAKER, and before setting it again, it removes the marker under the lock (only
//!   when HAS_HOOKS is set; otherwise there is none), so the new registration comes after
//!   the hooks already there and before those added once it is set.
//! * At completion the join waker is woken at the marker if the COMPLETE snapshot has
//!   JOIN_WAKER, else after the hooks; a marker without JOIN_WAKER (the handle was
//!   dropped, or was re-registering) is skipped.
//!
//! Removing a hook removes its own entry: the marker keeps its place relative to the
//! others.

use std::task::{Context, Poll, Waker};

use crate::loom::IdCounter;
use crate::runtime::exception::UserCode;
use crate::runtime::scheduler::Shared;
use crate::task::core::AsyncioFields;
use crate::task::raw::RawTask;
use crate::task::state::Snapshot;
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
    /// Where the `Task<T>` handle's join waker comes among the hooks (see the module doc).
    JoinWaker,
}

impl Hook {
    fn is_join_waker(&self) -> bool {
        matches!(self, Hook::JoinWaker)
    }
}

/// Makes room for a new hook if the task is pending (the caller holds the lock, as
/// `fields`): sets HAS_HOOKS, places the join waker's marker if the task is awaited (see
/// the module doc) and returns the list to push the hook onto; `None` if the task is
/// complete.
fn hook_list<'a>(
    header: &crate::task::core::Header,
    fields: &'a mut AsyncioFields,
) -> Option<&'a mut Vec<Hook>> {
    let snapshot = header.state.try_set_has_hooks().ok()?;
    let hooks = &mut fields.name_and_completion().hooks;
    if snapshot.is_join_waker_set() && !hooks.iter().any(Hook::is_join_waker) {
        // The awaiter of the `Task<T>` registered before this hook.
        hooks.push(Hook::JoinWaker);
    }
    Some(hooks)
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
    let f = crate::contextvars::current::bind(f);
    let id = next_callback_id();
    let header = task.header();
    let mut fields = header.fields();
    match hook_list(header, &mut fields) {
        Some(hooks) => hooks.push(Hook::Callback { id, f }),
        None => {
            drop(fields);
            schedule_callback(task.clone(), f);
        }
    }
    CallbackId(id)
}

/// Removes the done callback `id`. The closure is dropped after the task's lock is
/// released: its destructor is user code (it may own a `WaitDone` of this very task,
/// whose drop takes the lock).
pub(crate) fn remove_done_callback(task: &TaskRef, id: CallbackId) -> usize {
    let removed = {
        let mut fields = task.header().fields();
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
    let mut fields = header.fields();
    let hooks = hook_list(header, &mut fields)?;
    let id = next_callback_id();
    hooks.push(Hook::Waker {
        id,
        waker: waker.clone(),
        notify,
    });
    Some(CallbackId(id))
}

/// One waiter's completion waker on a task, kept in step with the waker it is polled
/// with: the wait of [`TaskRef::wait_done`] and of a shared `Task<T>` handle. It holds no
/// task: its owner passes it, and clears it when it stops waiting.
#[derive(Default)]
pub(crate) struct CompletionWait {
    hook: Option<(CallbackId, Waker)>,
}

impl CompletionWait {
    /// Ready once `task` is done; otherwise registers `cx`'s waker (FIFO with the done
    /// callbacks), or keeps the registration of an equivalent one.
    pub(crate) fn poll(&mut self, task: &TaskRef, cx: &mut Context<'_>) -> Poll<()> {
        if task.done() {
            self.clear(task);
            return Poll::Ready(());
        }
        if let Some((_, w)) = &self.hook {
            if w.will_wake(cx.waker()) {
                return Poll::Pending;
            }
            self.clear(task);
        }
        match add_completion_waker(task, cx.waker(), Notify::Direct) {
            Some(id) => {
                self.hook = Some((id, cx.waker().clone()));
                Poll::Pending
            }
            // Completed meanwhile.
            None => Poll::Ready(()),
        }
    }

    /// Stops waiting: the registration leaves the task.
    pub(crate) fn clear(&mut self, task: &TaskRef) {
        if let Some((id, _)) = self.hook.take() {
            remove_completion_waker(task, id);
        }
    }
}

/// Removes a completion waker (the waiter stopped waiting): no orphan left behind.
pub(crate) fn remove_completion_waker(task: &TaskRef, id: CallbackId) {
    let removed = {
        let mut fields = task.header().fields();
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

/// Number of hooks registered on a task (the join waker's marker is not one).
pub(crate) fn hook_count(task: &TaskRef) -> usize {
    task.header()
        .asyncio
        .lock()
        .name_and_completion
        .as_ref()
        .map_or(0, |r| r.hooks.iter().filter(|h| !h.is_join_waker()).count())
}

/// The `Task<T>` handle registers a new join waker: called after it cleared JOIN_WAKER
/// (the returned snapshot is `after_unset`) and before it sets it again. The old
/// registration's place among the hooks no longer applies (see the module doc).
pub(crate) fn forget_join_waker_position(
    header: &crate::task::core::Header,
    after_unset: Snapshot,
) {
    if !after_unset.has_hooks() {
        // No hook was ever registered: no marker either.
        return;
    }
    let mut fields = header.fields();
    if let Some(details) = fields.name_and_completion.as_mut() {
        details.hooks.retain(|h| !h.is_join_waker());
    }
}

/// Called by the completing thread when the COMPLETE snapshot has HAS_HOOKS. Runs the
/// hooks in registration order, calling `wake_join` (which wakes the `Task<T>` handle's
/// join waker, if `snapshot` has one) exactly once, at its place among them. The user
/// code reached from here (a completion waker that may belong to a foreign executor, the
/// destructor of what the task was suspended on) runs guarded: one panicking hook does
/// not keep the others from running.
pub(crate) fn run_on_complete(raw: RawTask, snapshot: Snapshot, wake_join: impl FnOnce()) {
    let (hooks, waiter) = {
        let mut fields = raw.header().fields();
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
        shared.run_user_code(UserCode::Destructor, Some(header), || drop(waiter));
    }
    let mut wake_join = Some(wake_join);
    if !hooks.is_empty() {
        let task = TaskRef::clone_from_raw(raw);
        for hook in hooks {
            match hook {
                Hook::Callback { f, .. } => schedule_callback(task.clone(), f),
                Hook::Waker {
                    waker,
                    notify: Notify::Direct,
                    ..
                } => shared.run_user_code(UserCode::Waker, Some(header), || waker.wake()),
                Hook::Waker {
                    waker,
                    notify: Notify::Scheduled,
                    ..
                } => schedule_wake(&task, waker),
                Hook::JoinWaker => {
                    if snapshot.is_join_waker_set() {
                        if let Some(wake) = wake_join.take() {
                            wake();
                        }
                    }
                }
            }
        }
    }
    if let Some(wake) = wake_join {
        wake();
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
