//! Test-only export surface for `loom-tests/` (compiled only with `RUSTFLAGS="--cfg loom"`).
//!
//! Thin `pub` wrappers around crate-internal items so that the loom models can drive the
//! runtime's real code from loom threads:
//!
//! * [`TaskState`]: the task state word (`task/state.rs`) and its transitions, on its own;
//! * [`Sched`]: a scheduler `Shared` built **without** worker threads. Model threads act
//!   as workers: they pop [`Runnable`]s from the injector (or a worker's queue / LIFO
//!   slot) and run them, or they enter a [`LoomWorker`] (a real `WorkerCore` with the
//!   thread's worker context set) and run the real worker loop or parts of it;
//! * [`IdleState`]: the idle-worker coordinator (`scheduler/idle.rs`);
//! * timers, the registry and shutdown through [`Sched`]'s methods.
//!
//! Nothing here changes what the runtime does; every method forwards to one internal call.

#![allow(missing_docs)]

use std::future::Future;
use std::marker::PhantomData;

use crate::loom::deque::Worker;
use crate::loom::parker::Parker;
use crate::loom::sync::atomic::AtomicBool;
use crate::loom::sync::Arc;
use crate::runtime::context::{self, WorkerGuard};
use crate::runtime::handle::Handle;
use crate::runtime::scheduler::idle::Idle;
use crate::runtime::scheduler::worker::WorkerCore;
use crate::runtime::scheduler::{Config, ScheduleKind, Shared};
use crate::task::notified::Notified;
use crate::task::spawn::{spawn, SpawnOptions, Start};
use crate::task::state::{self, State};
use crate::task::Task;

// ---- the state word ----------------------------------------------------------------

/// A task state word on its own (no cell): `task::state::State`.
pub struct TaskState(State);

/// A copy of the state word: `task::state::Snapshot`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Snap(state::Snapshot);

impl std::fmt::Debug for Snap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How a task ended (`state::Outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Returned,
    Cancelled,
    Panicked,
}

impl From<state::Outcome> for Outcome {
    fn from(o: state::Outcome) -> Self {
        match o {
            state::Outcome::Returned => Outcome::Returned,
            state::Outcome::Cancelled => Outcome::Cancelled,
            state::Outcome::Panicked => Outcome::Panicked,
        }
    }
}

impl From<Outcome> for state::Outcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Returned => state::Outcome::Returned,
            Outcome::Cancelled => state::Outcome::Cancelled,
            Outcome::Panicked => state::Outcome::Panicked,
        }
    }
}

/// `state::TransitionToRunning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToRunning {
    Success(Snap),
    Cancelled,
    Failed,
    Dealloc,
}

/// `state::TransitionToIdle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToIdle {
    Ok,
    OkNotified,
    OkDealloc,
    Cancelled,
}

/// `state::TransitionToNotifiedByVal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByVal {
    DoNothing,
    Submit,
    Dealloc,
}

/// `state::TransitionToNotifiedByRef`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByRef {
    DoNothing,
    Submit,
}

/// `state::TransitionToJoinHandleDrop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinDrop {
    pub drop_waker: bool,
    pub drop_output: bool,
}

/// `state::TransitionToShutdown`: `true` means "the caller now holds RUNNING and must
/// cancel".
pub type ShutdownCancel = bool;

impl TaskState {
    /// `State::new(Initial { .. })`.
    pub fn new(
        refs: usize,
        notified: bool,
        join_interest: bool,
        running: bool,
        registered: bool,
    ) -> TaskState {
        TaskState(State::new(state::Initial {
            refs,
            notified,
            join_interest,
            running,
            registered,
        }))
    }

    pub fn load(&self) -> Snap {
        Snap(self.0.load())
    }

    pub fn transition_to_running(&self) -> ToRunning {
        match self.0.transition_to_running() {
            state::TransitionToRunning::Success(s) => ToRunning::Success(Snap(s)),
            state::TransitionToRunning::Cancelled => ToRunning::Cancelled,
            state::TransitionToRunning::Failed => ToRunning::Failed,
            state::TransitionToRunning::Dealloc => ToRunning::Dealloc,
        }
    }

    pub fn transition_to_idle(&self) -> ToIdle {
        match self.0.transition_to_idle() {
            state::TransitionToIdle::Ok => ToIdle::Ok,
            state::TransitionToIdle::OkNotified => ToIdle::OkNotified,
            state::TransitionToIdle::OkDealloc => ToIdle::OkDealloc,
            state::TransitionToIdle::Cancelled => ToIdle::Cancelled,
        }
    }

