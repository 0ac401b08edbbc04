//! Timers: a deadline-ordered map driven by the workers themselves.
//!
//! * **Resolution**: one millisecond. A deadline is rounded *up* to the next tick of the
//!   process-wide clock (`clock.rs`) and fires once the clock reaches that tick, so a
//!   timer never fires early.
//! * **Storage**: a `BTreeMap<(tick, seq), Waker>` under one lock. Insert and cancel are
//!   O(log n) and cancelling frees the entry at once; `seq` keeps timers with equal
//!   deadlines in registration order (asyncio's `call_later` order).
//! * **Driving**: there is no timer thread. A worker about to sleep takes the *timer duty*
//!   if nobody has it and sleeps only until the earliest deadline; the others sleep
//!   untimed; the duty holder sleeps in the I/O driver's `epoll_wait` (`io/driver.rs`),
//!   so the timer duty and the I/O driver duty are one. A timer inserted before the
//!   driver's deadline unparks the driver. A duty holder that leaves with several tasks
//!   to run hands the duty to a sleeper (`worker.rs`). Busy workers fire due timers every 61 ticks and whenever they run out of tasks, so a
//!   fully busy runtime does not starve its timers. Firing wakes the timers' wakers on the
//!   firing worker, so the woken tasks land in its local queue.
//! * **Shutdown**: `clear` drops every entry.
//! * **Virtual time under `cfg(loom)`** (`asyncio::testing`): loom has no clock and a
//!   timed park would be a real wait, so parks are untimed and the clock
//!   (`clock::now`, `crate::loom::time`) is virtual. The timers count the workers inside
//!   a park (`begin_park` .. `end_park`); the worker whose `begin_park` makes it *every*
//!   worker, finding no task queued anywhere (injector, local queues, LIFO slots) and the
//!   runtime open, calls [`TimerDriver::advance_if_idle`]: under the timers' lock, which
//!   every worker takes to leave a park, the clock jumps to the earliest deadline, and
//!   that worker does not sleep but fires the due timers itself. So a timer fires only
//!   when no task can run, in deadline order (then registration order), as with tokio's
//!   paused clock. If nothing is queued and no timer is pending, the runtime is **stuck**:
//!   that worker sets `stuck` (cleared by the next `end_park`) and unparks (after
//!   releasing the lock) the idle watcher, the `asyncio::testing` thread waiting for the main task, which then reports
//!   an asyncio-level deadlock and shuts the runtime down cleanly (left to loom, every
//!   thread blocked, loom's deadlock panic would unwind through the parked workers).
//!
//! Both sleeps (`sleep.rs`) and `call_later` callbacks (`runtime/callbacks.rs`) are
//! timers holding a `Waker`: for a callback, the waker of its callback cell.

pub(crate) mod clock;
pub(crate) mod sleep;

use std::collections::BTreeMap;
use std::task::Waker;
use std::time::Instant;

use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::loom::Mutex;

/// Identifies a registered timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TimerKey {
    pub(crate) deadline: u64,
    seq: u64,
}

/// How a worker sleeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParkMode {
    /// With the timer duty: until the deadline (`None`: no timers, untimed).
    Driver(Option<Instant>),
    /// Without it: untimed.
    Plain,
}

const NO_DEADLINE: u64 = u64::MAX;

struct TimerQueue {
    entries: BTreeMap<TimerKey, Waker>,
    next_seq: u64,
    /// The worker sleeping with the timer duty, and the deadline it sleeps until.
    driver: Option<usize>,
    driver_deadline: u64,
    /// Set by `clear` (shutdown): no timer may be added after.
    closed: bool,
    /// Workers between `begin_park` and `end_park` (virtual time, see the module docs).
    #[cfg(loom)]
    parked: usize,
    /// Every worker is parked with nothing queued and no timer pending (cleared when one
    /// leaves its park).
    #[cfg(loom)]
    stuck: bool,
    /// Unparked when the runtime gets stuck (`asyncio::testing`'s waiting thread). A
    /// parker (loom `Mutex` + `Condvar`), not a `loom::thread::Thread`: loom's
    /// `Thread::unpark` also makes runnable a thread blocked on a loom `Mutex`, which
    /// then fails loom's "expected to be able to acquire lock" (found by a 2-worker,
    /// bound-2 model whose main thread was in `Runtime::drop`).
    #[cfg(loom)]
    idle_watcher: Option<crate::loom::parker::Unparker>,
}

