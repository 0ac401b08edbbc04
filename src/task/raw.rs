//! `RawTask`: the type-erased pointer to a cell, and the vtable behind it.
//!
//! Everything that does not know the future's type goes through the header's
//! `&'static Vtable`, whose entries are monomorphised shims into the [`Harness`] of that
//! type (`harness.rs`). `RawTask` owns nothing: the reference-owning wrappers around it
//! are `Notified` (a queue entry), `TaskRef` (the public type-erased handle), `Task<T>`
//! (the typed join handle) and the task's `Waker`s; the ownership rules are those of the
//! state word (`state.rs`).
//!
//! [`Harness`]: crate::task::harness::Harness

use std::future::Future;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::task::{Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicU32;
#[cfg(debug_assertions)]
use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;
use crate::runtime::scheduler::{ScheduleKind, Shared};
use crate::task::core::{AsyncioFields, Cell, Header, Kind, Stage, TaskOutcome};
use crate::task::harness::Harness;
use crate::task::lazy_fields::LazyFields;
use crate::task::notified::Notified;
use crate::task::output::IntoOutcome;
use crate::task::state::{Initial, State, TransitionToNotifiedByRef, TransitionToNotifiedByVal};
use crate::trace::TaskSpan;

/// The type-erased operations of a cell (one static table per future type and kind).
pub(crate) struct Vtable {
    pub(crate) kind: Kind,
    run: unsafe fn(NonNull<Header>),
    run_eager: unsafe fn(NonNull<Header>) -> EagerStep,
    dealloc: unsafe fn(NonNull<Header>),
    try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    read_output: unsafe fn(NonNull<Header>, &mut dyn FnMut(*const ())),
    drop_join_handle_slow: unsafe fn(NonNull<Header>),
    shutdown: unsafe fn(NonNull<Header>),
    /// The cell's span (`trace.rs`): it follows the header in `Cell<F>`, so type-erased
    /// code finds it through here.
    #[cfg(feature = "tracing")]
    trace: unsafe fn(NonNull<Header>) -> NonNull<TaskSpan>,
}

/// What an eager first step (run inline by the creator) ended with.
#[must_use]
pub(crate) enum EagerStep {
    /// The task completed (or was cancelled) during the step.
    Complete,
    /// The task suspended; it is now an ordinary scheduled task.
    Suspended,
}

/// Untyped pointer to a cell. Owns nothing: the wrappers around it own refs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a `RawTask` is only a pointer; the cell it points to is shared between threads
// exactly as the state-word protocol allows, and every future stored in a cell is `Send`
// (enforced by `RawTask::new`).
unsafe impl Send for RawTask {}
// SAFETY: as above; all shared access goes through atomics, the mutex or the RUNNING rule.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// Allocates a cell. `init.refs` references are handed to the caller.
    pub(crate) fn new<F>(
        future: F,
        scheduler: Arc<Shared>,
        id: u64,
        kind: Kind,
        init: Initial,
        fields: AsyncioFields,
    ) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        #[cfg(debug_assertions)]
        scheduler.live_cells.fetch_add(1, Ordering::Relaxed);
        let trace = TaskSpan::new_cell(kind, id, &fields);
        let cell = Box::new(Cell {
            trace,
            header: Header {
                state: State::new(init),
                vtable: vtable::<F>(kind),
                id,
                scheduler,
                join_waker: UnsafeCell::new(None),
                poll_count: AtomicU32::new(0),
                live_tokens: AtomicU32::new(0),
                asyncio: if fields.name_and_completion.is_some() {
                    LazyFields::with(fields)
                } else {
                    LazyFields::new()
                },
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    /// # Safety
    /// `ptr` must point to a live cell.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: whoever holds a `RawTask` holds (or borrows) a ref, so the cell is alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn state(&self) -> &State {
        &self.header().state
    }

    pub(crate) fn kind(&self) -> Kind {
        self.header().vtable.kind
    }

    /// Polls the task, consuming the `Notified` ref the caller held.
    pub(crate) fn run(self) {
        // SAFETY: the vtable matches the cell; the caller passes its Notified ref.
        unsafe { (self.header().vtable.run)(self.ptr) }
    }

    /// Runs the eager first step inline. The caller holds RUNNING (the cell was created
    /// with `Initial::running`) and passes the ref that stands for the running poll.
    pub(crate) fn run_eager(self) -> EagerStep {
        // SAFETY: as for `run`.
        unsafe { (self.header().vtable.run_eager)(self.ptr) }
    }

    /// The task's `tracing` span (`trace.rs`): a zero-sized `TaskSpan::NONE` without the
    /// feature.
    #[cfg_attr(not(feature = "tracing"), inline(always))]
    pub(crate) fn trace(&self) -> &TaskSpan {
        #[cfg(feature = "tracing")]
        {
            // SAFETY: the vtable matches the cell; the caller holds (or borrows) a ref,
            // so the cell, and its span (immutable after creation), outlive the borrow.
            unsafe { (self.header().vtable.trace)(self.ptr).as_ref() }
        }
        #[cfg(not(feature = "tracing"))]
        {
            &TaskSpan::NONE
        }
    }

    /// Force-cancels the task if nobody is running it, consuming one ref.
    pub(crate) fn shutdown(self) {
        // SAFETY: the vtable matches the cell; the caller passes one ref.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// # Safety
    /// `dst` must point to a `Poll<TaskOutcome<F>>` of this cell's `F`; the
    /// caller must be the `Task<T>` handle.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// Calls `read` with a pointer to the stored `TaskOutcome<F>` (null if
    /// the output is not, or no longer, there), inside a shared access to the stage.
    ///
    /// # Safety
    /// The caller must be the `Task<T>` handle of a complete task (the stage's owner)
    /// holding a shared borrow of itself for the call; `read` only reads through the
    /// pointer, typed as the cell's output.
    pub(crate) unsafe fn read_output(self, read: &mut dyn FnMut(*const ())) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.read_output)(self.ptr, read) }
    }

    /// # Safety
    /// Called once, by the `Task<T>` handle being dropped.
    pub(crate) unsafe fn drop_join_handle_slow(self) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.drop_join_handle_slow)(self.ptr) }
    }

    /// Drops one ref, freeing the cell if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.state().ref_dec() {
            self.dealloc();
        }
    }

    /// Frees the cell (the caller saw the ref count reach zero).
    pub(crate) fn dealloc(self) {
        // SAFETY: the ref count reached zero: nobody else can reach the cell.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }

    /// Wakes the task, consuming one ref (a `Waker` by value).
    pub(crate) fn wake_by_val(self) {
        match self.state().transition_to_notified_by_val() {
            TransitionToNotifiedByVal::Submit => {
                // We hold our ref plus the new one for the Notified.
                self.schedule(ScheduleKind::Wake);
                self.drop_reference();
            }
            TransitionToNotifiedByVal::Dealloc => self.dealloc(),
            TransitionToNotifiedByVal::DoNothing => {}
        }
    }

    /// Wakes the task without consuming a ref.
    pub(crate) fn wake_by_ref(self) {
        match self.state().transition_to_notified_by_ref() {
            TransitionToNotifiedByRef::Submit => self.schedule(ScheduleKind::Wake),
            TransitionToNotifiedByRef::DoNothing => {}
        }
    }

    /// Requests a force-cancel (`abort`): the future is dropped at the next chance.
    pub(crate) fn abort(self) {
        if self.state().transition_to_notified_and_cancel() {
            self.schedule(ScheduleKind::Wake);
        }
    }

    /// Submits a `Notified` for a ref the caller created for it.
    pub(crate) fn schedule(self, kind: ScheduleKind) {
        // SAFETY: the caller created a ref for exactly this Notified.
        let notified = unsafe { Notified::from_raw(self) };
        self.header().scheduler.schedule(notified, kind);
    }
}