    pub fn transition_to_complete(&self, outcome: Outcome) -> Snap {
        Snap(self.0.transition_to_complete(outcome.into()))
    }

    pub fn transition_to_terminal(&self, count: usize) -> bool {
        self.0.transition_to_terminal(count)
    }

    pub fn transition_to_notified_by_val(&self) -> ByVal {
        match self.0.transition_to_notified_by_val() {
            state::TransitionToNotifiedByVal::DoNothing => ByVal::DoNothing,
            state::TransitionToNotifiedByVal::Submit => ByVal::Submit,
            state::TransitionToNotifiedByVal::Dealloc => ByVal::Dealloc,
        }
    }

    pub fn transition_to_notified_by_ref(&self) -> ByRef {
        match self.0.transition_to_notified_by_ref() {
            state::TransitionToNotifiedByRef::DoNothing => ByRef::DoNothing,
            state::TransitionToNotifiedByRef::Submit => ByRef::Submit,
        }
    }

    pub fn transition_to_notified_and_cancel(&self) -> bool {
        self.0.transition_to_notified_and_cancel()
    }

    pub fn transition_to_shutdown(&self) -> ShutdownCancel {
        matches!(
            self.0.transition_to_shutdown(),
            state::TransitionToShutdown::Cancel
        )
    }

    pub fn transition_to_join_handle_dropped(&self) -> JoinDrop {
        let t = self.0.transition_to_join_handle_dropped();
        JoinDrop {
            drop_waker: t.drop_waker,
            drop_output: t.drop_output,
        }
    }

    pub fn set_join_waker(&self) -> Result<Snap, Snap> {
        self.0.set_join_waker().map(Snap).map_err(Snap)
    }

    pub fn unset_waker(&self) -> Result<Snap, Snap> {
        self.0.unset_waker().map(Snap).map_err(Snap)
    }

    pub fn unset_waker_after_complete(&self) -> Snap {
        Snap(self.0.unset_waker_after_complete())
    }

    pub fn set_must_cancel(&self) -> Snap {
        Snap(self.0.set_must_cancel())
    }

    pub fn clear_must_cancel(&self) -> Snap {
        Snap(self.0.clear_must_cancel())
    }

    pub fn set_has_hooks_if_pending(&self) -> bool {
        self.0.set_has_hooks_if_pending()
    }

    pub fn ref_inc(&self) {
        self.0.ref_inc()
    }

    pub fn ref_dec(&self) -> bool {
        self.0.ref_dec()
    }
}

impl Snap {
    pub fn is_idle(self) -> bool {
        self.0.is_idle()
    }
    pub fn is_running(self) -> bool {
        self.0.is_running()
    }
    pub fn is_complete(self) -> bool {
        self.0.is_complete()
    }
    pub fn is_notified(self) -> bool {
        self.0.is_notified()
    }
    pub fn is_join_interested(self) -> bool {
        self.0.is_join_interested()
    }
    pub fn is_join_waker_set(self) -> bool {
        self.0.is_join_waker_set()
    }
    pub fn is_cancelled(self) -> bool {
        self.0.is_cancelled()
    }
    pub fn is_must_cancel(self) -> bool {
        self.0.is_must_cancel()
    }
    pub fn has_hooks(self) -> bool {
        self.0.has_hooks()
    }
    pub fn outcome(self) -> Option<Outcome> {
        self.0.outcome().map(Outcome::from)
    }
    pub fn ref_count(self) -> usize {
        self.0.ref_count()
    }
}

// ---- the scheduler without worker threads --------------------------------------------

/// A scheduler `Shared` with `n` workers' remotes (stealer, LIFO slot, unparker, eager
/// stack) but no worker threads: model threads play the workers.
pub struct Sched {
    shared: Arc<Shared>,
}

/// What a worker thread would own: its local queue and parker. Enter it on a model
/// thread with [`WorkerParts::enter`].
pub struct WorkerParts {
    index: usize,
    local: Worker<Notified>,
    parker: Parker,
}

/// A queue entry (`Notified`): running it polls the task; dropping it releases the ref.
pub struct Runnable(Notified);

impl Sched {
    /// `n` fake workers; the LIFO slot is on when `n > 1` (as `Builder::build`).
    pub fn new(num_workers: usize) -> (Sched, Vec<WorkerParts>) {
        Sched::with_lifo(num_workers, num_workers > 1)
    }