/// What a parking worker does under virtual time (`cfg(loom)`, see the module docs).
#[cfg(loom)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VirtualPark {
    /// Sleep: other workers are awake, or tasks are queued, or the runtime is closing.
    Sleep,
    /// The clock moved to the earliest deadline: fire it instead of sleeping.
    Advanced,
    /// Nothing can ever run again unless a thread outside the runtime acts: sleep (the
    /// idle watcher was told).
    Stuck,
}

/// The runtime is shut down: timers cannot be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimersClosed;

pub(crate) struct TimerDriver {
    queue: Mutex<TimerQueue>,
    /// Earliest deadline, readable without the lock (`NO_DEADLINE` if none).
    next_deadline: AtomicU64,
}

/// What `register` asks the caller to do.
#[must_use]
pub(crate) enum AfterRegister {
    Nothing,
    /// The new timer is due before the driver wakes: unpark it.
    UnparkDriver(usize),
}

impl TimerDriver {
    pub(crate) fn new() -> TimerDriver {
        TimerDriver {
            queue: Mutex::new(TimerQueue {
                entries: BTreeMap::new(),
                next_seq: 0,
                driver: None,
                driver_deadline: NO_DEADLINE,
                closed: false,
                #[cfg(loom)]
                parked: 0,
                #[cfg(loom)]
                stuck: false,
                #[cfg(loom)]
                idle_watcher: None,
            }),
            next_deadline: AtomicU64::new(NO_DEADLINE),
        }
    }

    /// Registers `waker` to be woken at `deadline` (a clock tick).
    pub(crate) fn register(
        &self,
        deadline: u64,
        waker: Waker,
    ) -> Result<(TimerKey, AfterRegister), TimersClosed> {
        let mut q = self.queue.lock();
        if q.closed {
            drop(q);
            drop(waker);
            return Err(TimersClosed);
        }
        let key = TimerKey {
            deadline,
            seq: q.next_seq,
        };
        q.next_seq += 1;
        q.entries.insert(key, waker);
        if deadline < self.next_deadline.load(Ordering::Relaxed) {
            self.next_deadline.store(deadline, Ordering::Release);
        }
        let after = match q.driver {
            Some(driver) if deadline < q.driver_deadline => {
                q.driver_deadline = deadline;
                AfterRegister::UnparkDriver(driver)
            }
            _ => AfterRegister::Nothing,
        };
        Ok((key, after))
    }

    /// Replaces the waker of a registered timer. Returns `false` if it already fired.
    pub(crate) fn update_waker(&self, key: TimerKey, waker: &Waker) -> bool {
        let (registered, old) = {
            let mut q = self.queue.lock();
            match q.entries.get_mut(&key) {
                Some(w) if w.will_wake(waker) => (true, None),
                Some(w) => (true, Some(std::mem::replace(w, waker.clone()))),
                None => (false, None),
            }
        };
        // Dropped outside the lock: the last ref of a task's waker frees the task, which
        // may run the exception handler (or user destructors).
        drop(old);
        registered
    }

    /// Removes a timer. Returns `true` if it had not fired yet.
    pub(crate) fn cancel(&self, key: TimerKey) -> bool {
        let removed = {
            let mut q = self.queue.lock();
            let removed = q.entries.remove(&key);
            if removed.is_some() && key.deadline == self.next_deadline.load(Ordering::Relaxed) {
                let next = q.entries.keys().next().map_or(NO_DEADLINE, |k| k.deadline);
                self.next_deadline.store(next, Ordering::Release);
            }
            removed
        };
        // The waker is dropped outside the lock (dropping it may free a task).
        removed.is_some()
    }

    /// Fires every timer due now: each due waker is handed to `wake` (outside the lock).
    /// Returns `true` if any fired.
    pub(crate) fn fire_due(&self, mut wake: impl FnMut(Waker)) -> bool {
        if self.next_deadline.load(Ordering::Acquire) == NO_DEADLINE {
            return false;
        }
        let now = clock::now_tick();
        if self.next_deadline.load(Ordering::Acquire) > now {
            return false;
        }
        let mut due = Vec::new();
        {
            let mut q = self.queue.lock();
            while let Some(entry) = q.entries.first_entry() {
                if entry.key().deadline > now {
                    break;
                }
                due.push(entry.remove());
            }
            let next = q.entries.keys().next().map_or(NO_DEADLINE, |k| k.deadline);
            self.next_deadline.store(next, Ordering::Release);
        }
        let fired = !due.is_empty();
        for waker in due {
            wake(waker);
        }
        fired
    }