fn vtable<F>(kind: Kind) -> &'static Vtable
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    struct Vtables<F>(PhantomData<F>);
    impl<F> Vtables<F>
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        const TASK: Vtable = Vtable {
            kind: Kind::Task,
            run: run::<F>,
            run_eager: run_eager::<F>,
            dealloc: dealloc::<F>,
            try_read_output: try_read_output::<F>,
            read_output: read_output::<F>,
            drop_join_handle_slow: drop_join_handle_slow::<F>,
            shutdown: shutdown::<F>,
            #[cfg(feature = "tracing")]
            trace: trace::<F>,
        };
        const CALLBACK: Vtable = Vtable {
            kind: Kind::Callback,
            ..Self::TASK
        };
    }
    match kind {
        Kind::Task => &Vtables::<F>::TASK,
        Kind::Callback => &Vtables::<F>::CALLBACK,
    }
}

unsafe fn run<F>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    // SAFETY: the vtable of a `Cell<F>` calls this with its own pointer.
    unsafe { Harness::<F>::from_raw(ptr) }.run()
}

unsafe fn run_eager<F>(ptr: NonNull<Header>) -> EagerStep
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.run_eager()
}

unsafe fn dealloc<F>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.dealloc()
}

unsafe fn try_read_output<F>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker)
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    // SAFETY: `dst` has the type the `Task<T>` of this cell passes (see
    // `RawTask::try_read_output`).
    let dst = unsafe { &mut *(dst as *mut Poll<TaskOutcome<F>>) };
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.try_read_output(dst, waker)
}

unsafe fn read_output<F>(ptr: NonNull<Header>, read: &mut dyn FnMut(*const ()))
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    // SAFETY: as for `run`; the caller owns the stage of the complete task.
    let harness = unsafe { Harness::<F>::from_raw(ptr) };
    // SAFETY: as above. Several threads may read it at once through `&Task<T>`, so the
    // access is a shared one: no `&mut Stage` is ever formed here.
    unsafe {
        harness.read_stage(|stage| match stage {
            Stage::Finished(out) => read(out as *const TaskOutcome<F> as *const ()),
            _ => read(std::ptr::null()),
        })
    }
}

unsafe fn drop_join_handle_slow<F>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.drop_join_handle_slow()
}

unsafe fn shutdown<F>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.shutdown()
}

#[cfg(feature = "tracing")]
unsafe fn trace<F>(ptr: NonNull<Header>) -> NonNull<TaskSpan>
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    // SAFETY: this vtable is `Cell<F>`'s, so `ptr` points to a live `Cell<F>` (the caller
    // holds a ref); the field is only borrowed, never moved.
    unsafe { NonNull::from(&(*ptr.cast::<Cell<F>>().as_ptr()).trace) }
}