    /// As [`Sched::new`] with the LIFO slot set explicitly.
    pub fn with_lifo(num_workers: usize, lifo_enabled: bool) -> (Sched, Vec<WorkerParts>) {
        let locals: Vec<Worker<Notified>> = (0..num_workers).map(|_| Worker::new_fifo()).collect();
        let parkers: Vec<Parker> = (0..num_workers).map(|_| Parker::new()).collect();
        let config = Config {
            num_workers,
            lifo_enabled,
            eager_tasks: AtomicBool::new(false),
            exception_handler: None,
            unhandled_panic: crate::runtime::exception::UnhandledPanic::Report,
        };
        let shared = Arc::new(Shared::new(
            config,
            locals.iter().map(|w| w.stealer()).collect(),
            parkers.iter().map(|p| p.unparker().clone()).collect(),
        ));
        let parts = locals
            .into_iter()
            .zip(parkers)
            .enumerate()
            .map(|(index, (local, parker))| WorkerParts {
                index,
                local,
                parker,
            })
            .collect();
        (Sched { shared }, parts)
    }

    /// A public [`Handle`] on this scheduler (`create_task`, `call_soon_threadsafe`,
    /// `call_at`, `all_tasks`, `run_coroutine_threadsafe`, ...).
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }

    /// `create_task` with a scheduled start (registry insert + queue).
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn(
            &self.shared,
            future,
            SpawnOptions {
                name: None,
                start: Start::Scheduled,
            },
        )
    }

    /// `create_task` with an eager start: inline first step on a [`LoomWorker`] of this
    /// scheduler, scheduled elsewhere.
    pub fn spawn_eager<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn(
            &self.shared,
            future,
            SpawnOptions {
                name: None,
                start: Start::Eager,
            },
        )
    }

    /// Takes one entry from the injector.
    pub fn pop_injector(&self) -> Option<Runnable> {
        loop {
            match self.shared.injector.steal() {
                crate::loom::deque::Steal::Success(t) => return Some(Runnable(t)),
                crate::loom::deque::Steal::Empty => return None,
                crate::loom::deque::Steal::Retry => crate::loom::thread::yield_now(),
            }
        }
    }

    /// Runs injector entries until it is empty; returns how many ran.
    pub fn run_injector(&self) -> usize {
        let mut n = 0;
        while let Some(t) = self.pop_injector() {
            t.run();
            n += 1;
        }
        n
    }

    pub fn injector_len(&self) -> usize {
        self.shared.injector.len()
    }

    /// Takes one entry from worker `i`'s local queue (its `Stealer::steal`).
    pub fn steal_from(&self, i: usize) -> Option<Runnable> {
        match self.shared.remotes[i].stealer.steal() {
            crate::loom::deque::Steal::Success(t) => Some(Runnable(t)),
            _ => None,
        }
    }

    /// `Remote::take_lifo` of worker `i`.
    pub fn take_lifo(&self, i: usize) -> Option<Runnable> {
        self.shared.remotes[i].take_lifo().map(Runnable)
    }

    /// `Remote::replace_lifo` of worker `i`.
    pub fn replace_lifo(&self, i: usize, task: Runnable) -> Option<Runnable> {
        self.shared.remotes[i].replace_lifo(task.0).map(Runnable)
    }

    /// `Shared::push_remote`: injector push + wake a parked worker.
    pub fn push_remote(&self, task: Runnable) {
        self.shared.push_remote(task.0)
    }

    /// `Shared::notify_parked`.
    pub fn notify_parked(&self) {
        self.shared.notify_parked()
    }

    /// The idle-worker coordinator.
    pub fn idle(&self) -> IdleState<'_> {
        IdleState(&self.shared.idle)
    }

    /// `Shared::close`: stop accepting remote work, unpark every worker.
    pub fn close(&self) {
        self.shared.close()
    }

    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// `Shared::worker_exited` (what a worker thread does when it leaves).
    pub fn worker_exited(&self) {
        let _ = self.shared.worker_exited();
    }

    /// `Shared::wait_workers_exited(except, None)`.
    pub fn wait_workers_exited(&self, except: usize) {
        let _ = self.shared.wait_workers_exited(except, None);
    }

    /// `Shared::finish_shutdown`: drains the LIFO slots, queues, injector, registry and
    /// timers, cancelling every pending task by force.
    pub fn finish_shutdown(&self) {
        self.shared.finish_shutdown()
    }

    /// Tasks in the scheduled registry.
    pub fn registry_len(&self) -> usize {
        self.shared.registry.len()
    }

    /// `TimerDriver::fire_due`: fires every due timer on this thread.
    pub fn fire_due_timers(&self) -> bool {
        self.shared.fire_due_timers()
    }

    /// Timers registered.
    pub fn timer_count(&self) -> usize {
        self.shared.timers.len()
    }

    /// Debug builds: task and callback cells allocated and not yet freed (`None` in
    /// release builds).
    pub fn live_cells(&self) -> Option<usize> {
        #[cfg(debug_assertions)]
        {
            Some(
                self.shared
                    .live_cells
                    .load(crate::loom::sync::atomic::Ordering::SeqCst),
            )
        }
        #[cfg(not(debug_assertions))]
        {
            None
        }
    }
}

