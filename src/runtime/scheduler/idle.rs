//! Coordinates idle workers: who searches, who sleeps, whom to wake.
//!
//! The protocol is tokio's (`multi_thread/idle.rs`):
//!
//! * One atomic word counts *unparked* workers (upper bits) and *searching* workers
//!   (lower 16 bits). A searching worker is an unparked worker that has no task and is
//!   looking for one (stealing, checking the injector).
//! * When work appears, [`Idle::worker_to_notify`] wakes one sleeper only if nobody is
//!   searching (a searcher will find the work) and not every worker is already up, so a
//!   burst of pushes wakes one worker, not all of them (no thundering herd). The woken
//!   worker starts out searching; when it finds a task it stops searching and, if it was
//!   the last searcher, wakes the next sleeper, so wake-ups ripple only while there is
//!   work for them.
//! * At most about half of the workers search at once ([`Idle::transition_worker_to_searching`]).
//! * No lost wake-up: a push is followed by a `SeqCst` read of the word; a worker going to
//!   sleep decrements it with `SeqCst` and, if it was the last searcher, re-checks every
//!   queue afterwards (`Shared::notify_if_work_pending`). Either the pusher sees a searcher
//!   or the sleeper sees the work. The loom model
//!   `runtime/tests/loom_injector_push_vs_park.rs` checks this.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::Mutex;

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub(crate) struct Idle {
    /// `num_unparked << 16 | num_searching`.
    state: AtomicUsize,
    /// Indices of the workers that are asleep (or about to be).
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// If nobody searches and someone sleeps, picks a sleeper to wake (counting it as
    /// unparked and searching). The caller unparks it.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.notify_should_wakeup() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), SeqCst);
        Some(worker)
    }

    /// Picks a sleeper without changing any count (it wakes, finds nothing, and sleeps
    /// again; used to hand the timer duty over). The caller unparks it.
    pub(crate) fn any_sleeper(&self) -> Option<usize> {
        self.sleepers.lock().last().copied()
    }

    /// The worker is about to sleep. Returns `true` if it was the last searcher: it must
    /// then check every queue once more.
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let mut dec = 1 << UNPARK_SHIFT;
        if is_searching {
            dec += 1;
        }
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// Tries to become a searcher; fails when about half of the workers already search.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * (state & SEARCH_MASK) >= self.num_workers {
            return false;
        }
        // More than half may slip through concurrently; that only costs some contention.
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searcher found work. Returns `true` if it was the last searcher: the caller must
    /// wake another worker, since more work may follow.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        prev & SEARCH_MASK == 1
    }

    /// A sleeping worker woke up with work of its own. Returns `true` if it was still
    /// listed as a sleeper (nobody woke it on purpose, so it is not searching).
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        if let Some(i) = sleepers.iter().position(|&w| w == worker) {
            sleepers.swap_remove(i);
            self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
            true
        } else {
            false
        }
    }

    /// `true` if `worker` is listed as a sleeper (a wake-up it got was not for it).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().contains(&worker)
    }

    fn notify_should_wakeup(&self) -> bool {
        // A read-modify-write (not a load) so it is ordered after the pusher's push in
        // the single total order of SeqCst operations.
        let state = self.state.fetch_add(0, SeqCst);
        state & SEARCH_MASK == 0 && (state >> UNPARK_SHIFT) < self.num_workers
    }

    /// `(unparked workers, searching workers)`, for tests.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let s = self.state.load(SeqCst);
        (s >> UNPARK_SHIFT, s & SEARCH_MASK)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wakes_one_sleeper_and_counts_it_searching() {
        let idle = Idle::new(4);
        assert!(!idle.transition_worker_to_parked(0, false));
        assert!(!idle.transition_worker_to_parked(1, false));
        assert_eq!(idle.counts(), (2, 0));
        let w = idle.worker_to_notify().unwrap();
        assert_eq!(idle.counts(), (3, 1));
        // A searcher exists: no second wake-up.
        assert_eq!(idle.worker_to_notify(), None);
        assert!(idle.transition_worker_from_searching());
        assert!(!idle.is_parked(w));
    }

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(2);
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
    }
}
