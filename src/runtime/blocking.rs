//! `to_thread` / `Handle::run_in_executor`: the runtime's blocking-thread pool
//! (asyncio's default `ThreadPoolExecutor`).
//!
//! ## The pool
//! Owned by the runtime (`Shared::blocking`). Threads are created on demand, up to
//! `Builder::max_blocking_threads` (default: asyncio's `min(32, cpus + 4)`); a job is
//! given to an idle thread if there is one, else to a new thread if the maximum allows,
//! else it waits in a FIFO queue. An idle thread exits after `Builder::blocking_keep_alive`
//! (default 10 s) without work.
//!
//! The job queue is **unbounded**, deliberately, as asyncio's default executor's and
//! tokio's `spawn_blocking` queue are: `to_thread` returns its future at once and cannot
//! push back on its caller without becoming fallible or blocking a worker. What bounds
//! the work is the thread cap; a program that may submit without limit bounds itself,
//! e.g. with an `asyncio::Semaphore` held around each `to_thread(..).await`.
//! The threads get `Builder::thread_stack_size` too (as tokio's blocking threads do).
//!
//! ## Shutdown (tokio's approach)
//! When the runtime shuts down, the pool stops accepting jobs and **drops the jobs that
//! have not started** (their awaiters, if any, get a `CancelledError`). Running jobs are
//! not interrupted (threads cannot be); the shutdown waits for them at most
//! `Builder::blocking_shutdown_timeout` (default 10 s, or the timeout given to
//! `Runtime::shutdown_timeout`), then leaves them to finish on their own, detached.
//! A runtime dropped from one of its own blocking threads does not wait for that thread.
//!
//! ## Awaiting a job
//! [`ToThread`] resolves to `Result<T, TaskError>`: the closure's value, or
//! `TaskError::Panicked` if it panicked (the panic is caught on the blocking thread). It
//! is a runtime-aware await point: a pending cancellation of the awaiting task is
//! delivered first, and `cancel()` on a task suspended on it is forwarded to it (as
//! asyncio cancels the future `run_in_executor` returned): the awaiter gets
//! `CancelledError` at once; a job not yet started then never starts (asyncio's
//! `concurrent.futures` cancel), a running one **keeps running** and its result is
//! dropped. Dropping the `ToThread` future (without a cancellation) detaches the job, as
//! dropping a task handle does: it still runs, its result is dropped.
//!
//! ## Under `cfg(loom)` (`asyncio::testing`)
//! The pool is not available: its threads wait with timeouts (keep-alive) and would run
//! user code that blocks outside the model. A job is never submitted; awaiting it gives
//! `TaskError::Exception` holding a [`RuntimeError`](crate::RuntimeError) that says
//! `to_thread` / `run_in_executor` is not supported under loom (the model fails with that
//! message instead of hanging). Run the work inline in the model instead.

// Under loom no job is submitted (see above): the pool's machinery is compiled but unused.
#![cfg_attr(loom, allow(dead_code))]

use crate::loom::StdArc;
use crate::runtime::hooks::ThreadHook;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::loom::sync::Arc;
use crate::loom::{Condvar, Mutex};
use crate::runtime::context;
use crate::runtime::exception::{call_handler, catch_user_panic, ExceptionHandler};
use crate::runtime::scheduler::Shared;
use crate::runtime::Handle;
use crate::task::cancel::waiter::{self, CancelTarget, CancelWaiter};
use crate::task::cancel::{cancelled_error, deliver_pending_cancel};
use crate::task::error::{PanicError, TaskError};

/// asyncio's default executor size: `min(32, os.cpu_count() + 4)`.
pub(crate) fn default_max_threads() -> usize {
    (num_cpus::get() + 4).min(32)
}

/// Default idle time after which a blocking thread exits.
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Default bound on waiting for running blocking jobs at shutdown.
pub(crate) const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Settings of the pool (set by the `Builder`).
#[derive(Clone)]
pub(crate) struct BlockingConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) thread_name: String,
    /// `Builder::thread_stack_size`, shared with the workers.
    pub(crate) stack_size: Option<usize>,
    /// The runtime's exception handler, for panics in wakers or destructors a blocking
    /// thread runs after a job (the job's own panic is its result).
    pub(crate) exception_handler: Option<ExceptionHandler>,
    /// `Builder::on_thread_start` / `on_thread_stop` (see `runtime/hooks.rs`).
    pub(crate) on_thread_start: Option<ThreadHook>,
    pub(crate) on_thread_stop: Option<ThreadHook>,
}

