//! `Notified`: the reference a run queue holds.
//!
//! Created only when a transition sets NOTIFIED and creates a ref for it
//! (`transition_to_notified_*`, `transition_to_idle` -> `OkNotified`, a new cell). Running
//! it consumes the ref; dropping it unrun (shutdown drains) shuts the task down.

use std::fmt;
use std::ptr::NonNull;

use crate::task::core::Header;
use crate::task::raw::RawTask;

/// A task reference owned by a run queue.
pub(crate) struct Notified {
    raw: RawTask,
}

impl Notified {
    /// # Safety
    /// The caller transfers one ref, created for this queue entry.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Notified {
        Notified { raw }
    }

    /// Polls the task (consumes the ref).
    pub(crate) fn run(self) {
        let raw = self.into_raw();
        raw.run();
    }

    /// Force-cancels the task if nobody runs it (shutdown), consuming the ref.
    pub(crate) fn shutdown(self) {
        let raw = self.into_raw();
        raw.shutdown();
    }

    /// Task or callback.
    pub(crate) fn kind(&self) -> crate::task::core::Kind {
        self.raw.kind()
    }

    pub(crate) fn into_raw(self) -> RawTask {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// Pointer form, for the stealable LIFO slot.
    pub(crate) fn into_ptr(self) -> NonNull<Header> {
        self.into_raw().header_ptr()
    }

    /// # Safety
    /// `ptr` came from [`Notified::into_ptr`] and is consumed.
    pub(crate) unsafe fn from_ptr(ptr: NonNull<Header>) -> Notified {
        Notified {
            // SAFETY: forwarded contract.
            raw: unsafe { RawTask::from_raw(ptr) },
        }
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for Notified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Notified({})", self.raw.header().id)
    }
}
