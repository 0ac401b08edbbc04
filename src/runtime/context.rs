//! Thread-local runtime context: the worker running on this thread, if any.
//!
//! Worker threads point the context at their `WorkerCore` for their whole life; every
//! other thread has none. Scheduling consults it to push locally, `create_task` to find
//! the runtime, eager start to run inline.

use std::cell::Cell;
use std::ptr;

use crate::loom::sync::Arc;
use crate::runtime::scheduler::worker::WorkerCore;
use crate::runtime::scheduler::Shared;
use crate::task::current;

crate::loom::thread_local_const! {
    static WORKER: Cell<*const WorkerCore> = Cell::new(ptr::null());
}

/// Clears the context when the worker leaves its loop.
pub(crate) struct WorkerGuard {
    _private: (),
}

/// Marks this thread as running `core` until the guard drops.
pub(crate) fn enter_worker(core: &WorkerCore) -> WorkerGuard {
    WORKER.with(|w| {
        debug_assert!(w.get().is_null(), "a thread runs at most one worker");
        w.set(core as *const WorkerCore);
    });
    WorkerGuard { _private: () }
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let _ = WORKER.try_with(|w| w.set(ptr::null()));
    }
}

/// Calls `f` with this thread's worker, if it is one.
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerCore>) -> R) -> R {
    let ptr = WORKER.try_with(|w| w.get()).unwrap_or(ptr::null());
    // SAFETY: the pointer is set by `enter_worker` from a `WorkerCore` that outlives the
    // guard, and cleared before the core is dropped; only this thread reads it.
    let core = unsafe { ptr.as_ref() };
    f(core)
}

/// `true` on a worker thread of any runtime.
pub(crate) fn is_worker_thread() -> bool {
    with_worker(|w| w.is_some())
}

/// The runtime of the current worker thread, or of the task being polled.
pub(crate) fn current_shared() -> Option<Arc<Shared>> {
    with_worker(|w| w.map(|w| w.shared.clone()))
        .or_else(|| current::current_raw().map(|raw| raw.header().scheduler.clone()))
}