impl Default for BlockingConfig {
    fn default() -> Self {
        BlockingConfig {
            max_threads: default_max_threads(),
            keep_alive: DEFAULT_KEEP_ALIVE,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            thread_name: "asyncio-blocking".to_owned(),
            stack_size: None,
            exception_handler: None,
            on_thread_start: None,
            on_thread_stop: None,
        }
    }
}

/// What `RuntimeMetrics` reports of the pool (`BlockingPool::stats`).
pub(crate) struct BlockingStats {
    pub(crate) threads: usize,
    pub(crate) idle: usize,
    pub(crate) queued: usize,
}

/// The runtime's blocking-thread pool.
pub(crate) struct BlockingPool {
    inner: StdArc<PoolInner>,
}

struct PoolInner {
    state: Mutex<PoolState>,
    /// Signalled when a job is queued (for idle threads) and at shutdown.
    work: Condvar,
    /// Signalled when a thread exits.
    exited: Condvar,
}

struct PoolState {
    queue: VecDeque<Job>,
    /// Threads alive.
    threads: usize,
    /// Threads waiting for work.
    idle: usize,
    /// Idle threads notified and not yet awake (so a burst of jobs does not count the
    /// same idle thread twice).
    notified: usize,
    closed: bool,
    next_thread_id: usize,
    config: BlockingConfig,
}

crate::loom::thread_local_const! {
    /// The pool this thread belongs to (its address), 0 for none.
    static POOL_OF_THREAD: std::cell::Cell<usize> = std::cell::Cell::new(0);
}

impl BlockingPool {
    pub(crate) fn new() -> BlockingPool {
        BlockingPool {
            inner: StdArc::new(PoolInner {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    notified: 0,
                    closed: false,
                    next_thread_id: 0,
                    config: BlockingConfig::default(),
                }),
                work: Condvar::new(),
                exited: Condvar::new(),
            }),
        }
    }

    pub(crate) fn configure(&self, config: BlockingConfig) {
        self.inner.state.lock().config = config;
    }

    pub(crate) fn shutdown_timeout(&self) -> Duration {
        self.inner.state.lock().config.shutdown_timeout
    }

    /// Threads alive (running a job or idle).
    pub(crate) fn num_threads(&self) -> usize {
        self.inner.state.lock().threads
    }

    /// Threads, idle threads not yet handed a job, and jobs not started (for the
    /// metrics; under the pool's lock).
    pub(crate) fn stats(&self) -> BlockingStats {
        let st = self.inner.state.lock();
        BlockingStats {
            threads: st.threads,
            idle: st.idle.saturating_sub(st.notified),
            queued: st.queue.len(),
        }
    }

    /// Queues `job`; gives it back if the pool is shut down.
    fn spawn(&self, job: Job) -> Result<(), Job> {
        let mut st = self.inner.state.lock();
        if st.closed {
            return Err(job);
        }
        st.queue.push_back(job);
        if st.idle > st.notified {
            st.notified += 1;
            drop(st);
            self.inner.work.notify_one();
            return Ok(());
        }
        if st.threads >= st.config.max_threads.max(1) {
            // Runs when a thread frees up.
            return Ok(());
        }
        st.threads += 1;
        let id = st.next_thread_id;
        st.next_thread_id += 1;
        let mut builder =
            crate::loom::thread::Builder::new().name(format!("{}-{id}", st.config.thread_name));
        if let Some(size) = st.config.stack_size {
            builder = builder.stack_size(size);
        }
        drop(st);
        let inner = self.inner.clone();
        if builder.spawn(move || inner.run()).is_err() {
            let mut st = self.inner.state.lock();
            st.threads -= 1;
            if st.threads == 0 {
                // Nobody will ever run it: give it back (the newest job is ours).
                return Err(st.queue.pop_back().expect("the job just queued"));
            }
        }
        Ok(())
    }

    /// Stops accepting jobs, drops the queued ones, tells idle threads to exit.
    pub(crate) fn close(&self) {
        let dropped = {
            let mut st = self.inner.state.lock();
            st.closed = true;
            std::mem::take(&mut st.queue)
        };
        self.inner.work.notify_all();
        // Outside the lock: dropping a job wakes its awaiter and drops its closure.
        for job in dropped {
            self.inner.run_guarded(move || drop(job));
        }
    }

    /// Waits at most `timeout` for the pool's threads (other than the calling one) to
    /// exit; `false` if some are still running.
    pub(crate) fn wait_exited(&self, timeout: Duration) -> bool {
        let me = StdArc::as_ptr(&self.inner) as usize;
        let except = usize::from(POOL_OF_THREAD.with(|p| p.get()) == me);
        let deadline = Instant::now().checked_add(timeout);
        let mut st = self.inner.state.lock();
        while st.threads > except {
            let now = Instant::now();
            match deadline {
                Some(d) if now >= d => return false,
                Some(d) => st = self.inner.exited.wait_timeout(st, d - now),
                None => st = self.inner.exited.wait(st),
            }
        }
        true
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        self.close();
    }
}

