//! Runtime metrics: [`Handle::metrics`](crate::Handle::metrics) and [`RuntimeMetrics`]
//! (modelled on tokio's `RuntimeMetrics`).
//!
//! ## Protocol
//! Two kinds of numbers, read two ways:
//!
//! * **Per-worker counters** (polls, steals, parks, LIFO hits) are counted by the worker
//!   itself in a [`MetricsBatch`] on its `WorkerCore`: plain integers in `Cell`s, touched
//!   by that thread only, so counting a poll is one non-atomic add — no atomic
//!   read-modify-write, no lock, no shared cache line written on the hot path. The worker
//!   **publishes** the batch into its [`WorkerMetrics`] (one cache-padded block of
//!   `AtomicU64` per worker, in the scheduler's `Remote`) with `Relaxed` stores:
//!   * right before it goes to sleep (every park), so an idle worker's counters are exact;
//!   * at its maintenance tick (every 61 scheduler ticks, with the timers and the
//!     sockets), so a busy worker's counters lag by at most 61 ticks (each tick runs one
//!     task and at most 3 more from the LIFO slot);
//!   * when it leaves its loop (shutdown), so the final numbers are exact.
//!
//!   A worker stuck in one long poll publishes nothing until the poll returns. This is
//!   tokio's `MetricsBatch` scheme. The alternative — a `Relaxed` load + store of the
//!   shared counter by its single writer at every poll — would keep the counter exact
//!   but write a shared cache line per poll, which a reader on another core then pulls
//!   away; publishing in batches keeps the poll loop free of shared writes.
//!
//!   `Relaxed` is enough: each counter has one writer, it only grows, and no other memory
//!   is published through it. A reader sees some value the worker published, never a torn
//!   or decreasing one; counters of different workers (or of one worker) are not a
//!   consistent snapshot of one instant.
//! * **Gauges** (live tasks, queue depths, blocking threads, pending timers) are read on
//!   demand from the structures that hold the state: the task registries, the
//!   injector's and local queues' lengths, the blocking pool's and the timers' counts
//!   (taking the pool's or the timer map's lock for the duration of the read: readers
//!   pay, the hot path does not). They are exact at some instant during the call, but may
//!   be stale by the time the caller looks.
//!
//! The atomics here are `crate::loom::metrics::AtomicU64`: std's, even under loom, since
//! no protocol depends on them (see `src/loom.rs`), so the loom models do not explore
//! their interleavings.

use std::cell::Cell;
use std::fmt;

use crossbeam_utils::CachePadded;

use crate::loom::metrics::{AtomicU64, Ordering};
use crate::loom::sync::Arc;
use crate::runtime::scheduler::Shared;

/// A snapshot-free view of a runtime's metrics: a cheap handle (`Clone`, `Send`, `Sync`)
/// whose methods read the current values. Obtained with
/// [`Handle::metrics`](crate::Handle::metrics).
///
/// Per-worker **counters** (`worker_*_count`) only grow; a running worker publishes them
/// at least every 61 scheduler ticks and whenever it parks, so they may lag behind a
/// busy worker by a few dozen polls (see the module docs for the protocol). **Gauges**
/// (`num_alive_tasks`, queue depths, blocking threads, `timers_pending`) are read at the
/// call.
///
/// Holding a `RuntimeMetrics` keeps the runtime's shared state allocated (as a
/// [`Handle`](crate::Handle) does), not its threads: after shutdown the counters keep
/// their final values.
///
/// ```
/// let rt = asyncio::Builder::new().worker_threads(2).build().unwrap();
/// let metrics = rt.handle().metrics();
/// assert_eq!(metrics.num_workers(), 2);
/// let t = rt.handle().create_task(async { 1 + 1 });
/// assert_eq!(rt.block_on(t).unwrap(), 2);
/// drop(rt);
/// // Both tasks (the one above and `block_on`'s) were polled; every worker published
/// // its counters when it left.
/// let polls: u64 = (0..2).map(|i| metrics.worker_poll_count(i)).sum();
/// assert!(polls >= 2);
/// assert_eq!(metrics.num_alive_tasks(), 0);
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    shared: Arc<Shared>,
}

impl RuntimeMetrics {
    pub(crate) fn new(shared: Arc<Shared>) -> RuntimeMetrics {
        RuntimeMetrics { shared }
    }

