//! The task's `Waker`: a `RawWaker` whose data pointer is the cell header and which
//! owns one ref of the cell.
//!
//! `clone` takes a ref, `drop` releases one, `wake` consumes one
//! (`transition_to_notified_by_val`), `wake_by_ref` does not. Waking a complete task, or
//! one that is already queued, does nothing; waking a running task sets NOTIFIED so the
//! poller re-queues it. A waker may outlive the task and the runtime: the cell stays
//! allocated until the last ref is gone.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::task::core::Header;
use crate::task::raw::RawTask;

/// A `Waker` borrowed from a cell without touching the ref count.
pub(crate) struct WakerRef {
    waker: ManuallyDrop<Waker>,
}

/// A waker for the poll in progress that borrows the poll's ref instead of taking one.
pub(crate) fn waker_ref(task: RawTask) -> WakerRef {
    let raw = RawWaker::new(task.header_ptr().as_ptr() as *const (), &WAKER_VTABLE);
    // SAFETY: the vtable below upholds the RawWaker contract; `ManuallyDrop` keeps the
    // borrowed ref from being released when the poll ends.
    let waker = unsafe { Waker::from_raw(raw) };
    WakerRef {
        waker: ManuallyDrop::new(waker),
    }
}

impl std::ops::Deref for WakerRef {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// Makes an owning waker from a ref the caller gives up.
pub(crate) fn waker_from_ref(task: RawTask) -> Waker {
    let raw = RawWaker::new(task.header_ptr().as_ptr() as *const (), &WAKER_VTABLE);
    // SAFETY: the caller transferred one ref, which this waker now owns.
    unsafe { Waker::from_raw(raw) }
}

/// # Safety
/// `data` is the data pointer of a `RawWaker` built with [`WAKER_VTABLE`] (a live cell's
/// header), and the caller owns or borrows a ref that keeps the cell alive.
unsafe fn raw_task(data: *const ()) -> RawTask {
    // SAFETY: per the contract, `data` is a non-null pointer to a live header.
    unsafe { RawTask::from_raw(NonNull::new_unchecked(data as *mut Header)) }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the std `RawWaker` contract: `data` comes from a waker of this vtable,
    // which holds (or borrows) a ref for the duration of the call.
    unsafe { raw_task(data) }.state().ref_inc();
    RawWaker::new(data, &WAKER_VTABLE)
}

unsafe fn wake_by_val(data: *const ()) {
    // SAFETY: as in `clone_waker`; the waker's own ref is consumed here.
    unsafe { raw_task(data) }.wake_by_val();
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: as in `clone_waker`.
    unsafe { raw_task(data) }.wake_by_ref();
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: as in `clone_waker`; the waker's own ref is released here.
    unsafe { raw_task(data) }.drop_reference();
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake_by_val, wake_by_ref, drop_waker);