    /// `true` if any timer is registered.
    pub(crate) fn has_pending(&self) -> bool {
        self.next_deadline.load(Ordering::Acquire) != NO_DEADLINE
    }

    /// Number of registered timers (a debug counter: leak tests check it returns to 0).
    pub(crate) fn len(&self) -> usize {
        self.queue.lock().entries.len()
    }

    /// A worker is about to sleep: it takes the timer duty if free.
    pub(crate) fn begin_park(&self, worker: usize) -> ParkMode {
        let mut q = self.queue.lock();
        #[cfg(loom)]
        {
            q.parked += 1;
        }
        if q.driver.is_some() {
            return ParkMode::Plain;
        }
        q.driver = Some(worker);
        let deadline = q.entries.keys().next().map_or(NO_DEADLINE, |k| k.deadline);
        q.driver_deadline = deadline;
        if deadline == NO_DEADLINE {
            ParkMode::Driver(None)
        } else {
            ParkMode::Driver(Some(clock::instant_of_tick(deadline)))
        }
    }

    /// The worker woke up. Returns `true` if it had the timer duty (now released).
    pub(crate) fn end_park(&self, worker: usize) -> bool {
        let mut q = self.queue.lock();
        #[cfg(loom)]
        {
            q.parked -= 1;
            q.stuck = false;
        }
        if q.driver == Some(worker) {
            q.driver = None;
            q.driver_deadline = NO_DEADLINE;
            true
        } else {
            false
        }
    }

    /// Virtual time (`cfg(loom)` only, see the module docs): called by a worker after its
    /// `begin_park`. If all `num_workers` workers are inside a park, the runtime is open
    /// and `nothing_queued()` (evaluated under the timers' lock, so no worker can leave
    /// its park meanwhile): with a timer pending, moves the virtual clock to the earliest
    /// deadline (`Advanced`: the caller skips its sleep and fires the due timers);
    /// without, marks the runtime stuck and unparks the idle watcher (`Stuck`).
    #[cfg(loom)]
    pub(crate) fn virtual_park(
        &self,
        num_workers: usize,
        nothing_queued: impl FnOnce() -> bool,
    ) -> VirtualPark {
        let mut q = self.queue.lock();
        if q.closed || q.parked < num_workers || !nothing_queued() {
            return VirtualPark::Sleep;
        }
        match q.entries.keys().next() {
            Some(first) => {
                crate::loom::time::advance_to(clock::instant_of_tick(first.deadline));
                VirtualPark::Advanced
            }
            None => {
                q.stuck = true;
                let watcher = q.idle_watcher.clone();
                drop(q);
                if let Some(watcher) = watcher {
                    watcher.unpark();
                }
                VirtualPark::Stuck
            }
        }
    }

    /// `cfg(loom)`: `watcher` is unparked whenever the runtime gets stuck.
    #[cfg(loom)]
    pub(crate) fn set_idle_watcher(&self, watcher: crate::loom::parker::Unparker) {
        self.queue.lock().idle_watcher = Some(watcher);
    }

    /// `cfg(loom)`: every worker is parked, nothing is queued (`nothing_queued()`, under
    /// the timers' lock: a task pushed since the last worker parked, which will wake one,
    /// makes it `false`) and no timer is pending.
    #[cfg(loom)]
    pub(crate) fn is_stuck(&self, nothing_queued: impl FnOnce() -> bool) -> bool {
        let q = self.queue.lock();
        q.stuck && !q.closed && q.entries.is_empty() && nothing_queued()
    }

    /// Removes every timer (shutdown). The wakers are returned to be dropped outside.
    pub(crate) fn clear(&self) -> Vec<Waker> {
        let mut q = self.queue.lock();
        q.closed = true;
        self.next_deadline.store(NO_DEADLINE, Ordering::Release);
        std::mem::take(&mut q.entries).into_values().collect()
    }
}
