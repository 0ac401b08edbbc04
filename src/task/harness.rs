//! The harness: polls, completes, cancels and frees a cell whose future type it knows.
//!
//! ## The poll protocol (`run`)
//! 1. `transition_to_running` takes RUNNING (or finds the task running, complete or
//!    force-cancelled and acts on that).
//! 2. A *must_cancel* request pending before the very first poll drops the future unpolled.
//! 3. The future is polled under `catch_unwind`, with the task entered as
//!    `current_task()` (callbacks run with no current task).
//! 4. `Ready` completes the task. The output is read as asyncio's outcome (an `Err` of a
//!    `Result` output is the task's exception, `output.rs`); for a task (not a callback)
//!    it may then become a cancellation under asyncio's `__step` rules (`cancel/step.rs`).
//! 5. `Pending` with a *must_cancel* request that was pending when the poll began and that
//!    no runtime-aware await point consumed means the task awaits something foreign: it
//!    is force-cancelled (future dropped, task ends cancelled).
//! 6. Otherwise a *must_cancel* request made during the poll (by the task on itself, or by
//!    another thread; await points leave such a request alone) gets asyncio's `__step`
//!    treatment once the coroutine has yielded: offered to the waiter the task registered
//!    in this poll, else the task is rescheduled to receive it where it resumes — one
//!    loop iteration later either way (`cancel/deliver.rs`); then `transition_to_idle`; a
//!    wake during the poll re-queues the task at the back of the queue (a self-wake is a
//!    yield).
//!
//! ## Completion (`complete`)
//! Stores the output, sets COMPLETE with the outcome, removes the task from the scheduled
//! registry, runs the completion hooks (`completion.rs`) and wakes the join waker at its
//! place among them (registration order, `hooks.rs`), and drops the refs that the poll
//! and the registry held.

use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::Ordering;
use crate::loom::StdArc;
use crate::runtime::exception::{catch_user_panic, ReportedTask, UserCode};
use crate::runtime::scheduler::ScheduleKind;
use crate::task::cancel::{self, CancelledError, PendingRequest, Raised, StepReport};
use crate::task::completion;
use crate::task::core::{next_poll_count, AsyncioFields, Cell, Header, Kind, Stage, TaskOutcome};
use crate::task::current;
use crate::task::error::{PanicError, TaskError};
use crate::task::hooks;
use crate::task::output::IntoOutcome;
use crate::task::raw::{EagerStep, RawTask};
use crate::task::state::{
    Outcome, Snapshot, State, TransitionToIdle, TransitionToRunning, TransitionToShutdown,
};
use crate::task::waker::waker_ref;
use crate::task::TaskRef;
use crate::trace::{self, TaskSpan};

/// Typed access to one cell (built from a pointer by a ref holder).
pub(crate) struct Harness<F: Future>
where
    F::Output: IntoOutcome,
{
    cell: NonNull<Cell<F>>,
}

