//! What the loom models inside the crate share (compiled only for
//! `RUSTFLAGS="--cfg loom" cargo test --lib`).
//!
//! The models live next to the code they check, in `src/*/tests/loom_*.rs`; this module
//! gives them:
//!
//! * [`model`]: runs a loom model (preemption bound 2 unless `LOOM_MAX_PREEMPTIONS` says
//!   otherwise) and prints how many executions loom explored;
//! * [`Sched`]: a scheduler `Shared` with N workers' remotes (stealer, LIFO slot,
//!   unparker, eager stack) but **no worker threads**: a model thread plays a worker,
//!   either by popping `Notified` queue entries from the injector / a queue / a LIFO slot
//!   and running them, or by entering a [`LoomWorker`] (a real `WorkerCore` with the
//!   thread's worker context set) and running the real worker loop or its steps;
//! * [`HandMade`]: a task cell built with `RawTask::new` in a chosen initial state, whose
//!   refs are handed out as the runtime's own wrappers (`Notified`, `Waker`, `TaskRef`,
//!   `Task<T>`), for the models of the state word driven through the real harness;
//! * bookkeeping: [`Counter`], [`DropCount`], and the futures and wakers the models use
//!   ([`PendingThen`], [`Forever`], [`WakerSlot`], [`block_on`], [`ThreadWaker`]).
//!
//! Bookkeeping counters (how many times a future was dropped, a callback ran, ...) are
//! plain `std` atomics on purpose: loom runs all model threads on one OS thread, one at a
//! time, so a `std` atomic always holds the latest value of the explored schedule, and
//! it adds no interleaving points (the state space stays that of the runtime's own
//! synchronisation). They are only read for assertions after the threads that wrote them
//! were joined (or on the thread that wrote them). Everything else comes from the facade
//! (`crate::loom`), so the models see loom's primitives.

#![allow(dead_code)]

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::deque::{Steal, Worker};
use crate::loom::parker::Parker;
use crate::loom::sync::atomic::AtomicBool;
use crate::loom::sync::Arc;
use crate::loom::{thread, IdCounter, Mutex, StdArc};
use crate::runtime::context::{self, WorkerGuard};
use crate::runtime::exception::UnhandledPanic;
use crate::runtime::handle::Handle;
use crate::runtime::scheduler::worker::WorkerCore;
use crate::runtime::scheduler::{Config, ScheduleKind, Shared};
use crate::task::core::{AsyncioFields, Kind};
use crate::task::error::TaskError;
use crate::task::notified::Notified;
use crate::task::output::{IntoOutcome, TaskOutput};
use crate::task::raw::RawTask;
use crate::task::spawn::{spawn, SpawnOptions, Start};
use crate::task::state::Initial;
use crate::task::waker::waker_from_ref;
use crate::task::{Task, TaskRef};

// ---- running a model -------------------------------------------------------------------

/// Runs a loom model. `LOOM_MAX_PREEMPTIONS` (and the other `LOOM_*` variables) apply;
/// without it the preemption bound defaults to 2 (unbounded exploration of the real
/// runtime code would not finish).
pub(crate) fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    let executions = StdArc::new(AtomicUsize::new(0));
    let n = executions.clone();
    builder.check(move || {
        n.fetch_add(1, StdOrdering::Relaxed);
        f();
    });
    // Visible with `--nocapture`: how much of the state space the bound let loom explore.
    println!(
        "loom explored {} executions (preemption bound {:?})",
        executions.load(StdOrdering::Relaxed),
        builder.preemption_bound
    );
}

/// Runs `f` with the panics whose message is `expected` kept off stderr (a model that
/// makes user code panic would otherwise print one report per explored execution).
/// Every other panic — loom's reports, failed assertions — is printed as usual.
pub(crate) fn with_quiet_panic<R>(expected: &'static str, f: impl FnOnce() -> R) -> R {
    let previous = StdArc::new(std::panic::take_hook());
    let prev = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        if msg != Some(expected) {
            (prev.as_ref())(info);
        }
    }));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    // Restores the hook `take_hook` removed (with the filter dropped, `previous` is the
    // only owner left).
    let _ = std::panic::take_hook();
    match StdArc::try_unwrap(previous) {
        Ok(hook) => std::panic::set_hook(hook),
        Err(_) => unreachable!("the filter hook was dropped"),
    }
    match out {
        Ok(v) => v,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

// ---- bookkeeping ------------------------------------------------------------------------

/// A shared bookkeeping counter (see the module docs for why it is a `std` atomic).
#[derive(Clone, Default)]
pub(crate) struct Counter(StdArc<AtomicUsize>);

impl Counter {
    pub(crate) fn new() -> Counter {
        Counter::default()
    }

    pub(crate) fn inc(&self) -> usize {
        self.0.fetch_add(1, StdOrdering::SeqCst) + 1
    }

    pub(crate) fn dec(&self) -> usize {
        self.0.fetch_sub(1, StdOrdering::SeqCst) - 1
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(StdOrdering::SeqCst)
    }
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// Increments its counter when dropped: put one in a future or an output to count drops.
#[derive(Debug)]
pub(crate) struct DropCount(pub(crate) Counter);

impl TaskOutput for DropCount {}

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.inc();
    }
}

