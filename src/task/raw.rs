//! The task cell: header + future/output in one allocation, its vtable, and the harness
//! that polls, completes, cancels and frees it.
//!
//! ```text
//! Cell<F> (repr C, one Box)
//! +----------------------------------+
//! | Header                           |  state word, vtable, id, scheduler,
//! |                                  |  join waker, poll count, Mutex<Extra>
//! +----------------------------------+
//! | Stage<F>: Running(F)             |  the future, replaced by
//! |         | Finished(Result<..>)   |  its output when done
//! |         | Consumed               |
//! +----------------------------------+
//! ```
//!
//! Everything type-erased goes through the header's `&'static Vtable`; `RawTask` is the
//! untyped pointer, and the reference-owning wrappers are `Notified` (a queue entry),
//! `TaskRef` (the public type-erased handle), `Task<T>` (the typed join handle) and the
//! task's `Waker`s. The ownership rules are those of the state word (see `state.rs`).
//!
//! ## The poll protocol (`run`)
//! 1. `transition_to_running` takes RUNNING (or finds the task running, complete or
//!    force-cancelled and acts on that).
//! 2. A *must_cancel* request pending before the very first poll drops the future unpolled.
//! 3. The future is polled under `catch_unwind`, with the task entered as
//!    `current_task()` (callbacks run with no current task).
//! 4. `Ready` completes the task. For a task (not a callback) the value becomes a
//!    cancellation if *must_cancel* is still set or a tracked `CancelledError` of the
//!    task is alive (asyncio's `__step` rules, DESIGN §4.2).
//! 5. `Pending` with a *must_cancel* request that was pending when the poll began and that
//!    no runtime-aware await point consumed means the task awaits something foreign: it
//!    is force-cancelled (future dropped, task ends cancelled).
//! 6. Otherwise `transition_to_idle`; a wake during the poll re-queues the task at the
//!    back of the queue (a self-wake is a yield).
//!
//! Completion stores the output, sets COMPLETE with the outcome, wakes the join waker,
//! removes the task from the scheduled registry and drops the refs that the poll and the
//! registry held.

use crate::loom::StdArc;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU32, Ordering};
use crate::loom::sync::Arc;
use crate::loom::Mutex;
use crate::runtime::scheduler::{ScheduleKind, Shared};
use crate::task::cancel::CancelledError;
use crate::task::current;
use crate::task::error::{PanicError, TaskError};
use crate::task::extra::Extra;
use crate::task::notified::Notified;
use crate::task::state::{
    Initial, Outcome, Snapshot, State, TransitionToIdle, TransitionToNotifiedByRef,
    TransitionToNotifiedByVal, TransitionToRunning, TransitionToShutdown,
};
use crate::task::waker::waker_ref;

/// What a cell runs: an asyncio task, or a callback scheduled with `call_soon`/`call_later`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A task: registered, has a name, is `current_task()` while it runs.
    Task,
    /// A callback (asyncio `Handle`): never registered, runs with no current task, a panic
    /// goes to the exception handler.
    Callback,
}

/// The fixed-size part of every cell.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    /// Process-wide unique id (also the `N` of the default name `Task-N`).
    pub(crate) id: u64,
    /// The runtime the task belongs to.
    pub(crate) scheduler: Arc<Shared>,
    /// Waker of the `Task<T>` awaiting this task (protocol: JOIN_WAKER, see `state.rs`).
    join_waker: UnsafeCell<Option<Waker>>,
    /// Number of polls so far. Written only by the thread holding RUNNING; read by
    /// `cancel()` to tell a current waiter from a stale one.
    pub(crate) poll_count: AtomicU32,
    /// Tracked `CancelledError`s of this task that are alive (see `cancel.rs`).
    pub(crate) live_tokens: AtomicU32,
    /// asyncio-level fields (see `extra.rs`).
    pub(crate) extra: Mutex<Extra>,
}

pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, TaskError>),
    Consumed,
}

#[repr(C)]
struct Cell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

