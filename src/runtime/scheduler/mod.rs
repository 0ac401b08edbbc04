//! The work-stealing scheduler: what the workers share.
//!
//! ```text
//!             Handle::create_task / call_soon_threadsafe / wakers on foreign threads
//!                                   |
//!                                   v
//!                     +----------------------------+
//!                     |  Injector (crossbeam-deque) |<------ overflow (half of a full
//!                     +----------------------------+         local queue)
//!                       ^ every 61 ticks, and        \
//!                       | when the local queue is     \ steal_batch_and_pop
//!                       | empty                        v
//!   worker 0: [LIFO slot] [local FIFO deque] <-- steal half --> worker 1: [LIFO] [FIFO]
//! ```
//!
//! * Each worker owns a `crossbeam_deque::Worker` (FIFO) and a one-task **LIFO slot**
//!   holding the task most recently spawned or woken by the running task (message-passing
//!   locality). At most [`MAX_LIFO_POLLS`] LIFO runs in a row, then the slot's task goes
//!   to the back of the queue, so ping-pong pairs cannot starve the queue. A self-wake
//!   (`sleep(0)`, `yield_now`) always goes to the back. The slot is an atomic pointer that
//!   idle workers may steal from as a last resort, so a task woken right before its
//!   worker blocks in synchronous code is not stranded.
//! * The local queue is capped at `LOCAL_QUEUE_CAPACITY` (256; 4 under loom); on overflow
//!   the oldest half moves to the injector.
//! * An idle worker steals half of a random victim's queue, then tries the injector, spins
//!   briefly ([`Backoff`](crate::loom::backoff::Backoff)), then parks. Parking protocol and
//!   wake-up policy: `idle.rs`.
//! * **Deterministic mode**: with one worker the LIFO slot is off and the local queue has
//!   no cap, so tasks and callbacks run in exactly asyncio's FIFO `call_soon` order.
//!
//! Cross-thread pushes go through [`Shared::push_remote`], which pairs with shutdown: a
//! push that starts after the runtime closed drops its task instead of queueing it, and
//! shutdown waits for pushes in flight before the final drain, so nothing is stranded in
//! the injector (which would otherwise keep the runtime alive through the task's ref).

pub(crate) mod idle;
pub(crate) mod worker;

/// Bit 0 of `Shared::remote`: the runtime is closed.
const CLOSED: usize = 1;
/// One cross-thread push in progress, in `Shared::remote`.
const REMOTE_PUSHER: usize = 2;

use std::ptr::NonNull;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::loom::deque::{Injector, Steal, Stealer};
use crate::loom::parker::Unparker;
use crate::loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use crate::loom::sync::Arc;
use crate::loom::{Condvar, Mutex};
use crate::runtime::blocking::BlockingPool;
use crate::runtime::context;
use crate::runtime::exception::{
    call_handler, shutdown_message, ExceptionHandler, ReportedTask, UnhandledPanic, UserCode,
};
use crate::runtime::hooks::RuntimeHooks;
use crate::runtime::metrics::WorkerMetrics;
use crate::runtime::time::TimerDriver;
use crate::task::core::Header;
use crate::task::error::{PanicError, TaskError};
use crate::task::notified::Notified;
use crate::task::registry::{EagerStack, Registry};

use self::idle::Idle;

/// Ticks between forced injector checks (fairness for remote submissions).
pub(crate) const GLOBAL_QUEUE_INTERVAL: u32 = 61;
/// LIFO-slot runs in a row before the slot's task goes to the back of the queue.
pub(crate) const MAX_LIFO_POLLS: u32 = 3;

/// Where a scheduled task goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScheduleKind {
    /// A new task: LIFO slot when enabled (it likely consumes what its creator made).
    Spawn,
    /// Woken by someone else: LIFO slot when enabled.
    Wake,
    /// Woken by itself during its own poll (`sleep(0)`, `yield_now`): back of the queue.
    Yield,
    /// A `call_soon` callback: back of the queue (asyncio's FIFO).
    Callback,
}

/// Runtime settings fixed at build time.
pub(crate) struct Config {
    pub(crate) num_workers: usize,
    pub(crate) lifo_enabled: bool,
    /// The task factory: `true` for `eager_task_factory`.
    pub(crate) eager_tasks: AtomicBool,
    pub(crate) exception_handler: Option<ExceptionHandler>,
    /// What a task or callback panic does to the runtime.
    pub(crate) unhandled_panic: UnhandledPanic,
    /// `Builder::on_thread_start` and friends (see `runtime/hooks.rs`).
    pub(crate) hooks: RuntimeHooks,
}