impl PoolInner {
    /// Runs `f`; a panic is reported to the runtime's exception handler.
    fn run_guarded(&self, f: impl FnOnce()) {
        self.run_reported(
            "Exception in a waker or destructor run by a blocking thread",
            f,
        );
    }

    /// Runs a thread hook of the runtime, guarded.
    fn run_hook(&self, hook: Option<ThreadHook>) {
        if let Some(hook) = hook {
            self.run_reported("Exception in a runtime hook", || hook());
        }
    }

    /// Runs `f`; a panic is reported to the runtime's exception handler as `what`.
    fn run_reported(&self, what: &str, f: impl FnOnce()) {
        if let Some(panic) = catch_user_panic(f) {
            let handler = self.state.lock().config.exception_handler.clone();
            call_handler(
                handler.as_ref(),
                what,
                Some(TaskError::Panicked(panic)),
                None,
            );
        }
    }

    /// A blocking thread's life.
    fn run(self: StdArc<Self>) {
        POOL_OF_THREAD.with(|p| p.set(StdArc::as_ptr(&self) as usize));
        let (start, stop) = {
            let st = self.state.lock();
            (
                st.config.on_thread_start.clone(),
                st.config.on_thread_stop.clone(),
            )
        };
        self.run_hook(start);
        let mut st = self.state.lock();
        loop {
            if let Some(job) = st.queue.pop_front() {
                drop(st);
                // The closure's own panic is caught into the job's result; what runs after
                // it (waking the awaiter, dropping an unclaimed result) is user code too,
                // and must not kill this thread: its count would be lost.
                self.run_guarded(job);
                st = self.state.lock();
                continue;
            }
            if st.closed {
                break;
            }
            let keep_alive = st.config.keep_alive;
            let deadline = Instant::now() + keep_alive;
            st.idle += 1;
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                st = self.work.wait_timeout(st, deadline - now);
                if st.notified > 0 {
                    st.notified -= 1;
                    break;
                }
                if st.closed || !st.queue.is_empty() {
                    break;
                }
            }
            st.idle -= 1;
            if st.queue.is_empty() && !st.closed && Instant::now() >= deadline {
                break;
            }
        }
        // The stop hook runs while the thread still counts (a shutdown waits for it).
        drop(st);
        self.run_hook(stop);
        let mut st = self.state.lock();
        st.threads -= 1;
        drop(st);
        self.exited.notify_all();
    }
}

// ---- the job's result slot -----------------------------------------------------------

enum SlotState<T> {
    /// Not finished; `started` once a thread runs it.
    Pending {
        waker: Option<Waker>,
        started: bool,
    },
    Done(Result<T, PanicError>),
    /// The awaiter was cancelled: a job not started will not start.
    Cancelled(Option<StdArc<str>>),
    /// The job was dropped unrun (the pool shut down).
    Dropped,
    /// Under loom the pool is not available: the job is never submitted.
    #[cfg(loom)]
    Unsupported,
    /// The outcome was taken.
    Taken,
}

struct Slot<T> {
    state: Mutex<SlotState<T>>,
}

impl<T> Slot<T> {
    /// Marks the job started; `false` if the awaiter gave up (do not run it).
    fn start(&self) -> bool {
        match &mut *self.state.lock() {
            SlotState::Pending { started, .. } => {
                *started = true;
                true
            }
            _ => false,
        }
    }

    fn finish(&self, state: SlotState<T>) {
        let mut st = self.state.lock();
        if let SlotState::Pending { waker, .. } = &mut *st {
            let waker = waker.take();
            *st = state;
            drop(st);
            if let Some(w) = waker {
                w.wake();
            }
        }
        // Otherwise the awaiter gave up: the result is dropped (with `state`).
    }

    /// The awaiter gives up.
    fn cancel(&self, msg: Option<StdArc<str>>) -> bool {
        let mut st = self.state.lock();
        match &mut *st {
            SlotState::Pending { waker, .. } => {
                let waker = waker.take();
                *st = SlotState::Cancelled(msg);
                drop(st);
                if let Some(w) = waker {
                    w.wake();
                }
                true
            }
            _ => false,
        }
    }
}