impl<F> Harness<F>
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    /// # Safety
    /// `ptr` must point to a `Cell<F>`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn raw(&self) -> RawTask {
        // SAFETY: the harness is only built by a ref holder: the cell is alive.
        unsafe { RawTask::from_raw(self.cell.cast()) }
    }

    fn header(&self) -> &Header {
        // SAFETY: the harness is only built by a ref holder.
        unsafe { &self.cell.as_ref().header }
    }

    fn state(&self) -> &State {
        &self.header().state
    }

    /// The task's `tracing` span (`trace.rs`; zero-sized without the feature).
    fn trace(&self) -> &TaskSpan {
        // SAFETY: the harness is only built by a ref holder; the span is immutable.
        unsafe { &self.cell.as_ref().trace }
    }

    fn kind(&self) -> Kind {
        self.header().vtable.kind
    }

    /// Accesses the stage.
    ///
    /// # Safety
    /// The caller holds RUNNING, or owns the stage after COMPLETE (state-word rules).
    pub(crate) unsafe fn with_stage<R>(&self, f: impl FnOnce(&mut Stage<F>) -> R) -> R {
        // SAFETY: the cell is alive (we hold a ref); exclusive access per the caller's
        // contract.
        unsafe { self.cell.as_ref() }
            .stage
            .with_mut(|p| f(unsafe { &mut *p }))
    }

    /// Reads the stage through a shared borrow.
    ///
    /// # Safety
    /// The caller owns the stage after COMPLETE (the `Task<T>` handle): nobody writes it
    /// while the caller's shared borrow of the handle lasts.
    pub(crate) unsafe fn read_stage<R>(&self, f: impl FnOnce(&Stage<F>) -> R) -> R {
        // SAFETY: the cell is alive (we hold a ref); no writer per the caller's contract,
        // and concurrent readers only share.
        unsafe { self.cell.as_ref() }
            .stage
            .with(|p| f(unsafe { &*p }))
    }

    /// Replaces the stage, returning the old one (dropped by the caller, outside).
    ///
    /// # Safety
    /// As for [`with_stage`](Self::with_stage).
    unsafe fn set_stage(&self, stage: Stage<F>) -> Stage<F> {
        // SAFETY: forwarded contract.
        unsafe { self.with_stage(|s| mem::replace(s, stage)) }
    }

    pub(crate) fn run(self) {
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
    pub(crate) fn run_eager(self) -> EagerStep {
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
            let msg = cancel::take_must_cancel(header);
            self.cancel_and_complete(msg);
            return PollOnce::Done;
        }
        header
            .poll_count
            .store(next_poll_count(polls), Ordering::Relaxed);

        let waker = waker_ref(self.raw());
        let mut cx = Context::from_waker(&waker);
        // The task's span is entered for the poll (and left before completion).
        let entered = self.trace().enter();
        let guard = if is_task {
            current::enter(
                Some(self.raw()),
                StepReport::starting_with(snapshot.is_must_cancel()),
            )
        } else {
            current::enter(None, StepReport::NONE)
        };
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
        entered.exit();

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
                    let msg = cancel::take_must_cancel(header);
                    self.cancel_and_complete(msg);
                    return PollOnce::Done;
                }
                if is_task && self.state().load().is_must_cancel() {
                    // Made during the step: offered to what the task is now suspended on,
                    // or the task is rescheduled to receive it (a yield).
                    cancel::forward_request_made_during_step(&TaskRef::clone_from_raw(self.raw()));
                }
                PollOnce::Pending
            }
            Err(payload) => {
                let panic = PanicError::new(payload);
                if let Some(second) = self.drop_future() {
                    // The poll's panic is the task's exception; the destructor's, which
                    // followed it, is reported on its own.
                    self.report_user_code_panic(UserCode::Destructor, second);
                }
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

    /// The future returned `out`. It is read as asyncio's outcome first (an `Err` is the
    /// task's exception, `output.rs`); then asyncio's `__step` rules may turn it into a
    /// cancellation (a pending request, see `PendingRequest`, or a tracked token of the
    /// task alive in the output); then completes.
    fn complete_returned(&self, out: F::Output, request: PendingRequest) {
        let header = self.header();
        let mut result = out.into_outcome();
        if self.kind() == Kind::Task {
            let raised = match &result {
                Ok(_) => Raised::Nothing,
                Err(TaskError::Cancelled(_)) => Raised::Cancellation,
                Err(_) => Raised::Exception,
            };
            if let Some(msg) = cancel::cancellation_at_completion(header, request, raised) {
                let value = mem::replace(
                    &mut result,
                    Err(TaskError::Cancelled(CancelledError::from_shared(msg))),
                );
                // Dropped outside the lock: dropping may release tokens.
                self.run_user_code(UserCode::Destructor, || drop(value));
            } else if let Err(TaskError::Cancelled(c)) = &mut result {
                // The task raised a cancellation (its own, or one it made): it ends
                // cancelled with that message. What is stored must not count as a live
                // token of anyone any more.
                if c.is_tracked() {
                    let tracked = mem::replace(c, c.untracked());
                    self.run_user_code(UserCode::Destructor, || drop(tracked));
                }
            }
        }
        self.complete(result);
    }

    /// Stores the output and finishes the task. The caller holds RUNNING and one ref.
    ///
    /// Every piece of user code reached from here (the future's destructor, the output's,
    /// a foreign join waker, done-callback hooks, the exception handler) runs under a
    /// guard, so the bookkeeping after it always happens: the task ends complete, leaves
    /// the registry, wakes its awaiters and releases its references.
    fn complete(&self, mut result: TaskOutcome<F>) {
        let header = self.header();
        // The future is gone unless it returned just now.
        // SAFETY: we hold RUNNING.
        if unsafe { self.with_stage(|s| matches!(s, Stage::Running(_))) } {
            if let Some(panic) = self.drop_future() {
                // A destructor that panics after `Ready` turns the outcome into a panic.
                let value = mem::replace(&mut result, Err(TaskError::Panicked(panic)));
                self.run_user_code(UserCode::Destructor, || drop(value));
            }
        }
        let outcome = match &result {
            Ok(_) => Outcome::Returned,
            Err(TaskError::Cancelled(_)) => Outcome::Cancelled,
            Err(TaskError::Panicked(_) | TaskError::Exception(_)) => Outcome::Raised,
        };
        let panic = match &result {
            Err(TaskError::Panicked(p)) => Some(p.clone()),
            _ => None,
        };
        if let Err(err) = &result {
            completion::record_exception(header, err);
        }
        if self.kind() == Kind::Task {
            let how = match &result {
                Ok(_) => trace::Completion::Value,
                Err(err) => trace::Completion::Error(err),
            };
            trace::task_completed(self.trace(), header.id, how);
        }
        if let (Some(p), Kind::Callback) = (&panic, self.kind()) {
            header.scheduler.report_exception(
                "Exception in callback",
                Some(TaskError::Panicked(p.clone())),
                None,
            );
        }
        // SAFETY: we hold RUNNING; the old stage is `Consumed` (nothing to drop).
        drop(unsafe { self.set_stage(Stage::Finished(result)) });

        // Out of the scheduled registry before COMPLETE, so that whoever sees the task
        // done (an awaiter on another worker, `all_tasks()`) finds the registry already
        // without it. REGISTERED only changes under RUNNING, which we hold.
        let mut release = 1;
        if self.state().load().is_registered() {
            if let Some(entry) = header.scheduler.registry.remove(header.id) {
                // The registry's ref is released at the end, with ours.
                mem::forget(entry);
                release += 1;
            }
        }

        let snapshot = self.state().transition_to_complete(outcome);
        let terminate = &header.scheduler.config.hooks.on_task_terminate;
        if self.kind() == Kind::Task && terminate.is_some() {
            let task = TaskRef::clone_from_raw(self.raw());
            header.scheduler.run_task_hook(terminate, &task);
        }

        // The awaiting `Task<T>` is woken at its place among the done callbacks and
        // completion wakers, in registration order: in asyncio the awaiter's wake-up is
        // itself a done callback (see `hooks.rs`).
        let wake_join = || {
            if snapshot.is_join_interested() && snapshot.is_join_waker_set() {
                // SAFETY: JOIN_WAKER and COMPLETE are set: the runtime owns the waker.
                self.run_user_code(UserCode::Waker, || unsafe { self.wake_join() });
                if !self
                    .state()
                    .unset_waker_after_complete()
                    .is_join_interested()
                {
                    // SAFETY: COMPLETE and no JOIN_INTEREST: the waker slot is ours.
                    let waker = unsafe { self.set_join_waker(None) };
                    self.run_user_code(UserCode::Destructor, || drop(waker));
                }
            }
        };
        completion::run_hooks(self.raw(), snapshot, wake_join);

        if !snapshot.is_join_interested() {
            // No `Task<T>`: the output is ours to drop.
            // SAFETY: COMPLETE without JOIN_INTEREST: the stage is ours.
            let output = unsafe { self.set_stage(Stage::Consumed) };
            self.run_user_code(UserCode::Destructor, || drop(output));
        }

        if let Some(p) = &panic {
            header.scheduler.on_unhandled_panic(self.reported_task(), p);
        }

        if self.state().transition_to_terminal(release) {
            self.raw().dealloc();
        }
    }

    /// Runs user code the harness reaches (a destructor, a foreign waker) under a guard
    /// that reports a panic to the exception handler.
    #[inline]
    fn run_user_code(&self, what: UserCode, f: impl FnOnce()) {
        if let Some(panic) = catch_user_panic(f) {
            self.report_user_code_panic(what, panic);
        }
    }

    /// Reports a panic of user code the harness ran, naming the task (not a callback).
    fn report_user_code_panic(&self, what: UserCode, panic: PanicError) {
        self.header()
            .scheduler
            .report_user_code_panic(what, self.reported_task(), panic);
    }

    /// The task for a report (its id and current name); `None` for a callback cell.
    /// Takes the task's small lock.
    fn reported_task(&self) -> Option<ReportedTask> {
        (self.kind() == Kind::Task).then(|| ReportedTask::of(self.header()))
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

    /// Replaces the join waker, returning the old one (for the caller to drop where a
    /// panic in its destructor is guarded).
    ///
    /// # Safety
    /// The caller owns the join waker slot (state-word rule 3).
    #[must_use]
    unsafe fn set_join_waker(&self, waker: Option<Waker>) -> Option<Waker> {
        // SAFETY: exclusive per the caller's contract.
        self.header()
            .join_waker
            .with_mut(|w| unsafe { mem::replace(&mut *w, waker) })
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
                // A new awaiter: it comes after the hooks registered so far (`hooks.rs`).
                self.state().unset_waker().and_then(|snap| {
                    hooks::forget_join_waker_position(self.header(), snap);
                    self.store_join_waker(waker.clone(), snap)
                })
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
        // SAFETY: JOIN_WAKER is unset and we are the join handle: the slot is ours. The
        // waker it held (the handle's previous one) is dropped in the handle's poll.
        drop(unsafe { self.set_join_waker(Some(waker)) });
        let res = self.state().set_join_waker();
        if res.is_err() {
            // SAFETY: the task completed without JOIN_WAKER set: still ours.
            drop(unsafe { self.set_join_waker(None) });
        }
        res
    }

    pub(crate) fn try_read_output(&self, dst: &mut Poll<TaskOutcome<F>>, waker: &Waker) {
        if self.can_read_output(waker) {
            // SAFETY: COMPLETE and we are the join handle: the stage is ours.
            let stage = unsafe { self.set_stage(Stage::Consumed) };
            match stage {
                Stage::Finished(out) => *dst = Poll::Ready(out),
                _ => panic!("Task<T> output was already taken"),
            }
        }
    }

    /// The `Task<T>` handle is dropped: releases its interest, the output if it is there
    /// and the join waker if the handle owns it, then its ref. Destructors run guarded:
    /// the ref is released whatever they do.
    pub(crate) fn drop_join_handle_slow(self) {
        let transition = self.state().transition_to_join_handle_dropped();
        if transition.drop_output {
            // SAFETY: COMPLETE and the join handle's turn: the stage is ours.
            let output = unsafe { self.set_stage(Stage::Consumed) };
            self.run_user_code(UserCode::Destructor, || drop(output));
        }
        if transition.drop_waker {
            // SAFETY: JOIN_WAKER is unset: the slot is ours.
            let waker = unsafe { self.set_join_waker(None) };
            self.run_user_code(UserCode::Destructor, || drop(waker));
        }
        self.raw().drop_reference();
    }

    pub(crate) fn shutdown(self) {
        match self.state().transition_to_shutdown() {
            TransitionToShutdown::Cancel => self.cancel_and_complete(None),
            TransitionToShutdown::NothingToDo => self.raw().drop_reference(),
        }
    }

    /// Frees the cell (the last ref is gone). What the user put in it and may still be
    /// there (a never-run callback's closure, a join waker, done callbacks, a recorded
    /// panic's payload) is dropped first, guarded, while the runtime is still reachable to
    /// report a panic; then the cell, which holds only the runtime's own fields.
    pub(crate) fn dealloc(self) {
        completion::report_unretrieved(self.header());
        // SAFETY: the last ref is gone: nobody else can reach the cell, so the whole cell,
        // stage and join waker slot included, is ours (no locking either).
        let cell = unsafe { &mut *self.cell.as_ptr() };
        // SAFETY: as above, exclusive access to the cell.
        let stage_is_empty = cell
            .stage
            .with(|s| unsafe { matches!(&*s, Stage::Consumed) });
        // SAFETY: as above.
        let no_join_waker = cell.header.join_waker.with(|w| unsafe { (*w).is_none() });
        let mut user_fields = cell
            .header
            .asyncio
            .get_mut()
            .and_then(AsyncioFields::take_user_values);
        if !(stage_is_empty && no_join_waker && user_fields.is_none()) {
            // The name leaves the cell with the user fields: kept out of what is dropped,
            // for the report of a panic in a destructor (a move, no refcount traffic).
            let name = user_fields
                .as_mut()
                .and_then(|(details, _)| details.as_mut())
                .and_then(|details| details.name.take());
            // SAFETY: as above.
            let stage = unsafe { self.set_stage(Stage::Consumed) };
            // SAFETY: as above.
            let join_waker = unsafe { self.set_join_waker(None) };
            if let Some(panic) = catch_user_panic(move || {
                drop(stage);
                drop(join_waker);
                drop(user_fields);
            }) {
                let id = self.header().id;
                let task = (self.kind() == Kind::Task).then(|| ReportedTask {
                    id,
                    name: name.map_or_else(|| format!("Task-{id}"), |n| n.to_string()),
                });
                self.header()
                    .scheduler
                    .report_user_code_panic(UserCode::Destructor, task, panic);
            }
        }
        #[cfg(debug_assertions)]
        let scheduler = self.header().scheduler.clone();
        // SAFETY: the last ref is gone; the cell was made by `Box::new` in `RawTask::new`.
        drop(unsafe { Box::from_raw(self.cell.as_ptr()) });
        #[cfg(debug_assertions)]
        scheduler.live_cells.fetch_sub(1, Ordering::Relaxed);
    }
}

enum PollOnce {
    /// The task is complete (the poll's ref was released).
    Done,
    /// The future returned `Pending`; the caller still holds RUNNING.
    Pending,
}
