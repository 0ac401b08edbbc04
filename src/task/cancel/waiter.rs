//! What a task is suspended on, for forwarding `cancel()` (docs/design.md §4.2 rule 3).
//!
//! A runtime-aware awaitable that returns `Pending` inside a task registers itself as
//! the task's *waiter* (awaiting another `Task`, an `asyncio::Future`, a gather...).
//! `cancel()` on the task forwards the request to a current waiter; if the waiter accepts
//! it, the task sees the waiter's outcome (so `await inner` cancels `inner` too, with the
//! same message). The registration is tagged with the task's poll count: a waiter
//! registered in an older poll is stale (the task has moved on), so no explicit
//! "unregister" is needed on the hot path; an awaitable that completes removes its own
//! registration to release the reference early. Two different awaitables registering in
//! one poll (a `select!`) make the waiter ambiguous: cancellation then falls back to
//! *must_cancel* delivery.

use std::panic::Location;

use crate::loom::StdArc;

use crate::loom::sync::atomic::Ordering;
use crate::task::core::Header;
use crate::task::current;
use crate::task::graph::{AwaitedKind, Awaiting};
use crate::task::TaskRef;

/// An awaitable other than a task that accepts forwarded cancellations (an
/// `asyncio::Future`, a lock's wait entry, a `to_thread` job).
pub(crate) trait CancelWaiter: Send + Sync {
    /// Cancels the awaitable with `msg`; `false` if it is already done. Must not cancel
    /// tasks itself (a [`CancelFanOut`] does that through the walk of `forward.rs`).
    fn cancel_waiter(self: StdArc<Self>, msg: Option<StdArc<str>>) -> bool;

    /// What the awaitable is, for the task call graph (`task/graph/`). Called from any
    /// thread, with no task lock held.
    fn describe(&self) -> Awaiting {
        Awaiting::new(AwaitedKind::Other, None, Vec::new())
    }
}

/// An awaitable that forwards a cancellation to several tasks (a gather): the walk of
/// `forward.rs` asks [`tasks`](Self::tasks) in order, then calls
/// [`accepted`](Self::accepted) if any of them accepted.
pub(crate) trait CancelFanOut: Send + Sync {
    /// The tasks to forward to, in order.
    fn tasks(&self) -> &[TaskRef];
    /// At least one task accepted the request with `msg`: the awaitable is cancelled.
    fn accepted(&self, msg: Option<StdArc<str>>);

    /// What the awaitable is, for the task call graph (`task/graph/`). Called from any
    /// thread, with no task lock held.
    fn describe(&self) -> Awaiting {
        Awaiting::of_tasks(AwaitedKind::Other, None, self.tasks())
    }
}

/// Something a cancellation can be forwarded to.
#[derive(Clone)]
pub(crate) enum CancelTarget {
    /// Another task the task awaits, and where (the `.await`, for the call graph; it
    /// fits in the space the two-word variants take anyway, so the header does not grow).
    Task(TaskRef, &'static Location<'static>),
    /// An awaitable over several tasks (a gather).
    Tasks(StdArc<dyn CancelFanOut>),
    /// An `asyncio::Future`, a lock's wait entry, ...
    Other(StdArc<dyn CancelWaiter>),
    /// More than one awaitable registered during the same poll: forwarding is ambiguous.
    Ambiguous,
}

impl CancelTarget {
    /// `true` if this is the task `task`.
    pub(crate) fn is_task(&self, task: &TaskRef) -> bool {
        matches!(self, CancelTarget::Task(t, _) if t == task)
    }

    /// `true` if this is the awaitable (not a task) at `ptr`.
    pub(crate) fn is_awaitable(&self, ptr: *const ()) -> bool {
        match self {
            CancelTarget::Other(w) => std::ptr::addr_eq(StdArc::as_ptr(w), ptr),
            CancelTarget::Tasks(f) => std::ptr::addr_eq(StdArc::as_ptr(f), ptr),
            _ => false,
        }
    }

    fn same(&self, other: &CancelTarget) -> bool {
        match (self, other) {
            (CancelTarget::Task(a, _), CancelTarget::Task(b, _)) => a == b,
            (CancelTarget::Other(a), CancelTarget::Other(b)) => {
                std::ptr::addr_eq(StdArc::as_ptr(a), StdArc::as_ptr(b))
            }
            (CancelTarget::Tasks(a), CancelTarget::Tasks(b)) => {
                std::ptr::addr_eq(StdArc::as_ptr(a), StdArc::as_ptr(b))
            }
            _ => false,
        }
    }
}

/// What a task is suspended on, for the call graph: the waiter of its latest poll
/// (`Ambiguous` included), `None` if none or stale. The caller holds the task's
/// `asyncio` lock (passes the waiter slot).
pub(crate) fn graph_target(header: &Header, slot: &Option<Waiter>) -> Option<CancelTarget> {
    let polls = header.poll_count.load(Ordering::Relaxed);
    match slot {
        Some(w) if w.poll == polls => Some(w.target.clone()),
        _ => None,
    }
}

/// A registration in a task's cancel state.
pub(crate) struct Waiter {
    pub(crate) target: CancelTarget,
    /// The poll (see `Header::poll_count`) that registered it.
    pub(crate) poll: u32,
}

/// The current waiter of a suspended (or running) task, if one is registered for its
/// latest poll. The caller holds the task's `asyncio` lock (passes the waiter slot).
pub(crate) fn current_target(header: &Header, slot: &Option<Waiter>) -> Option<CancelTarget> {
    let polls = header.poll_count.load(Ordering::Relaxed);
    match slot {
        Some(w) if w.poll == polls => match &w.target {
            CancelTarget::Ambiguous => None,
            t => Some(t.clone()),
        },
        _ => None,
    }
}

/// Registers `target` as what the current task is suspended on. Returns `false` (and
/// registers nothing) outside a task, or if the target is the current task itself.
pub(crate) fn register(target: CancelTarget) -> bool {
    let Some(current) = current::current_raw() else {
        return false;
    };
    if let CancelTarget::Task(t, _) = &target {
        if t.raw() == current {
            return false;
        }
    }
    let header = current.header();
    let poll = header.poll_count.load(Ordering::Relaxed);
    let mut fields = header.fields();
    let target = match &fields.cancel.waiter {
        Some(w) if w.poll == poll => {
            if w.target.same(&target) {
                return true;
            }
            CancelTarget::Ambiguous
        }
        _ => target,
    };
    // The current task is running, hence not complete: this cannot fail. HAS_HOOKS
    // makes completion release the registration.
    let ok = header.state.set_has_hooks_if_pending();
    debug_assert!(ok);
    let old = fields.cancel.waiter.replace(Waiter { target, poll });
    drop(fields);
    drop(old);
    true
}

/// Removes the current task's registration, if it is the one `is_ours` recognises.
pub(crate) fn unregister(is_ours: impl FnOnce(&CancelTarget) -> bool) {
    let Some(current) = current::current_raw() else {
        return;
    };
    let Some(mut fields) = current.header().fields_existing() else {
        return;
    };
    let ours = matches!(&fields.cancel.waiter, Some(w) if is_ours(&w.target));
    let old = if ours {
        fields.cancel.waiter.take()
    } else {
        None
    };
    drop(fields);
    drop(old);
}