impl Clone for Sched {
    fn clone(&self) -> Self {
        Sched {
            shared: self.shared.clone(),
        }
    }
}

impl Runnable {
    /// Polls the task (`Notified::run`), consuming the entry.
    pub fn run(self) {
        self.0.run()
    }

    /// Force-cancels the task unless it is running (`Notified::shutdown`).
    pub fn shutdown(self) {
        self.0.shutdown()
    }
}

impl WorkerParts {
    pub fn index(&self) -> usize {
        self.index
    }

    /// Makes this thread worker `index` of `sched`: builds a real `WorkerCore` and sets
    /// the thread's worker context, so tasks scheduled here go to the local queue / LIFO
    /// slot, and eager tasks run inline.
    pub fn enter(self, sched: &Sched) -> LoomWorker {
        let core = Box::new(WorkerCore::new(
            self.index,
            sched.shared.clone(),
            self.local,
            self.parker,
        ));
        let guard = context::enter_worker(&core);
        LoomWorker {
            _guard: guard,
            core,
            _not_send: PhantomData,
        }
    }
}

/// A real `WorkerCore` entered on the current model thread.
pub struct LoomWorker {
    // Dropped first: clears the thread's context before the core is freed.
    _guard: WorkerGuard,
    core: Box<WorkerCore>,
    _not_send: PhantomData<*const ()>,
}

impl LoomWorker {
    pub fn index(&self) -> usize {
        self.core.index
    }

    /// The real worker loop (`WorkerCore::run`) until the scheduler closes.
    pub fn run(&self) {
        self.core.run()
    }

    /// `WorkerCore::next_task`: LIFO slot, local queue, injector (injector first when
    /// `injector_first`).
    pub fn next_task(&self, injector_first: bool) -> Option<Runnable> {
        self.core.loom_next_task(injector_first).map(Runnable)
    }

    /// `WorkerCore::run_task`: runs the task, then up to 3 from the LIFO slot.
    pub fn run_task(&self, task: Runnable) {
        self.core.loom_run_task(task.0)
    }

    /// `WorkerCore::search`: steal from other workers, the injector, then the LIFO slots.
    pub fn search(&self) -> Option<Runnable> {
        self.core.loom_search().map(Runnable)
    }

    /// `WorkerCore::park`: the parking protocol (returns when woken with work or closed).
    pub fn park(&self) {
        self.core.loom_park()
    }

    /// `WorkerCore::push_back`: local queue push with the overflow of half to the
    /// injector.
    pub fn push_back(&self, task: Runnable) {
        self.core.loom_push_back(task.0)
    }

    /// `WorkerCore::schedule_local` as for a task woken by another task.
    pub fn schedule_wake(&self, task: Runnable) {
        self.core.schedule_local(task.0, ScheduleKind::Wake)
    }

    /// Tasks in the local queue.
    pub fn local_len(&self) -> usize {
        self.core.loom_local_len()
    }

    /// `WorkerCore::drain_on_exit`.
    pub fn drain_on_exit(&self) {
        self.core.drain_on_exit()
    }
}

/// The idle-worker coordinator (`scheduler/idle.rs`).
pub struct IdleState<'a>(&'a Idle);

impl IdleState<'_> {
    pub fn worker_to_notify(&self) -> Option<usize> {
        self.0.worker_to_notify()
    }
    pub fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        self.0.transition_worker_to_parked(worker, is_searching)
    }
    pub fn transition_worker_to_searching(&self) -> bool {
        self.0.transition_worker_to_searching()
    }
    pub fn transition_worker_from_searching(&self) -> bool {
        self.0.transition_worker_from_searching()
    }
    pub fn unpark_worker_by_id(&self, worker: usize) -> bool {
        self.0.unpark_worker_by_id(worker)
    }
    pub fn is_parked(&self, worker: usize) -> bool {
        self.0.is_parked(worker)
    }
}