impl<T: Send + 'static> CancelWaiter for Slot<T> {
    fn cancel_waiter(self: StdArc<Self>, msg: Option<StdArc<str>>) -> bool {
        self.cancel(msg)
    }
}

/// The job as queued: runs the closure into the slot; dropped unrun, marks the slot.
struct JobCell<F, T> {
    f: Option<F>,
    slot: StdArc<Slot<T>>,
}

impl<F, T> JobCell<F, T>
where
    F: FnOnce() -> T,
{
    fn run(mut self) {
        let f = self.f.take().expect("a job runs once");
        if !self.slot.start() {
            return;
        }
        let out = catch_unwind(AssertUnwindSafe(f)).map_err(PanicError::new);
        self.slot.finish(SlotState::Done(out));
    }
}

impl<F, T> Drop for JobCell<F, T> {
    fn drop(&mut self) {
        if self.f.is_some() {
            self.slot.finish(SlotState::Dropped);
        }
    }
}

// ---- the public entry points ---------------------------------------------------------

/// Runs `f` on the runtime's blocking-thread pool and awaits its result (asyncio's
/// `asyncio.to_thread`). The job is submitted when the future is first polled.
///
/// Resolves to `Ok(value)`, `Err(TaskError::Panicked)` if `f` panicked, or
/// `Err(TaskError::Cancelled)` if the awaiting task is cancelled (the closure keeps
/// running if it had started; a job not started yet never starts) or if the runtime shut
/// down before the job started.
///
/// # Panics
/// Outside a runtime ("no running event loop"); from other threads use
/// [`Handle::run_in_executor`].
///
/// ```
/// asyncio::run(async {
///     let n = asyncio::to_thread(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1)); // blocking work
///         6 * 7
///     })
///     .await
///     .unwrap();
///     assert_eq!(n, 42);
/// });
/// ```
pub fn to_thread<F, T>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let shared = context::current_shared().unwrap_or_else(|| {
        panic!(
            "asyncio::to_thread: {}",
            crate::task::error::RuntimeError::NO_RUNNING_LOOP
        )
    });
    // `f` runs in a copy of the caller's context (asyncio.to_thread's `copy_context()`).
    let mut context = crate::contextvars::current::capture();
    let (slot, job) = make_job(move || {
        let _entered = crate::contextvars::current::enter(&mut context);
        f()
    });
    ToThread {
        slot,
        submit: Some(Unshared((shared, job))),
        registered: false,
    }
}

fn make_job<F, T>(f: F) -> (StdArc<Slot<T>>, Job)
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    #[cfg(not(loom))]
    let state = SlotState::Pending {
        waker: None,
        started: false,
    };
    // Never `Pending`: the job is not submitted (`submit`) and dropping it marks nothing.
    #[cfg(loom)]
    let state = SlotState::Unsupported;
    let slot = StdArc::new(Slot {
        state: Mutex::new(state),
    });
    let cell = JobCell {
        f: Some(f),
        slot: slot.clone(),
    };
    (slot, Box::new(move || cell.run()))
}

/// Submits a job to `shared`'s pool; a pool shut down drops it (marking its slot).
fn submit(shared: &Shared, job: Job) {
    #[cfg(not(loom))]
    if let Err(job) = shared.blocking.spawn(job) {
        drop(job);
    }
    // Under loom the pool is unavailable: the job's slot already says so (`make_job`).
    #[cfg(loom)]
    let _ = (shared, job);
}

/// What awaiting a blocking job gives under `cfg(loom)`.
#[cfg(loom)]
const UNSUPPORTED_UNDER_LOOM: crate::task::error::RuntimeError =
    crate::task::error::RuntimeError::new(
        "asyncio::to_thread / Handle::run_in_executor is not supported under loom \
         (cfg(loom)): the blocking pool's threads cannot run inside a loom model; \
         call the blocking function inline in the model instead",
    );

