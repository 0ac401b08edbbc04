//! A task's asyncio-level fields, allocated the first time one is needed.
//!
//! ## Protocol
//! The header keeps one word, an `AtomicPtr` to a boxed `Mutex<AsyncioFields>`: null
//! until the first operation that writes an asyncio field (a `cancel(msg)`, a waiter
//! registered by an await on a runtime future, a done callback or completion waiter, a
//! recorded exception, a name), then the box, which stays until the cell is freed. A
//! first `cancel()` without a message does not allocate: it is counted in the state word
//! (INLINE_REQUEST, `state.rs`), and `Header::fields` folds it into the count when the
//! fields are next locked (so every access goes through `Header::fields` or
//! `Header::fields_existing`, not through this type directly).
//!
//! * [`LazyFields::lock`] allocates if needed. Two threads racing to allocate both build
//!   a box and `compare_exchange` it in; the loser frees its own (never shared) box and
//!   uses the winner's. The exchange is `AcqRel` and the load `Acquire`, so whoever sees
//!   the pointer sees the initialised mutex.
//! * [`LazyFields::lock_existing`] never allocates: `None` means no field was ever
//!   written, so every field still has its default value (no message, no waiter, no
//!   hooks, no request but the inline one). Seeing `None` is the same as taking the lock
//!   just before the operation that allocates (which writes under the lock it then
//!   holds), so readers that only look need no allocation and no lock: `cancelling()`,
//!   a task's name, the call-graph snapshot, unregistering a waiter, a cancelled task's
//!   message.
//! * The last owner of the cell frees the box ([`LazyFields::get_mut`] then `Drop`).
//!
//! A task that never uses an asyncio feature pays one null word in its header instead
//! of the fields themselves (72 bytes); one that does pays one allocation in its life.

use std::ptr;

use crate::loom::sync::atomic::{AtomicPtr, Ordering};
use crate::loom::{Mutex, MutexGuard};
use crate::task::core::AsyncioFields;

// `AtomicPtr` makes `LazyFields` `Send + Sync` whatever it points to; the box is locked
// and dropped from any thread, so that is sound only while the fields are `Send` (what
// `Mutex<AsyncioFields>: Sync` required when they were inline).
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<AsyncioFields>();
};

/// The asyncio-level fields behind their lock, allocated on first use (see the module
/// docs).
pub(crate) struct LazyFields {
    ptr: AtomicPtr<Mutex<AsyncioFields>>,
}

impl LazyFields {
    /// Fields not allocated yet (all defaults).
    pub(crate) fn new() -> LazyFields {
        LazyFields {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Fields allocated from the start (a task created with a name).
    pub(crate) fn with(fields: AsyncioFields) -> LazyFields {
        LazyFields {
            ptr: AtomicPtr::new(Box::into_raw(Box::new(Mutex::new(fields)))),
        }
    }

    /// `true` once the fields are allocated (a hint: they may be allocated right after).
    pub(crate) fn is_allocated(&self) -> bool {
        !self.ptr.load(Ordering::Acquire).is_null()
    }

    /// Locks the fields, allocating them first if nobody has.
    pub(crate) fn lock(&self) -> MutexGuard<'_, AsyncioFields> {
        self.get_or_alloc().lock()
    }

    /// Locks the fields if they were ever allocated; `None`: every field has its default
    /// value (see the module docs for why that reading is consistent).
    pub(crate) fn lock_existing(&self) -> Option<MutexGuard<'_, AsyncioFields>> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: a non-null pointer is a box installed by `get_or_alloc`/`with` and
        // freed only by `Drop`, which needs `&mut self`: it outlives this borrow.
        (!p.is_null()).then(|| unsafe { &*p }.lock())
    }

    /// The fields, through exclusive access (the cell's last owner); `None` if never
    /// allocated.
    pub(crate) fn get_mut(&mut self) -> Option<&mut AsyncioFields> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: as in `lock_existing`, and `&mut self` makes the access exclusive.
        (!p.is_null()).then(|| unsafe { &mut *p }.get_mut())
    }

    fn get_or_alloc(&self) -> &Mutex<AsyncioFields> {
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return self.alloc();
        }
        // SAFETY: see `lock_existing`.
        unsafe { &*p }
    }

    #[cold]
    fn alloc(&self) -> &Mutex<AsyncioFields> {
        let fresh = Box::into_raw(Box::new(Mutex::new(AsyncioFields::default())));
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: installed: it lives until `Drop` (see `lock_existing`).
            Ok(_) => unsafe { &*fresh },
            Err(installed) => {
                // SAFETY: `fresh` came from `Box::into_raw` above and was never shared.
                drop(unsafe { Box::from_raw(fresh) });
                // SAFETY: see `lock_existing`.
                unsafe { &*installed }
            }
        }
    }
}

impl Drop for LazyFields {
    fn drop(&mut self) {
        let p = self.ptr.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: the box installed by `get_or_alloc`/`with`; `&mut self`: nobody
            // else can reach it any more.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn allocates_on_first_lock_only() {
        let mut fields = LazyFields::new();
        assert!(fields.lock_existing().is_none());
        assert!(fields.get_mut().is_none());
        fields.lock().cancel.requests = 2;
        assert_eq!(fields.lock_existing().map(|f| f.cancel.requests), Some(2));
        assert_eq!(fields.get_mut().map(|f| f.cancel.requests), Some(2));
    }

    #[test]
    fn racing_allocations_agree_on_one_box() {
        let fields = LazyFields::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| fields.lock().cancel.requests += 1);
            }
        });
        assert_eq!(fields.lock_existing().map(|f| f.cancel.requests), Some(4));
    }
}