/// The part of a worker other threads may touch.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Notified>,
    /// The LIFO slot: a `Notified` as a raw pointer, or null.
    pub(crate) lifo: AtomicPtr<Header>,
    pub(crate) unparker: Unparker,
    /// Tasks running their eager first step on this worker (eager registry).
    pub(crate) eager: EagerStack,
    /// This worker's published counters (`runtime/metrics.rs`).
    pub(crate) metrics: WorkerMetrics,
}

impl Remote {
    /// Takes the task in the LIFO slot, if any.
    pub(crate) fn take_lifo(&self) -> Option<Notified> {
        if self.lifo.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let ptr = self.lifo.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: non-null pointers in the slot come from `Notified::into_ptr`, and the
        // swap gave us sole ownership of this one.
        NonNull::new(ptr).map(|p| unsafe { Notified::from_ptr(p) })
    }

    /// Puts a task in the LIFO slot, returning the one it displaced.
    pub(crate) fn replace_lifo(&self, task: Notified) -> Option<Notified> {
        let ptr = self.lifo.swap(task.into_ptr().as_ptr(), Ordering::AcqRel);
        // SAFETY: as in `take_lifo`.
        NonNull::new(ptr).map(|p| unsafe { Notified::from_ptr(p) })
    }
}

/// A task scheduled after the runtime closed. A callback is cancelled at once (its
/// closure dropped, its handle `cancelled()`), like `call_later` on a closed runtime. A
/// task only loses this queue ref: if it is still pending, the shutdown sweep of the
/// registry cancels it (not done here, so that a chain of wake-ups from destructors
/// cannot recurse).
fn drop_after_close(task: Notified) {
    match task.kind() {
        crate::task::core::Kind::Callback => task.shutdown(),
        crate::task::core::Kind::Task => drop(task),
    }
}

/// State of the runtime as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    Running,
    Closed,
}