    /// Number of worker threads (fixed when the runtime is built).
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.handle().metrics().num_workers(), 3);
    /// ```
    pub fn num_workers(&self) -> usize {
        self.shared.config.num_workers
    }

    /// Tasks alive: created and not done, whether scheduled
    /// ([`num_scheduled_tasks`](Self::num_scheduled_tasks)) or running their eager first
    /// step ([`num_eager_tasks`](Self::num_eager_tasks)). Callbacks are not tasks.
    ///
    /// A gauge read from the two registries (`all_tasks`' sources), without collecting
    /// the tasks. A task whose eager step suspends during the call may be counted twice
    /// (it enters the scheduled registry before it leaves the eager one); none alive for
    /// the whole call is missed.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let metrics = asyncio::get_running_loop().unwrap().metrics();
    ///     let t = asyncio::create_task(asyncio::sleep(std::time::Duration::from_secs(3600)));
    ///     // The main task and `t`.
    ///     assert_eq!(metrics.num_alive_tasks(), 2);
    ///     t.cancel(None);
    ///     assert!(t.await.is_err());
    ///     assert_eq!(metrics.num_alive_tasks(), 1);
    /// });
    /// ```
    pub fn num_alive_tasks(&self) -> usize {
        // Eager stacks first, then the map: the order `all_tasks` reads them in, so a
        // graduating task is seen at least once.
        let eager = self.num_eager_tasks();
        eager + self.num_scheduled_tasks()
    }

    /// Tasks in the scheduled registry: scheduled at least once and not done (asyncio's
    /// "pending" tasks, whether queued, running or suspended).
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// let t = rt.handle().create_task(asyncio::sleep(std::time::Duration::from_secs(3600)));
    /// assert_eq!(rt.handle().metrics().num_scheduled_tasks(), 1);
    /// t.cancel(None);
    /// ```
    pub fn num_scheduled_tasks(&self) -> usize {
        self.shared.registry.len()
    }

    /// Tasks running their eager first step right now (created with the eager task
    /// factory, not yet suspended or done), summed over the workers.
    ///
    /// ```
    /// let rt = asyncio::Builder::new()
    ///     .worker_threads(1)
    ///     .task_factory(asyncio::EAGER_TASK_FACTORY)
    ///     .build()
    ///     .unwrap();
    /// let out = rt.block_on(async {
    ///     let metrics = asyncio::get_running_loop().unwrap().metrics();
    ///     // Created on the worker, `inner` starts eagerly: inside its first step it is
    ///     // in the eager registry.
    ///     let inner = asyncio::create_task(async move { metrics.num_eager_tasks() });
    ///     inner.await.unwrap()
    /// });
    /// assert!(out >= 1);
    /// ```
    pub fn num_eager_tasks(&self) -> usize {
        self.shared.remotes.iter().map(|r| r.eager.len()).sum()
    }

    /// Times worker `worker` ran something from its queues: a task poll or a
    /// `call_soon` callback (asyncio's loop runs both as handles). Eager first steps run
    /// inline in `create_task`, not by the worker loop, and are not counted.
    ///
    /// # Panics
    /// If `worker >= num_workers()` (like indexing a slice).
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// let metrics = rt.handle().metrics();
    /// rt.block_on(async {});
    /// drop(rt);
    /// assert!(metrics.worker_poll_count(0) >= 1);
    /// ```
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).polls.load(Ordering::Relaxed)
    }

    /// Tasks worker `worker` stole from the other workers (from their queues, in batches
    /// of up to half, or from their LIFO slot as a last resort). Always 0 with one
    /// worker. Tasks taken from the injection queue are not steals.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.handle().metrics().worker_steal_count(0), 0);
    /// ```
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steals.load(Ordering::Relaxed)
    }

    /// Successful steal operations of worker `worker`: each takes one or more tasks
    /// (counted by [`worker_steal_count`](Self::worker_steal_count)).
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(2).build().unwrap();
    /// let m = rt.handle().metrics();
    /// assert!(m.worker_steal_operations(0) <= m.worker_steal_count(0));
    /// ```
    pub fn worker_steal_operations(&self, worker: usize) -> u64 {
        self.worker(worker).steal_operations.load(Ordering::Relaxed)
    }

    /// Times worker `worker` went to sleep for lack of work. A wake-up that finds nothing
    /// to do and sleeps again (a timer-duty wake-up, a spurious one) counts again.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// let metrics = rt.handle().metrics();
    /// rt.block_on(async {});
    /// // Out of work, the worker goes to sleep, and counts it before it sleeps.
    /// while metrics.worker_park_count(0) == 0 {
    ///     std::thread::yield_now();
    /// }
    /// ```
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).parks.load(Ordering::Relaxed)
    }

    /// Tasks worker `worker` ran from its LIFO slot (the task most recently spawned or
    /// woken by the task running there, run next for locality). Always 0 with one
    /// worker, where the slot is off to keep asyncio's FIFO order.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// let metrics = rt.handle().metrics();
    /// rt.block_on(async { asyncio::create_task(async {}).await.unwrap() });
    /// assert_eq!(metrics.worker_lifo_hit_count(0), 0);
    /// ```
    pub fn worker_lifo_hit_count(&self, worker: usize) -> u64 {
        self.worker(worker).lifo_hits.load(Ordering::Relaxed)
    }

    /// Tasks and callbacks queued on worker `worker` right now: its local queue plus its
    /// LIFO slot (a gauge).
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.handle().metrics().worker_local_queue_depth(0), 0);
    /// ```
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        let remote = &self.shared.remotes[worker];
        let lifo = !remote
            .lifo
            .load(crate::loom::sync::atomic::Ordering::Relaxed)
            .is_null();
        remote.stealer.len() + usize::from(lifo)
    }

    /// Tasks and callbacks in the injection queue (submitted from outside the workers,
    /// or moved there from a full local queue) and not yet taken by a worker (a gauge).
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.handle().metrics().injection_queue_depth(), 0);
    /// ```
    pub fn injection_queue_depth(&self) -> usize {
        self.shared.injector.len()
    }

    /// Threads of the blocking pool (`to_thread`, `run_in_executor`) alive, busy or idle.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// let metrics = rt.handle().metrics();
    /// rt.block_on(async { asyncio::to_thread(|| 1).await }).unwrap();
    /// // The thread stays for its keep-alive (10 s by default) after the job.
    /// assert_eq!(metrics.num_blocking_threads(), 1);
    /// ```
    pub fn num_blocking_threads(&self) -> usize {
        self.shared.blocking.stats().threads
    }

    /// Blocking-pool threads waiting for a job (and not already handed one).
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// let metrics = rt.handle().metrics();
    /// assert_eq!(metrics.num_idle_blocking_threads(), 0);
    /// ```
    pub fn num_idle_blocking_threads(&self) -> usize {
        self.shared.blocking.stats().idle
    }

    /// Blocking jobs submitted and not yet started (waiting for a thread: all are busy
    /// and the pool is at `max_blocking_threads`, or the thread handed the job has not
    /// picked it up yet).
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.handle().metrics().blocking_queue_depth(), 0);
    /// ```
    pub fn blocking_queue_depth(&self) -> usize {
        self.shared.blocking.stats().queued
    }

    /// Timers registered and not yet fired or cancelled: outstanding `sleep`s,
    /// `call_later`/`call_at` callbacks and timeouts.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// let timer = rt.handle().call_later(std::time::Duration::from_secs(3600), || {});
    /// assert_eq!(rt.handle().metrics().timers_pending(), 1);
    /// timer.cancel();
    /// assert_eq!(rt.handle().metrics().timers_pending(), 0);
    /// ```
    pub fn timers_pending(&self) -> usize {
        self.shared.timers.len()
    }

    fn worker(&self, worker: usize) -> &WorkerMetrics {
        &self.shared.remotes[worker].metrics
    }
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("injection_queue_depth", &self.injection_queue_depth())
            .finish_non_exhaustive()
    }
}

