//! A worker thread: its loop, its local queue, searching and parking.
//!
//! ```text
//! loop until the runtime closes:
//!     tick += 1
//!     every 61 ticks: fire due timers, poll the sockets (zero timeout), take from the
//!                     injector first
//!     task = LIFO slot | local queue | injector batch          (next_task)
//!          | steal half of a random victim | injector | spin   (search, "searching")
//!          | steal a victim's LIFO slot                          (last resort)
//!     run it, then up to 3 tasks from the LIFO slot              (run_task)
//!     nothing: park (with the timer duty: in the I/O driver's epoll_wait), then
//!              fire due timers (under cfg(loom), the last worker to park with nothing
//!              queued advances the virtual clock instead: runtime/time/mod.rs)
//! ```
//!
//! The `WorkerCore` lives on the worker thread's stack; the thread-local context points
//! at it so that `schedule` from a task running here pushes to the local queue without
//! synchronisation beyond the deque's own.

use std::cell::Cell;

use crate::loom::backoff::Backoff;
use crate::loom::deque::{Steal, Worker, LOCAL_QUEUE_CAPACITY};
use crate::loom::parker::Parker;
use crate::loom::sync::Arc;
use crate::runtime::metrics::MetricsBatch;
use crate::runtime::scheduler::{
    Remote, ScheduleKind, Shared, GLOBAL_QUEUE_INTERVAL, MAX_LIFO_POLLS,
};
use crate::runtime::time::ParkMode;
use crate::task::notified::Notified;

/// Maximum nesting of eager first steps on one worker; deeper ones are scheduled.
pub(crate) const MAX_EAGER_DEPTH: u32 = 32;

/// Search rounds (steal attempts, each followed by a `Backoff` spin) before a searcher
/// gives up while I/O sources (sockets, signal listeners) are registered: the spin phase
/// of `crossbeam_utils::Backoff`, without its `yield_now` phase.
const SEARCH_SPIN_ROUNDS: u32 = 7;

pub(crate) struct WorkerCore {
    pub(crate) index: usize,
    pub(crate) shared: Arc<Shared>,
    local: Worker<Notified>,
    parker: Parker,
    tick: Cell<u32>,
    is_searching: Cell<bool>,
    /// Inside `park`: pushes made by firing timers do not wake other workers one by one;
    /// the worker checks once it leaves.
    parked: Cell<bool>,
    rng: Cell<u64>,
    /// Current nesting of eager first steps on this thread.
    pub(crate) eager_depth: Cell<u32>,
    /// This worker's counters, published to `Remote::metrics` at park, at the
    /// maintenance tick and on exit (`runtime/metrics.rs`).
    metrics: MetricsBatch,
}

impl WorkerCore {
    pub(crate) fn new(
        index: usize,
        shared: Arc<Shared>,
        local: Worker<Notified>,
        parker: Parker,
    ) -> WorkerCore {
        WorkerCore {
            index,
            shared,
            local,
            parker,
            tick: Cell::new(0),
            is_searching: Cell::new(false),
            parked: Cell::new(false),
            rng: Cell::new(
                0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
            ),
            eager_depth: Cell::new(0),
            metrics: MetricsBatch::default(),
        }
    }

    pub(crate) fn remote(&self) -> &Remote {
        &self.shared.remotes[self.index]
    }

    /// The worker's main loop; returns when the runtime closes.
    pub(crate) fn run(&self) {
        while !self.shared.is_closed() {
            let tick = self.tick.get().wrapping_add(1);
            self.tick.set(tick);
            let maintenance = tick % GLOBAL_QUEUE_INTERVAL == 0;
            if maintenance {
                self.fire_due_timers();
                self.poll_io_now();
                self.publish_metrics();
            }
            if let Some(task) = self.next_task(maintenance) {
                self.run_task(task);
                continue;
            }
            if let Some(task) = self.search() {
                self.run_task(task);
                continue;
            }
            self.park();
        }
        self.publish_metrics();
    }