pub(crate) struct Vtable {
    pub(crate) kind: Kind,
    run: unsafe fn(NonNull<Header>),
    run_eager: unsafe fn(NonNull<Header>) -> EagerStep,
    dealloc: unsafe fn(NonNull<Header>),
    try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    output_ptr: unsafe fn(NonNull<Header>) -> *const (),
    drop_join_handle_slow: unsafe fn(NonNull<Header>),
    shutdown: unsafe fn(NonNull<Header>),
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
        extra: Extra,
    ) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        #[cfg(debug_assertions)]
        scheduler.live_cells.fetch_add(1, Ordering::Relaxed);
        let cell = Box::new(Cell {
            header: Header {
                state: State::new(init),
                vtable: vtable::<F>(kind),
                id,
                scheduler,
                join_waker: UnsafeCell::new(None),
                poll_count: AtomicU32::new(0),
                live_tokens: AtomicU32::new(0),
                extra: Mutex::new(extra),
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

    /// Force-cancels the task if nobody is running it, consuming one ref.
    pub(crate) fn shutdown(self) {
        // SAFETY: the vtable matches the cell; the caller passes one ref.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// # Safety
    /// `dst` must point to a `Poll<Result<F::Output, TaskError>>` of this cell's `F`; the
    /// caller must be the `Task<T>` handle.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// A pointer to the stored `Result<F::Output, TaskError>`, or null if the output is
    /// not (or no longer) there.
    ///
    /// # Safety
    /// The caller must be the `Task<T>` handle of a complete task (the stage's owner).
    pub(crate) unsafe fn output_ptr(self) -> *const () {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.output_ptr)(self.ptr) }
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

    fn dealloc(self) {
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
    F::Output: Send + 'static,
{
    struct Vtables<F>(PhantomData<F>);
    impl<F> Vtables<F>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        const TASK: Vtable = Vtable {
            kind: Kind::Task,
            run: run::<F>,
            run_eager: run_eager::<F>,
            dealloc: dealloc::<F>,
            try_read_output: try_read_output::<F>,
            output_ptr: output_ptr::<F>,
            drop_join_handle_slow: drop_join_handle_slow::<F>,
            shutdown: shutdown::<F>,
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

struct Harness<F: Future> {
    cell: NonNull<Cell<F>>,
}

impl<F> Harness<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// # Safety
    /// `ptr` must point to a `Cell<F>`.
    unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn raw(&self) -> RawTask {
        RawTask {
            ptr: self.cell.cast(),
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the harness is only built by a ref holder.
        unsafe { &self.cell.as_ref().header }
    }

    fn state(&self) -> &State {
        &self.header().state
    }

    fn kind(&self) -> Kind {
        self.header().vtable.kind
    }

    /// Accesses the stage.
    ///
    /// # Safety
    /// The caller holds RUNNING, or owns the stage after COMPLETE (state-word rules).
    unsafe fn with_stage<R>(&self, f: impl FnOnce(&mut Stage<F>) -> R) -> R {
        // SAFETY: the cell is alive (we hold a ref); exclusive access per the caller's
        // contract.
        unsafe { self.cell.as_ref() }
            .stage
            .with_mut(|p| f(unsafe { &mut *p }))
    }

    /// Replaces the stage, returning the old one (dropped by the caller, outside).
    ///
    /// # Safety
    /// As for [`with_stage`](Self::with_stage).
    unsafe fn set_stage(&self, stage: Stage<F>) -> Stage<F> {
        // SAFETY: forwarded contract.
        unsafe { self.with_stage(|s| mem::replace(s, stage)) }
    }

    fn run(self) {
        match self.state().transition_to_running() {
            TransitionToRunning::Success(snapshot) => self.poll(snapshot),
            TransitionToRunning::Cancelled => self.cancel_and_complete(None),
            TransitionToRunning::Failed => {}
            TransitionToRunning::Dealloc => self.raw().dealloc(),
        }
    }

    /// Polls once. The caller holds RUNNING and the ref the poll consumes.
    fn poll(self, snapshot: Snapshot) {
        match self.poll_once(snapshot) {
            PollOnce::Done => {}
            PollOnce::Pending => match self.state().transition_to_idle() {
                TransitionToIdle::Ok => {}
                TransitionToIdle::OkNotified => {
                    // Woken during its own poll: a yield, so to the back of the queue.
                    self.raw().schedule(ScheduleKind::Yield);
                    self.raw().drop_reference();
                }
                TransitionToIdle::OkDealloc => self.raw().dealloc(),
                TransitionToIdle::Cancelled => self.cancel_and_complete(None),
            },
        }
    }

    /// The eager first step: like `poll`, but the task may graduate to the scheduled
    /// registry before it becomes idle (so that `all_tasks()` never misses it).
    fn run_eager(self) -> EagerStep {
        let snapshot = self.state().load();
        match self.poll_once(snapshot) {
            PollOnce::Done => EagerStep::Complete,
            PollOnce::Pending => {
                if crate::task::registry::graduate(self.raw()).is_err() {
                    // The runtime is shutting down: a suspended task cannot be tracked,
                    // so it ends here, cancelled.
                    self.cancel_and_complete(None);
                    return EagerStep::Complete;
                }
                match self.state().transition_to_idle() {
                    TransitionToIdle::Ok => {}
                    TransitionToIdle::OkNotified => {
                        self.raw().schedule(ScheduleKind::Yield);
                        self.raw().drop_reference();
                    }
                    TransitionToIdle::OkDealloc => self.raw().dealloc(),
                    TransitionToIdle::Cancelled => {
                        self.cancel_and_complete(None);
                        return EagerStep::Complete;
                    }
                }
                EagerStep::Suspended
            }
        }
    }

    fn poll_once(&self, snapshot: Snapshot) -> PollOnce {
        let header = self.header();
        let polls = header.poll_count.load(Ordering::Relaxed);
        let is_task = self.kind() == Kind::Task;
        if is_task && snapshot.is_must_cancel() && polls == 0 {
            // Cancelled before its first step: the future is dropped unpolled.
            let msg = crate::task::extra::take_must_cancel(header);
            self.cancel_and_complete(msg);
            return PollOnce::Done;
        }
        header
            .poll_count
            .store(polls.wrapping_add(1), Ordering::Relaxed);

        let waker = waker_ref(self.raw());
        let mut cx = Context::from_waker(&waker);
        let guard = current::enter(if is_task { Some(self.raw()) } else { None });
        let res = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: we hold RUNNING.
            unsafe {
                self.with_stage(|stage| match stage {
                    Stage::Running(fut) => {
                        // SAFETY: the future is never moved out of the heap cell while
                        // `Running`; it is dropped in place.
                        let fut = Pin::new_unchecked(fut);
                        fut.poll(&mut cx)
                    }
                    _ => unreachable!("polled a task whose future is gone"),
                })
            }
        }));
        let report = guard.exit();

        match res {
            Ok(Poll::Ready(out)) => {
                // A request pending when the step began that nothing delivered, or one the
                // task made on itself during the step, ends it cancelled (asyncio's
                // `__step`). One from another thread that landed during the step is
                // ordered after it, as if made once the task was done.
                let request =
                    if (snapshot.is_must_cancel() && !report.delivered) || report.self_cancelled {
                        PendingRequest::Applies
                    } else {
                        PendingRequest::ArrivedAfterTheStep
                    };
                self.complete_returned(out, request);
                PollOnce::Done
            }
            Ok(Poll::Pending) => {
                if is_task
                    && snapshot.is_must_cancel()
                    && !report.delivered
                    && self.state().load().is_must_cancel()
                {
                    // Woken to be cancelled, yet no runtime-aware await point took the
                    // request: it awaits something foreign. Cancel it by force.
                    let msg = crate::task::extra::take_must_cancel(header);
                    self.cancel_and_complete(msg);
                    return PollOnce::Done;
                }
                PollOnce::Pending
            }
            Err(payload) => {
                let panic = PanicError::new(payload);
                let _ = self.drop_future();
                self.complete(Err(TaskError::Panicked(panic)));
                PollOnce::Done
            }
        }
    }

    /// Drops the future (the caller holds RUNNING). Returns the panic of its destructor.
    fn drop_future(&self) -> Option<PanicError> {
        panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: we hold RUNNING. The old stage (the future) drops here, inside
            // the unwind guard.
            drop(unsafe { self.set_stage(Stage::Consumed) });
        }))
        .err()
        .map(PanicError::new)
    }

    /// Drops the future and completes the task as cancelled with `msg`. The caller holds
    /// RUNNING and the ref that completion consumes.
    fn cancel_and_complete(&self, msg: Option<StdArc<str>>) {
        let result = match self.drop_future() {
            None => Err(TaskError::Cancelled(CancelledError::from_shared(msg))),
            Some(panic) => Err(TaskError::Panicked(panic)),
        };
        self.complete(result);
    }

    /// The future returned `out`: asyncio's `__step` rules may still turn it into a
    /// cancellation (a pending request, see `PendingRequest`, or a tracked token of the
    /// task alive in the output); then completes.
    fn complete_returned(&self, out: F::Output, request: PendingRequest) {
        let header = self.header();
        let mut result = Ok(out);
        if self.kind() == Kind::Task {
            if let Some(msg) = crate::task::extra::cancellation_at_completion(header, request) {
                let value = mem::replace(
                    &mut result,
                    Err(TaskError::Cancelled(CancelledError::from_shared(msg))),
                );
                // Dropped outside the lock: dropping may release tokens.
                drop_caught(value);
            }
        }
        self.complete(result);
    }

    /// Stores the output and finishes the task. The caller holds RUNNING and one ref.
    fn complete(&self, mut result: Result<F::Output, TaskError>) {
        let header = self.header();
        let outcome = match &result {
            Ok(_) => Outcome::Returned,
            Err(TaskError::Cancelled(_)) => Outcome::Cancelled,
            Err(TaskError::Panicked(_)) => Outcome::Panicked,
        };
        if let Err(err) = &result {
            crate::task::extra::record_exception(header, err);
        }
        if outcome == Outcome::Panicked && self.kind() == Kind::Callback {
            if let Err(TaskError::Panicked(p)) = &result {
                header
                    .scheduler
                    .report_exception("Exception in callback", Some(p.clone()), None);
            }
        }
        // The future is gone unless it returned just now.
        // SAFETY: we hold RUNNING.
        if unsafe { self.with_stage(|s| matches!(s, Stage::Running(_))) } {
            if let Some(panic) = self.drop_future() {
                // A destructor that panics after `Ready` turns the outcome into a panic.
                drop_caught(mem::replace(
                    &mut result,
                    Err(TaskError::Panicked(panic.clone())),
                ));
                crate::task::extra::record_exception(header, &TaskError::Panicked(panic));
            }
        }
        let outcome = match &result {
            Ok(_) => outcome,
            Err(TaskError::Cancelled(_)) => Outcome::Cancelled,
            Err(TaskError::Panicked(_)) => Outcome::Panicked,
        };
        // SAFETY: we hold RUNNING; the old stage is `Consumed` (nothing to drop).
        drop(unsafe { self.set_stage(Stage::Finished(result)) });

        let snapshot = self.state().transition_to_complete(outcome);

        // Out of the scheduled registry first, so that whoever the completion wakes finds
        // the registry already without it.
        let mut release = 1;
        if snapshot.is_registered() {
            if let Some(entry) = header.scheduler.registry.remove(header.id) {
                // The registry's ref is released at the end, with ours.
                mem::forget(entry);
                release += 1;
            }
        }

        // Done callbacks are queued before the awaiting `Task<T>` is woken: in asyncio the
        // awaiter's wake-up is itself a done callback, normally registered after the ones
        // added right after `create_task` (see `hooks.rs`).
        crate::task::extra::on_complete(self.raw(), snapshot);

        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            if !snapshot.is_join_interested() {
                // No `Task<T>`: the output is ours to drop.
                // SAFETY: COMPLETE without JOIN_INTEREST: the stage is ours.
                drop(unsafe { self.set_stage(Stage::Consumed) });
            } else if snapshot.is_join_waker_set() {
                // SAFETY: JOIN_WAKER and COMPLETE are set: the runtime owns the waker.
                unsafe { self.wake_join() };
                if !self
                    .state()
                    .unset_waker_after_complete()
                    .is_join_interested()
                {
                    // SAFETY: COMPLETE and no JOIN_INTEREST: the waker slot is ours.
                    unsafe { self.set_join_waker(None) };
                }
            }
        }));

        if self.state().transition_to_terminal(release) {
            self.raw().dealloc();
        }
    }

    /// # Safety
    /// JOIN_WAKER and COMPLETE are set.
    unsafe fn wake_join(&self) {
        // SAFETY: per the caller's contract the runtime owns the slot now.
        self.header().join_waker.with(|w| unsafe {
            if let Some(w) = &*w {
                w.wake_by_ref();
            }
        });
    }

    /// # Safety
    /// The caller owns the join waker slot (state-word rule 3).
    unsafe fn set_join_waker(&self, waker: Option<Waker>) {
        // SAFETY: exclusive per the caller's contract.
        let old = self
            .header()
            .join_waker
            .with_mut(|w| unsafe { mem::replace(&mut *w, waker) });
        drop(old);
    }

    unsafe fn will_wake(&self, waker: &Waker) -> bool {
        // SAFETY: the caller (the join handle with JOIN_WAKER set) may read the slot.
        self.header().join_waker.with(|w| unsafe {
            match &*w {
                Some(w) => w.will_wake(waker),
                None => false,
            }
        })
    }

    fn can_read_output(&self, waker: &Waker) -> bool {
        let snapshot = self.state().load();
        debug_assert!(snapshot.is_join_interested());
        if !snapshot.is_complete() {
            let res = if snapshot.is_join_waker_set() {
                // SAFETY: JOIN_WAKER set and we are the join handle: reading is allowed.
                if unsafe { self.will_wake(waker) } {
                    return false;
                }
                self.state()
                    .unset_waker()
                    .and_then(|snap| self.store_join_waker(waker.clone(), snap))
            } else {
                self.store_join_waker(waker.clone(), snapshot)
            };
            match res {
                Ok(_) => return false,
                Err(snap) => debug_assert!(snap.is_complete()),
            }
        }
        true
    }

    fn store_join_waker(&self, waker: Waker, snapshot: Snapshot) -> Result<Snapshot, Snapshot> {
        debug_assert!(snapshot.is_join_interested());
        debug_assert!(!snapshot.is_join_waker_set());
        // SAFETY: JOIN_WAKER is unset and we are the join handle: the slot is ours.
        unsafe { self.set_join_waker(Some(waker)) };
        let res = self.state().set_join_waker();
        if res.is_err() {
            // SAFETY: the task completed without JOIN_WAKER set: still ours.
            unsafe { self.set_join_waker(None) };
        }
        res
    }

    fn try_read_output(&self, dst: &mut Poll<Result<F::Output, TaskError>>, waker: &Waker) {
        if self.can_read_output(waker) {
            // SAFETY: COMPLETE and we are the join handle: the stage is ours.
            let stage = unsafe { self.set_stage(Stage::Consumed) };
            match stage {
                Stage::Finished(out) => *dst = Poll::Ready(out),
                _ => panic!("Task<T> output was already taken"),
            }
        }
    }

    fn drop_join_handle_slow(self) {
        let transition = self.state().transition_to_join_handle_dropped();
        if transition.drop_output {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: COMPLETE and the join handle's turn: the stage is ours.
                drop(unsafe { self.set_stage(Stage::Consumed) });
            }));
        }
        if transition.drop_waker {
            // SAFETY: JOIN_WAKER is unset: the slot is ours.
            unsafe { self.set_join_waker(None) };
        }
        self.raw().drop_reference();
    }

    fn shutdown(self) {
        match self.state().transition_to_shutdown() {
            TransitionToShutdown::Cancel => self.cancel_and_complete(None),
            TransitionToShutdown::NothingToDo => self.raw().drop_reference(),
        }
    }

    fn dealloc(self) {
        crate::task::extra::before_dealloc(self.header());
        #[cfg(debug_assertions)]
        let scheduler = self.header().scheduler.clone();
        // SAFETY: the last ref is gone; the cell was made by `Box::new` in `RawTask::new`.
        drop(unsafe { Box::from_raw(self.cell.as_ptr()) });
        #[cfg(debug_assertions)]
        scheduler.live_cells.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether a cancel request still pending when the future returns counts (DESIGN §4.2,
/// "completion with *must_cancel* still set").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingRequest {
    /// It was pending when the last step began, or the task made it on itself.
    Applies,
    /// It came from another thread while the last step ran: ordered after the step.
    ArrivedAfterTheStep,
}

enum PollOnce {
    /// The task is complete (the poll's ref was released).
    Done,
    /// The future returned `Pending`; the caller still holds RUNNING.
    Pending,
}

fn drop_caught<T>(value: T) {
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(value)));
}