// ---- futures and wakers -----------------------------------------------------------------

/// A waker that does nothing.
pub(crate) fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: StdArc<Self>) {}
    }
    Waker::from(StdArc::new(Noop))
}

/// Polls `fut` once with a no-op waker.
pub(crate) fn poll_once<'a, F>(fut: &'a mut F) -> Poll<<&'a mut F as IntoFuture>::Output>
where
    &'a mut F: IntoFuture,
    <&'a mut F as IntoFuture>::IntoFuture: Unpin,
{
    let waker = noop_waker();
    Pin::new(&mut fut.into_future()).poll(&mut Context::from_waker(&waker))
}

/// A waker that unparks a loom thread. Its clones share one `std::sync::Arc`, so
/// [`ThreadWaker::clones_alive`] tells how many clones (a join waker stored in a task
/// cell, say) are still around.
pub(crate) struct ThreadWaker(StdArc<Unpark>);

struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: StdArc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.unpark();
    }
}

impl ThreadWaker {
    /// A waker for the current loom thread.
    pub(crate) fn current() -> ThreadWaker {
        ThreadWaker(StdArc::new(Unpark(thread::current())))
    }

    pub(crate) fn waker(&self) -> Waker {
        Waker::from(self.0.clone())
    }

    /// Wakers made by [`waker`](Self::waker) (and their clones) not yet dropped.
    pub(crate) fn clones_alive(&self) -> usize {
        StdArc::strong_count(&self.0) - 1
    }
}

/// Drives `fut` to completion on this loom thread, parking (loom-visibly) between polls.
/// A lost wake-up leaves the thread parked forever, which loom reports as a deadlock.
pub(crate) fn block_on<F: IntoFuture>(fut: F) -> F::Output {
    let waker = ThreadWaker::current().waker();
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut.into_future());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        thread::park();
    }
}

/// A slot where a future leaves its waker for another thread (loom-visible lock: cloning
/// or dropping a task waker touches the task's state word, a loom atomic).
#[derive(Clone, Default)]
pub(crate) struct WakerSlot(Arc<Mutex<Option<Waker>>>);

impl WakerSlot {
    pub(crate) fn new() -> WakerSlot {
        WakerSlot::default()
    }

    pub(crate) fn put(&self, waker: &Waker) {
        let old = self.0.lock().replace(waker.clone());
        drop(old);
    }

    pub(crate) fn take(&self) -> Option<Waker> {
        self.0.lock().take()
    }
}

/// A future that returns `Pending` the first `pending_polls` times it is polled (leaving
/// its waker in `slot` each time), then `Ready(value)`. It counts its polls and carries a
/// [`DropCount`].
pub(crate) struct PendingThen<T> {
    pub(crate) pending_polls: usize,
    pub(crate) slot: Option<WakerSlot>,
    pub(crate) polls: Counter,
    pub(crate) value: Option<T>,
    pub(crate) _drop: DropCount,
}

impl<T: Unpin> Future for PendingThen<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let n = self.polls.inc();
        if n <= self.pending_polls {
            if let Some(slot) = &self.slot {
                slot.put(cx.waker());
            }
            return Poll::Pending;
        }
        Poll::Ready(self.value.take().expect("polled after Ready"))
    }
}

/// A future that never completes; it leaves its waker in `slot` (if any) at every poll.
pub(crate) struct Forever {
    pub(crate) slot: Option<WakerSlot>,
    pub(crate) _drop: DropCount,
}

impl Future for Forever {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(slot) = &self.slot {
            slot.put(cx.waker());
        }
        Poll::Pending
    }
}

/// `inner.await` (an outer task awaiting an inner one, registered as its waiter); it
/// leaves its waker in `slot` (if any) at every poll, so that a model can wake it again.
pub(crate) struct AwaitTask {
    pub(crate) inner: Task<()>,
    pub(crate) slot: Option<WakerSlot>,
    pub(crate) _drop: DropCount,
}

impl Future for AwaitTask {
    type Output = Result<(), TaskError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(slot) = &self.slot {
            slot.put(cx.waker());
        }
        Pin::new(&mut (&mut self.inner).into_future()).poll(cx)
    }
}

// ---- the scheduler without worker threads -----------------------------------------------