    /// Publishes this worker's counters (`runtime/metrics.rs`).
    fn publish_metrics(&self) {
        self.metrics.submit(&self.remote().metrics);
    }

    /// The local queue's length, for counting the tasks a steal moved. Under loom the
    /// queue is a `Mutex` model whose `len` would add lock interleavings to every model
    /// that steals; the count is not checked there, so it reads 0 (a steal counts 1).
    fn local_len_for_metrics(&self) -> usize {
        #[cfg(not(loom))]
        {
            self.local.len()
        }
        #[cfg(loom)]
        {
            0
        }
    }

    /// Takes the task in this worker's own LIFO slot to run it (a LIFO hit).
    fn take_own_lifo(&self) -> Option<Notified> {
        let task = self.remote().take_lifo();
        if task.is_some() {
            self.metrics.lifo_hit();
        }
        task
    }

    /// Leaves the worker: every task still queued here is cancelled by force.
    pub(crate) fn drain_on_exit(&self) {
        if let Some(t) = self.remote().take_lifo() {
            t.shutdown();
        }
        while let Some(t) = self.local.pop() {
            t.shutdown();
        }
    }

    fn next_task(&self, injector_first: bool) -> Option<Notified> {
        if injector_first {
            if let Some(t) = self.shared.steal_injector(&self.local) {
                return Some(t);
            }
        }
        self.take_own_lifo()
            .or_else(|| self.local.pop())
            .or_else(|| self.shared.steal_injector(&self.local))
    }

    fn run_task(&self, task: Notified) {
        if self.is_searching.get() {
            self.is_searching.set(false);
            if self.shared.idle.transition_worker_from_searching() {
                // The last searcher found work: more may follow, keep one looking.
                self.shared.notify_parked();
            }
        }
        self.metrics.poll();
        task.run();
        let mut lifo_polls = 0;
        while let Some(next) = self.remote().take_lifo() {
            if lifo_polls >= MAX_LIFO_POLLS {
                self.push_back(next);
                self.notify_others();
                break;
            }
            lifo_polls += 1;
            self.metrics.lifo_hit();
            self.metrics.poll();
            next.run();
        }
    }

    /// Queues a task scheduled from this worker's thread.
    pub(crate) fn schedule_local(&self, task: Notified, kind: ScheduleKind) {
        // Wake-ups from the timers and the I/O driver (`parked`) go to the back of the
        // queue: a busy connection must not starve the others through the LIFO slot.
        let to_lifo = self.shared.config.lifo_enabled
            && !self.parked.get()
            && matches!(kind, ScheduleKind::Spawn | ScheduleKind::Wake);
        if to_lifo {
            match self.remote().replace_lifo(task) {
                // The new task runs next; nothing for others yet.
                None => return,
                Some(prev) => self.push_back(prev),
            }
        } else {
            self.push_back(task);
        }
        self.notify_others();
    }

    fn notify_others(&self) {
        if !self.parked.get() {
            self.shared.notify_parked();
        }
    }

    /// Pushes to the back of the local queue; a full queue first moves its older half to
    /// the injector (multi-worker only: with one worker there is nobody to share with and
    /// FIFO order must hold).
    fn push_back(&self, task: Notified) {
        if self.shared.config.num_workers > 1 && self.local.len() >= LOCAL_QUEUE_CAPACITY {
            for _ in 0..LOCAL_QUEUE_CAPACITY / 2 {
                match self.local.pop() {
                    Some(t) => self.shared.injector.push(t),
                    None => break,
                }
            }
        }
        self.local.push(task);
    }

    /// Tasks in the local queue and the LIFO slot.
    fn queued_locally(&self) -> usize {
        let lifo = !self
            .remote()
            .lifo
            .load(crate::loom::sync::atomic::Ordering::Acquire)
            .is_null();
        self.local.len() + usize::from(lifo)
    }

    fn has_local_tasks(&self) -> bool {
        self.queued_locally() > 0
    }