unsafe fn run<F>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: the vtable of a `Cell<F>` calls this with its own pointer.
    unsafe { Harness::<F>::from_raw(ptr) }.run()
}

unsafe fn run_eager<F>(ptr: NonNull<Header>) -> EagerStep
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.run_eager()
}

unsafe fn dealloc<F>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.dealloc()
}

unsafe fn try_read_output<F>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: `dst` has the type `Task<F::Output>` passes (see `RawTask::try_read_output`).
    let dst = unsafe { &mut *(dst as *mut Poll<Result<F::Output, TaskError>>) };
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.try_read_output(dst, waker)
}

unsafe fn output_ptr<F>(ptr: NonNull<Header>) -> *const ()
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: as for `run`; the caller owns the stage of the complete task.
    let harness = unsafe { Harness::<F>::from_raw(ptr) };
    // SAFETY: as above.
    unsafe {
        harness.with_stage(|stage| match stage {
            Stage::Finished(out) => out as *const Result<F::Output, TaskError> as *const (),
            _ => std::ptr::null(),
        })
    }
}

unsafe fn drop_join_handle_slow<F>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.drop_join_handle_slow()
}

unsafe fn shutdown<F>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: as for `run`.
    unsafe { Harness::<F>::from_raw(ptr) }.shutdown()
}

/// Size of the header, for the memory test and the bench.
pub(crate) const HEADER_SIZE: usize = mem::size_of::<Header>();

/// A `Waker` borrowed from a cell without touching the ref count.
pub(crate) struct WakerRef {
    pub(crate) waker: ManuallyDrop<Waker>,
}