/// A scheduler `Shared` with `n` workers' remotes (stealer, LIFO slot, unparker, eager
/// stack) but no worker threads: model threads play the workers.
#[derive(Clone)]
pub(crate) struct Sched {
    pub(crate) shared: Arc<Shared>,
}

/// What a worker thread would own: its local queue and parker. Enter it on a model
/// thread with [`WorkerParts::enter`].
pub(crate) struct WorkerParts {
    index: usize,
    local: Worker<Notified>,
    parker: Parker,
}

impl Sched {
    /// `n` fake workers; the LIFO slot is on when `n > 1` (as `Builder::build`).
    pub(crate) fn new(num_workers: usize) -> (Sched, Vec<WorkerParts>) {
        let locals: Vec<Worker<Notified>> = (0..num_workers).map(|_| Worker::new_fifo()).collect();
        let parkers: Vec<Parker> = (0..num_workers).map(|_| Parker::new()).collect();
        let config = Config {
            num_workers,
            lifo_enabled: num_workers > 1,
            eager_tasks: AtomicBool::new(false),
            exception_handler: None,
            unhandled_panic: UnhandledPanic::Report,
            hooks: Default::default(),
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

    /// A [`Handle`] on this scheduler (`create_task`, `call_soon_threadsafe`, `call_at`,
    /// `all_tasks`, `run_coroutine_threadsafe`, ...).
    pub(crate) fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }

    /// `create_task` with a scheduled start (registry insert + queue).
    pub(crate) fn spawn<F>(&self, future: F) -> Task<<F::Output as IntoOutcome>::Value>
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        self.spawn_with(future, Start::Scheduled)
    }

    /// `create_task` with an eager start: inline first step on a [`LoomWorker`] of this
    /// scheduler, scheduled elsewhere.
    pub(crate) fn spawn_eager<F>(&self, future: F) -> Task<<F::Output as IntoOutcome>::Value>
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        self.spawn_with(future, Start::Eager)
    }

    fn spawn_with<F>(&self, future: F, start: Start) -> Task<<F::Output as IntoOutcome>::Value>
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        let options = SpawnOptions {
            name: None,
            start,
            context: None,
        };
        spawn(&self.shared, future, options)
    }

    /// Takes one entry from the injector.
    pub(crate) fn pop_injector(&self) -> Option<Notified> {
        self.shared.steal_injector_one()
    }

    /// Runs injector entries until it is empty; returns how many ran.
    pub(crate) fn run_injector(&self) -> usize {
        let mut n = 0;
        while let Some(t) = self.pop_injector() {
            t.run();
            n += 1;
        }
        n
    }

    pub(crate) fn injector_len(&self) -> usize {
        self.shared.injector.len()
    }

    /// Takes one entry from worker `i`'s local queue (its `Stealer::steal`).
    pub(crate) fn steal_from(&self, i: usize) -> Option<Notified> {
        match self.shared.remotes[i].stealer.steal() {
            Steal::Success(t) => Some(t),
            _ => None,
        }
    }

    /// `Remote::take_lifo` of worker `i`.
    pub(crate) fn take_lifo(&self, i: usize) -> Option<Notified> {
        self.shared.remotes[i].take_lifo()
    }

    /// `Remote::replace_lifo` of worker `i`.
    pub(crate) fn replace_lifo(&self, i: usize, task: Notified) -> Option<Notified> {
        self.shared.remotes[i].replace_lifo(task)
    }

    /// `Shared::close`: stop accepting remote work, unpark every worker.
    pub(crate) fn close(&self) {
        self.shared.close()
    }

    /// `Shared::finish_shutdown`: drains the LIFO slots, queues, injector, registry and
    /// timers, cancelling every pending task by force.
    pub(crate) fn finish_shutdown(&self) {
        self.shared.finish_shutdown()
    }

    /// Tasks in the scheduled registry.
    pub(crate) fn registry_len(&self) -> usize {
        self.shared.registry.len()
    }

    /// `TimerDriver::fire_due`: fires every due timer on this thread.
    pub(crate) fn fire_due_timers(&self) -> bool {
        self.shared.fire_due_timers()
    }

    /// Timers registered.
    pub(crate) fn timer_count(&self) -> usize {
        self.shared.timers.len()
    }

    /// References to the scheduler besides this `Sched`'s own: one per task cell still
    /// allocated (each holds the runtime's `Arc<Shared>`), plus other `Sched` clones and
    /// handles. `0` once every cell was freed and only this `Sched` is left.
    pub(crate) fn other_refs(&self) -> usize {
        Arc::strong_count(&self.shared) - 1
    }

    /// Debug builds: task and callback cells allocated and not yet freed (`None` in
    /// release builds).
    pub(crate) fn live_cells(&self) -> Option<usize> {
        self.shared.live_cells()
    }
}