    fn next_rand(&self, n: usize) -> usize {
        // xorshift64*
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        ((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize) % n
    }

    /// Looks for work elsewhere as a searcher, spinning briefly before giving up.
    fn search(&self) -> Option<Notified> {
        if !self.is_searching.get() {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching.set(true);
        }
        let backoff = Backoff::new();
        // With sockets registered, work arrives through the driver, which wakes a
        // sleeper: give up after the spin phase instead of yielding the thread several
        // times (measured: ~2 sched_yield per message at one echo connection).
        let mut rounds_left = if self.sockets_registered() {
            SEARCH_SPIN_ROUNDS
        } else {
            u32::MAX
        };
        loop {
            if let Some(t) = self.steal_queues() {
                return Some(t);
            }
            if let Some(t) = self.shared.steal_injector(&self.local) {
                return Some(t);
            }
            if self.fire_due_timers() {
                if let Some(t) = self.take_own_lifo().or_else(|| self.local.pop()) {
                    return Some(t);
                }
            }
            rounds_left -= 1;
            if backoff.is_completed() || rounds_left == 0 || self.shared.is_closed() {
                return self.steal_lifo_slots();
            }
            backoff.snooze();
        }
    }

    fn steal_queues(&self) -> Option<Notified> {
        let n = self.shared.remotes.len();
        if n <= 1 {
            return None;
        }
        let start = self.next_rand(n);
        let mut retry = true;
        while retry {
            retry = false;
            for i in 0..n {
                let victim = (start + i) % n;
                if victim == self.index {
                    continue;
                }
                let before = self.local_len_for_metrics();
                match self.shared.remotes[victim]
                    .stealer
                    .steal_batch_and_pop(&self.local)
                {
                    Steal::Success(t) => {
                        // The popped task and the rest of the batch, now in our queue.
                        let batch = self.local_len_for_metrics().saturating_sub(before) as u64;
                        self.metrics.steal(1 + batch);
                        return Some(t);
                    }
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
        }
        None
    }

    fn steal_lifo_slots(&self) -> Option<Notified> {
        let n = self.shared.remotes.len();
        let task = (0..n)
            .filter(|&i| i != self.index)
            .find_map(|i| self.shared.remotes[i].take_lifo());
        if task.is_some() {
            self.metrics.steal(1);
        }
        task
    }

    /// Fires due timers; their wakers push onto this worker's queue. Returns `true` if
    /// any fired.
    fn fire_due_timers(&self) -> bool {
        self.shared.fire_due_timers()
    }

    /// A busy worker's zero-timeout look at the sockets (see `io/driver.rs`).
    fn poll_io_now(&self) {
        #[cfg(not(loom))]
        {
            if !self.sockets_registered() {
                return;
            }
            // The woken tasks go to the back of this worker's queue, not its LIFO slot.
            self.parked.set(true);
            let woke = self.shared.io.poll_now(|w| self.shared.wake_guarded(w));
            self.parked.set(false);
            if woke && self.local.len() > 1 {
                self.shared.notify_parked();
            }
        }
    }

    fn park(&self) {
        if self.has_local_tasks() {
            return;
        }
        let is_last_searcher = self
            .shared
            .idle
            .transition_worker_to_parked(self.index, self.is_searching.get());
        self.is_searching.set(false);
        if is_last_searcher {
            self.shared.notify_if_work_pending();
        }
        self.parked.set(true);
        loop {
            if self.shared.is_closed() {
                break;
            }
            let had_timer_duty = self.park_once();
            self.fire_due_timers();
            if self.transition_from_parked() {
                if had_timer_duty && self.queued_locally() > 1 && self.driver_duty_matters() {
                    // We leave with several tasks to run while timers are pending or
                    // sockets are registered: hand the driver duty to a sleeper, so the
                    // batch here delays neither the timers nor the sockets' readiness.
                    // With a single task (the ping-pong of one connection) we do not:
                    // it is likely short, and a hand-over per wake-up costs a futex wake
                    // and a spinning searcher per message (measured: ~8% more CPU per
                    // message at one connection). A single long task then delays the
                    // timers and the sockets until it yields or this worker's next
                    // maintenance tick, as in tokio.
                    if let Some(other) = self.shared.idle.any_sleeper() {
                        self.shared.unpark_worker(other);
                    }
                }
                break;
            }
        }
        self.parked.set(false);
        if self.local.len() > 1 {
            self.shared.notify_parked();
        }
    }

    /// `true` if I/O sources (sockets, signal listeners) are registered with the driver.
    fn sockets_registered(&self) -> bool {
        #[cfg(not(loom))]
        {
            self.shared.io.registered() > 0
        }
        #[cfg(loom)]
        {
            false
        }
    }

    /// `true` if somebody should be sleeping in the driver: timers are pending or
    /// sockets are registered.
    fn driver_duty_matters(&self) -> bool {
        self.sockets_registered() || self.shared.timers.has_pending()
    }

    /// Sleeps until unparked, taking the timer duty (a timed sleep until the next
    /// deadline) if no other worker has it. Returns `true` if it had the duty.
    fn park_once(&self) -> bool {
        // Counted and published before sleeping: an idle worker's counters are exact.
        self.metrics.park();
        self.publish_metrics();
        let mode = self.shared.timers.begin_park(self.index);
        #[cfg(loom)]
        {
            use crate::runtime::time::VirtualPark;
            let num_workers = self.shared.config.num_workers;
            let virtual_park = self
                .shared
                .timers
                .virtual_park(num_workers, || nothing_queued(&self.shared));
            if virtual_park == VirtualPark::Advanced {
                // Virtual time moved to the earliest deadline: no sleep, the caller fires it.
                return self.shared.timers.end_park(self.index);
            }
        }
        match mode {
            #[cfg(not(loom))]
            ParkMode::Driver(deadline) => {
                self.shared
                    .io
                    .park(self.index, deadline, |w| self.shared.wake_guarded(w));
                // Consume the parker's token of the unpark that ended the poll, so the
                // next plain park does not return at once for it.
                self.parker.park_timeout(std::time::Duration::ZERO);
            }
            #[cfg(loom)]
            ParkMode::Driver(Some(deadline)) => self.parker.park_deadline(deadline),
            #[cfg(loom)]
            ParkMode::Driver(None) => self.parker.park(),
            ParkMode::Plain => self.parker.park(),
        }
        self.shared.timers.end_park(self.index)
    }

    fn transition_from_parked(&self) -> bool {
        if self.has_local_tasks() {
            // Woke with work of its own. If nobody woke it on purpose it is not counted
            // as searching.
            let was_listed = self.shared.idle.unpark_worker_by_id(self.index);
            self.is_searching.set(!was_listed);
            return true;
        }
        if self.shared.idle.is_parked(self.index) {
            // Spurious or timer-duty wake-up: sleep again.
            return false;
        }
        // Woken by `notify_parked`: counted as searching.
        self.is_searching.set(true);
        true
    }
}

/// Entry points for the loom models (`LoomWorker` in `src/loom_model.rs`): the private
/// steps of the worker loop, unchanged.
#[cfg(all(test, loom))]
impl WorkerCore {
    pub(crate) fn loom_next_task(&self, injector_first: bool) -> Option<Notified> {
        self.next_task(injector_first)
    }

    pub(crate) fn loom_run_task(&self, task: Notified) {
        self.run_task(task)
    }

    pub(crate) fn loom_search(&self) -> Option<Notified> {
        self.search()
    }

    pub(crate) fn loom_push_back(&self, task: Notified) {
        self.push_back(task)
    }
}

/// Virtual time (`cfg(loom)`, `runtime/time/mod.rs`): no task queued anywhere (injector,
/// every local queue and LIFO slot). Only meaningful while every worker is parked.
#[cfg(loom)]
pub(crate) fn nothing_queued(shared: &Shared) -> bool {
    use crate::loom::sync::atomic::Ordering;
    shared.injector.is_empty()
        && shared
            .remotes
            .iter()
            .all(|r| r.stealer.is_empty() && r.lifo.load(Ordering::Acquire).is_null())
}