/// One worker's published counters (written by that worker only, read by anyone).
#[derive(Default)]
pub(crate) struct WorkerMetrics {
    inner: CachePadded<Counters<AtomicU64>>,
}

impl std::ops::Deref for WorkerMetrics {
    type Target = Counters<AtomicU64>;

    fn deref(&self) -> &Counters<AtomicU64> {
        &self.inner
    }
}

/// The per-worker counters, as atomics (published) or cells (the worker's batch).
#[derive(Default)]
pub(crate) struct Counters<C> {
    polls: C,
    steals: C,
    steal_operations: C,
    parks: C,
    lifo_hits: C,
}

/// The worker's own, unpublished counts (on its `WorkerCore`; see the module docs).
#[derive(Default)]
pub(crate) struct MetricsBatch {
    counts: Counters<Cell<u64>>,
}

fn bump(c: &Cell<u64>, by: u64) {
    c.set(c.get().wrapping_add(by));
}

impl MetricsBatch {
    /// A task poll or callback run.
    #[inline]
    pub(crate) fn poll(&self) {
        bump(&self.counts.polls, 1);
    }

    /// A run taken from the worker's own LIFO slot.
    #[inline]
    pub(crate) fn lifo_hit(&self) {
        bump(&self.counts.lifo_hits, 1);
    }

    /// A successful steal of `tasks` tasks.
    pub(crate) fn steal(&self, tasks: u64) {
        bump(&self.counts.steals, tasks);
        bump(&self.counts.steal_operations, 1);
    }

    /// The worker goes to sleep.
    pub(crate) fn park(&self) {
        bump(&self.counts.parks, 1);
    }

    /// Publishes every count to `to` (`Relaxed` stores; this worker is their only writer).
    pub(crate) fn submit(&self, to: &WorkerMetrics) {
        let c = &self.counts;
        to.polls.store(c.polls.get(), Ordering::Relaxed);
        to.steals.store(c.steals.get(), Ordering::Relaxed);
        to.steal_operations
            .store(c.steal_operations.get(), Ordering::Relaxed);
        to.parks.store(c.parks.get(), Ordering::Relaxed);
        to.lifo_hits.store(c.lifo_hits.get(), Ordering::Relaxed);
    }
}