impl Handle {
    /// Runs `f` on this runtime's blocking-thread pool (asyncio's
    /// `loop.run_in_executor(None, f)`). The job is submitted now, from any thread; the
    /// returned future (awaitable anywhere) resolves as [`to_thread`]'s does.
    ///
    /// ```
    /// let rt = asyncio::Runtime::new().unwrap();
    /// let job = rt.handle().run_in_executor(|| "done on a blocking thread");
    /// assert_eq!(rt.block_on(job).unwrap(), "done on a blocking thread");
    /// ```
    pub fn run_in_executor<F, T>(&self, f: F) -> ToThread<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (slot, job) = make_job(f);
        submit(&self.shared, job);
        ToThread {
            slot,
            submit: None,
            registered: false,
        }
    }

    /// Threads of the blocking pool alive (running a job or idle), as tokio's
    /// `num_blocking_threads`.
    ///
    /// ```
    /// let rt = asyncio::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().blocking_threads(), 0); // created on demand
    /// rt.block_on(async { asyncio::to_thread(|| ()).await.unwrap() });
    /// assert_eq!(rt.handle().blocking_threads(), 1);
    /// ```
    pub fn blocking_threads(&self) -> usize {
        self.shared.blocking.num_threads()
    }
}

/// A value reached only through `&mut` or by value (a job waiting for its first poll):
/// a shared `&` of it gives no access at all, so sharing one across threads is sound
/// whatever it holds (std's unstable `Exclusive`). It is what lets `&ToThread<T>` cross
/// threads though the job closure is only `Send`.
struct Unshared<T>(T);

// SAFETY: `Unshared` has no method taking `&self` and its field is private to this
// module, which only moves it out of an owned or `&mut` value: a `&Unshared<T>` on
// another thread can do nothing with the `T`.
unsafe impl<T: Send> Sync for Unshared<T> {}

/// Future returned by [`to_thread`] and [`Handle::run_in_executor`].
///
/// ```
/// asyncio::run(async {
///     let job: asyncio::ToThread<u32> = asyncio::to_thread(|| 2 + 2);
///     assert_eq!(job.await.unwrap(), 4);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ToThread<T: Send + 'static> {
    slot: StdArc<Slot<T>>,
    /// `to_thread`: the job, submitted at the first poll.
    submit: Option<Unshared<(Arc<Shared>, Job)>>,
    registered: bool,
}

impl<T: Send + 'static> ToThread<T> {
    fn unregister(&mut self) {
        if self.registered {
            self.registered = false;
            let ptr = StdArc::as_ptr(&self.slot) as *const ();
            waiter::unregister(|t| t.is_awaitable(ptr));
        }
    }
}

impl<T: Send + 'static> Future for ToThread<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(err) = deliver_pending_cancel() {
            // Not submitted yet: never will be. Submitted: a job not started is skipped.
            this.submit = None;
            this.slot.cancel(err.shared_message());
            this.unregister();
            return Poll::Ready(Err(TaskError::Cancelled(err)));
        }
        if let Some(Unshared((shared, job))) = this.submit.take() {
            submit(&shared, job);
        }
        let mut st = this.slot.state.lock();
        match &mut *st {
            SlotState::Pending { waker, .. } => {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                drop(st);
                let target: StdArc<dyn CancelWaiter> = this.slot.clone();
                this.registered = waiter::register(CancelTarget::Other(target));
                return Poll::Pending;
            }
            SlotState::Taken => panic!("ToThread polled after completion"),
            _ => {}
        }
        let out = std::mem::replace(&mut *st, SlotState::Taken);
        drop(st);
        this.unregister();
        Poll::Ready(match out {
            SlotState::Done(Ok(v)) => Ok(v),
            SlotState::Done(Err(p)) => Err(TaskError::Panicked(p)),
            SlotState::Cancelled(msg) => Err(TaskError::Cancelled(cancelled_error(msg))),
            SlotState::Dropped => Err(TaskError::Cancelled(cancelled_error(Some(StdArc::from(
                "the runtime shut down before the blocking job started",
            ))))),
            #[cfg(loom)]
            SlotState::Unsupported => Err(TaskError::Exception(crate::Exception::new(
                UNSUPPORTED_UNDER_LOOM,
            ))),
            SlotState::Pending { .. } | SlotState::Taken => unreachable!(),
        })
    }
}

impl<T: Send + 'static> Drop for ToThread<T> {
    fn drop(&mut self) {
        // Detached: a submitted job still runs (a `to_thread` never polled was never
        // submitted and is dropped here with its closure).
        self.unregister();
    }
}

impl<T: Send + 'static> fmt::Debug for ToThread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.slot.state.lock() {
            SlotState::Pending { started: false, .. } => "queued",
            SlotState::Pending { started: true, .. } => "running",
            SlotState::Done(_) => "done",
            SlotState::Cancelled(_) => "cancelled",
            SlotState::Dropped => "dropped",
            #[cfg(loom)]
            SlotState::Unsupported => "unsupported under loom",
            SlotState::Taken => "taken",
        };
        f.debug_struct("ToThread").field("state", &state).finish()
    }
}