impl WorkerParts {
    /// Makes this thread worker `index` of `sched`: builds a real `WorkerCore` and sets
    /// the thread's worker context, so tasks scheduled here go to the local queue / LIFO
    /// slot, and eager tasks run inline.
    pub(crate) fn enter(self, sched: &Sched) -> LoomWorker {
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
pub(crate) struct LoomWorker {
    // Dropped first: clears the thread's context before the core is freed.
    _guard: WorkerGuard,
    core: Box<WorkerCore>,
    _not_send: PhantomData<*const ()>,
}

impl LoomWorker {
    /// The real worker loop (`WorkerCore::run`) until the scheduler closes.
    pub(crate) fn run(&self) {
        self.core.run()
    }

    /// `WorkerCore::next_task`: LIFO slot, local queue, injector (injector first when
    /// `injector_first`).
    pub(crate) fn next_task(&self, injector_first: bool) -> Option<Notified> {
        self.core.loom_next_task(injector_first)
    }

    /// `WorkerCore::run_task`: runs the task, then up to 3 from the LIFO slot.
    pub(crate) fn run_task(&self, task: Notified) {
        self.core.loom_run_task(task)
    }

    /// `WorkerCore::search`: steal from other workers, the injector, then the LIFO slots.
    pub(crate) fn search(&self) -> Option<Notified> {
        self.core.loom_search()
    }

    /// `WorkerCore::push_back`: local queue push with the overflow of half to the
    /// injector.
    pub(crate) fn push_back(&self, task: Notified) {
        self.core.loom_push_back(task)
    }

    /// `WorkerCore::schedule_local` as for a task woken by another task.
    pub(crate) fn schedule_wake(&self, task: Notified) {
        self.core.schedule_local(task, ScheduleKind::Wake)
    }

    /// `WorkerCore::drain_on_exit`.
    pub(crate) fn drain_on_exit(&self) {
        self.core.drain_on_exit()
    }
}

// ---- a cell built by hand ---------------------------------------------------------------

/// A task cell made with `RawTask::new` in a chosen initial state (the models of the
/// state word start a task running, or with a waker ref, or without a registry entry),
/// whose `init.refs` references are handed out one at a time as the wrappers the runtime
/// itself uses. Every ref must be handed out (checked on drop), so the model owns all of
/// them: loom's leak check on the scheduler's `Arc` then catches a cell never freed.
pub(crate) struct HandMade<T> {
    raw: RawTask,
    refs: usize,
    join_interest: bool,
    notified: bool,
    _output: PhantomData<fn() -> T>,
}

impl<T: TaskOutput> HandMade<T> {
    /// A task cell (`Kind::Task`, not in the registry) holding `future`.
    pub(crate) fn new<F>(sched: &Sched, future: F, init: Initial) -> HandMade<T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        static IDS: IdCounter = IdCounter::new();
        assert!(!init.registered, "a hand-made cell is not in the registry");
        let raw = RawTask::new(
            future,
            sched.shared.clone(),
            IDS.next(),
            Kind::Task,
            init,
            AsyncioFields::default(),
        );
        HandMade {
            raw,
            refs: init.refs,
            join_interest: init.join_interest,
            notified: init.notified,
            _output: PhantomData,
        }
    }

    fn take_ref(&mut self) -> RawTask {
        assert!(
            self.refs > 0,
            "more refs handed out than the cell was made with"
        );
        self.refs -= 1;
        self.raw
    }

    /// The `Notified` the cell was created with (NOTIFIED set), submitted to the
    /// scheduler (from a model thread: the injector).
    pub(crate) fn schedule(&mut self) {
        assert!(std::mem::take(&mut self.notified), "one Notified per cell");
        self.take_ref().schedule(ScheduleKind::Spawn);
    }

    /// A `Waker` owning one ref.
    pub(crate) fn waker(&mut self) -> Waker {
        waker_from_ref(self.take_ref())
    }

    /// A `TaskRef` owning one ref.
    pub(crate) fn task_ref(&mut self) -> TaskRef {
        let raw = self.take_ref();
        // SAFETY: `take_ref` transferred one of the refs the cell was created with.
        unsafe { TaskRef::from_raw(raw) }
    }

    /// The `Task<T>` join handle (the cell was created with JOIN_INTEREST).
    pub(crate) fn join_handle(&mut self) -> Task<T> {
        assert!(
            std::mem::take(&mut self.join_interest),
            "one Task<T> per cell"
        );
        let raw = self.take_ref();
        // SAFETY: one ref is transferred with JOIN_INTEREST set for it, and `T` is the
        // output type of the future the cell was made with (`HandMade::new`).
        unsafe { Task::from_raw(raw) }
    }
}

impl<T> Drop for HandMade<T> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_eq!(self.refs, 0, "refs of a hand-made cell left unowned");
        }
    }
}