/// Everything the workers (and handles, and tasks) share.
pub(crate) struct Shared {
    pub(crate) injector: Injector<Notified>,
    pub(crate) remotes: Box<[CachePadded<Remote>]>,
    pub(crate) idle: Idle,
    pub(crate) timers: TimerDriver,
    pub(crate) registry: Registry,
    /// Live `TaskGroup` / timeout scopes, for the task call graph (`task/graph/`).
    pub(crate) scopes: crate::task::graph::scopes::Scopes,
    pub(crate) config: Config,
    /// The blocking-thread pool of `to_thread` / `run_in_executor` (`runtime/blocking.rs`).
    pub(crate) blocking: BlockingPool,
    /// The reactor (`io/driver.rs`), polled by the worker that sleeps with the timer duty.
    #[cfg(not(loom))]
    pub(crate) io: crate::io::driver::IoDriver,
    /// Set once by `close`; what the workers' loops and `is_closed` read. A flag of its
    /// own, written once, so that the loops' reads do not see every remote push (under
    /// loom each such read would branch over all of them).
    closed: AtomicBool,
    /// CLOSED (bit 0) and the number of cross-thread pushes in progress (the rest, in
    /// units of [`REMOTE_PUSHER`]), in one word: `push_remote` and `close` are both
    /// read-modify-writes of it, so their single modification order decides which came
    /// first, without a fence (see `push_remote`).
    remote: AtomicUsize,
    /// Workers still running, for shutdown to wait on.
    workers_alive: Mutex<usize>,
    workers_exited: Condvar,
    /// The message of the panic that shut the runtime down (`UnhandledPanic`).
    panic_shutdown: Mutex<Option<String>>,
    /// Serialises `finish_shutdown` (the dropping thread and, after a panic shutdown,
    /// the last worker to leave may both run it).
    finishing: Mutex<()>,
    /// Debug builds: cells (tasks and callbacks) allocated and not yet freed.
    #[cfg(debug_assertions)]
    pub(crate) live_cells: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        config: Config,
        stealers: Vec<Stealer<Notified>>,
        unparkers: Vec<Unparker>,
        #[cfg(not(loom))] io: crate::io::driver::IoDriver,
    ) -> Shared {
        let n = config.num_workers;
        let remotes = stealers
            .into_iter()
            .zip(unparkers)
            .map(|(stealer, unparker)| {
                CachePadded::new(Remote {
                    stealer,
                    lifo: AtomicPtr::new(std::ptr::null_mut()),
                    unparker,
                    eager: EagerStack::default(),
                    metrics: WorkerMetrics::default(),
                })
            })
            .collect();
        Shared {
            injector: Injector::new(),
            remotes,
            idle: Idle::new(n),
            timers: TimerDriver::new(),
            registry: Registry::new(),
            scopes: crate::task::graph::scopes::Scopes::new(),
            config,
            blocking: BlockingPool::new(),
            #[cfg(not(loom))]
            io,
            closed: AtomicBool::new(false),
            remote: AtomicUsize::new(0),
            workers_alive: Mutex::new(n),
            workers_exited: Condvar::new(),
            panic_shutdown: Mutex::new(None),
            finishing: Mutex::new(()),
            #[cfg(debug_assertions)]
            live_cells: AtomicUsize::new(0),
        }
    }

    pub(crate) fn lifecycle(&self) -> Lifecycle {
        if self.closed.load(Ordering::Acquire) {
            Lifecycle::Closed
        } else {
            Lifecycle::Running
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lifecycle() == Lifecycle::Closed
    }

    /// Queues a task: on this runtime's worker thread, locally; elsewhere, through the
    /// injector.
    pub(crate) fn schedule(&self, task: Notified, kind: ScheduleKind) {
        context::with_worker(|worker| match worker {
            Some(worker) if std::ptr::eq(&*worker.shared, self) => {
                worker.schedule_local(task, kind)
            }
            _ => self.push_remote(task),
        })
    }

    /// Pushes onto the injector from any thread and wakes a worker. After the runtime
    /// closed, the task is dropped instead: still-pending tasks are swept from the
    /// registry, so dropping the queue's ref loses nothing.
    pub(crate) fn push_remote(&self, task: Notified) {
        // Counting ourselves in and reading CLOSED is one read-modify-write, and so is
        // `close`'s setting of CLOSED: either ours comes first, and `close` finds us
        // counted (shutdown then waits for the count to drop before its drain), or
        // `close`'s does, and we see CLOSED and keep the task out of the queue.
        let before = self.remote.fetch_add(REMOTE_PUSHER, Ordering::Acquire);
        if before & CLOSED != 0 {
            self.remote.fetch_sub(REMOTE_PUSHER, Ordering::Release);
            drop_after_close(task);
            return;
        }
        self.injector.push(task);
        // Release: the push happens-before shutdown's drain, which reads the count (all
        // changes of the word are read-modify-writes: one release sequence) with Acquire.
        self.remote.fetch_sub(REMOTE_PUSHER, Ordering::Release);
        self.notify_parked();
    }

    /// Wakes one sleeping worker if nobody is searching.
    pub(crate) fn notify_parked(&self) {
        if let Some(i) = self.idle.worker_to_notify() {
            self.unpark_worker(i);
        }
    }

    /// After the last searcher goes to sleep: wake someone if work is sitting anywhere.
    pub(crate) fn notify_if_work_pending(&self) {
        let pending = !self.injector.is_empty()
            || self
                .remotes
                .iter()
                .any(|r| !r.stealer.is_empty() || !r.lifo.load(Ordering::Acquire).is_null());
        if pending {
            self.notify_parked();
        }
    }

    /// Wakes a specific worker, on its thread parker or, if it sleeps in the I/O driver,
    /// through the driver's `mio::Waker`.
    pub(crate) fn unpark_worker(&self, index: usize) {
        self.remotes[index].unparker.unpark();
        #[cfg(not(loom))]
        self.io.unpark(index);
    }

    /// Takes a task from the injector. With several workers, a batch comes along into
    /// `dest`'s queue (fewer trips to the shared queue). With one worker, exactly one task
    /// (`steal_injector_one`): a batch would sit in the local queue behind which the next
    /// injector check could overtake it, and remote submissions must keep their order.
    pub(crate) fn steal_injector(
        &self,
        dest: &crate::loom::deque::Worker<Notified>,
    ) -> Option<Notified> {
        if self.config.num_workers == 1 {
            return self.steal_injector_one();
        }
        loop {
            match self.injector.steal_batch_and_pop(dest) {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => crate::loom::thread::yield_now(),
            }
        }
    }

    /// Schedules a callback (asyncio's `call_soon` from inside the runtime, or a done
    /// callback). Dropped if the runtime closed.
    pub(crate) fn call_soon(this: &Arc<Self>, f: Box<dyn FnOnce() + Send + 'static>) {
        use crate::contextvars::current::TaskContext;
        use crate::runtime::callbacks::{new_callback_in, CallbackStart};
        // The runtime's own callbacks: an empty context (done callbacks carry their
        // registration context themselves, `contextvars::current::bind`).
        let (handle, _) = new_callback_in(this, f, CallbackStart::Soon, TaskContext::EMPTY);
        drop(handle);
    }

    /// Fires the due timers on this thread. A timer's waker may belong to a foreign
    /// executor (a `Sleep` polled outside a task): its wake runs guarded, so a panic there
    /// reaches the exception handler, not the worker. Returns `true` if any fired.
    pub(crate) fn fire_due_timers(&self) -> bool {
        self.timers.fire_due(|waker| self.wake_guarded(waker))
    }

    /// Wakes a waker the runtime took from a timer or an I/O registration. It may belong
    /// to a foreign executor: the wake runs guarded, a panic goes to the handler.
    pub(crate) fn wake_guarded(&self, waker: std::task::Waker) {
        self.run_user_code(UserCode::Waker, None, || waker.wake())
    }

    /// Reports an exception nobody else will see (asyncio's `call_exception_handler`).
    /// A panic in the handler is swallowed.
    pub(crate) fn report_exception(
        &self,
        message: &str,
        exception: Option<TaskError>,
        task: Option<ReportedTask>,
    ) {
        call_handler(
            self.config.exception_handler.as_ref(),
            message,
            exception,
            task,
        );
    }

    /// A task (`Some(id)`) or a callback panicked: under
    /// [`UnhandledPanic::ShutdownRuntime`] the runtime shuts down (the first panic is
    /// kept for `block_on` to report); otherwise nothing happens here.
    pub(crate) fn on_unhandled_panic(&self, task: Option<ReportedTask>, panic: &PanicError) {
        if self.config.unhandled_panic != UnhandledPanic::ShutdownRuntime {
            return;
        }
        {
            let mut cause = self.panic_shutdown.lock();
            if cause.is_none() {
                *cause = Some(shutdown_message(task, panic));
            }
        }
        self.close();
    }

    /// Debug builds: task and callback cells allocated and not yet freed (`None` in
    /// release builds), for the leak checks of the tests and loom models.
    pub(crate) fn live_cells(&self) -> Option<usize> {
        #[cfg(debug_assertions)]
        {
            Some(self.live_cells.load(Ordering::SeqCst))
        }
        #[cfg(not(debug_assertions))]
        {
            None
        }
    }

    /// Why the runtime shut down, if a panic did it (`UnhandledPanic::ShutdownRuntime`).
    pub(crate) fn panic_shutdown_cause(&self) -> Option<String> {
        self.panic_shutdown.lock().clone()
    }

    // ---- shutdown --------------------------------------------------------------------

    /// Stops accepting remote work and wakes every worker so they exit.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.remote.fetch_or(CLOSED, Ordering::SeqCst);
        for i in 0..self.remotes.len() {
            self.unpark_worker(i);
        }
    }

    /// A worker left its loop. Returns how many are still running.
    pub(crate) fn worker_exited(&self) -> usize {
        let mut alive = self.workers_alive.lock();
        *alive -= 1;
        // Every exit: a waiter may be waiting for all but one (its own) worker.
        self.workers_exited.notify_all();
        *alive
    }

    /// Waits until `except` workers are left (the caller's own worker thread, if any).
    /// Returns `false` on timeout.
    pub(crate) fn wait_workers_exited(&self, except: usize, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut alive = self.workers_alive.lock();
        while *alive > except {
            match deadline {
                None => alive = self.workers_exited.wait(alive),
                Some(d) => {
                    let now = std::time::Instant::now();
                    if now >= d {
                        return false;
                    }
                    alive = self.workers_exited.wait_timeout(alive, d - now);
                }
            }
        }
        true
    }

    /// The single-threaded end of shutdown: every queued or pending task is cancelled by
    /// force (its future dropped exactly once), timers are dropped, and the registry is
    /// emptied so no task keeps the runtime alive.
    pub(crate) fn finish_shutdown(&self) {
        debug_assert!(self.is_closed());
        let _one_at_a_time = self.finishing.lock();
        // `close` set CLOSED. Pushes counted before it are finished once the count is
        // zero; later ones saw CLOSED and dropped their task (see `push_remote`).
        let backoff = crate::loom::backoff::Backoff::new();
        while self.remote.load(Ordering::Acquire) >= REMOTE_PUSHER {
            backoff.snooze();
        }
        loop {
            let mut progressed = false;
            for r in self.remotes.iter() {
                if let Some(t) = r.take_lifo() {
                    t.shutdown();
                    progressed = true;
                }
                // Normally empty (each worker drains its own queue on exit), but a worker
                // stuck in user code past `shutdown_timeout` leaves its queue behind.
                while let Steal::Success(t) = r.stealer.steal() {
                    t.shutdown();
                    progressed = true;
                }
            }
            while let Some(t) = self.steal_injector_one() {
                t.shutdown();
                progressed = true;
            }
            for task in self.registry.close_and_drain() {
                let raw = task.raw();
                std::mem::forget(task);
                raw.shutdown();
                progressed = true;
            }
            for waker in self.timers.clear() {
                drop(waker);
                progressed = true;
            }
            // Sockets that outlive their tasks (held elsewhere) stop waiting; their wakers
            // belong to tasks that were just cancelled, so waking them does nothing.
            #[cfg(not(loom))]
            self.io.shutdown(|waker| {
                self.wake_guarded(waker);
                progressed = true;
            });
            if !progressed {
                break;
            }
        }
    }

    pub(crate) fn steal_injector_one(&self) -> Option<Notified> {
        loop {
            match self.injector.steal() {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => crate::loom::thread::yield_now(),
            }
        }
    }
}
