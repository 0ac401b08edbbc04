#![cfg(loom)]
//! Task state word on its own: a force-cancel (`abort`, `transition_to_notified_and_cancel`)
//! or the shutdown sweep (`transition_to_shutdown`) races the task being polled on
//! another thread, with a wake-up in the mix.
//!
//! The future never completes by itself, so the task ends only through the cancel: a
//! cancel request that is lost leaves it pending (the model then fails on "never
//! completed"). The future is a loom `UnsafeCell` touched only by the RUNNING holder.
//!
//! Invariants: the task completes exactly once, as cancelled; the future is dropped
//! exactly once and never touched concurrently; the cell is freed exactly once with a
//! ref count of zero.

use loom::cell::UnsafeCell;
use loom::sync::{Arc, Mutex};
use loom::thread;
use loom_tests::rt::{ByVal, Outcome, TaskState, ToIdle, ToRunning};
use loom_tests::{model, Counter, DropCount};

struct Sim {
    state: TaskState,
    /// The future: `Some` until dropped; polls only count.
    future: UnsafeCell<Option<DropCount>>,
    queue: Mutex<usize>,
    future_drops: Counter,
    completions: Counter,
    deallocs: Counter,
}

impl Sim {
    fn new(refs: usize, notified: bool) -> Arc<Sim> {
        let future_drops = Counter::new();
        Arc::new(Sim {
            state: TaskState::new(refs, notified, false, false, false),
            future: UnsafeCell::new(Some(DropCount(future_drops.clone()))),
            queue: Mutex::new(usize::from(notified)),
            future_drops,
            completions: Counter::new(),
            deallocs: Counter::new(),
        })
    }

    fn dealloc(&self) {
        assert_eq!(self.state.load().ref_count(), 0);
        assert_eq!(self.deallocs.inc(), 1, "freed twice");
    }

    fn release(&self) {
        if self.state.ref_dec() {
            self.dealloc();
        }
    }

    fn push(&self) {
        *self.queue.lock().unwrap() += 1;
    }

    fn pop(&self) -> bool {
        let mut q = self.queue.lock().unwrap();
        let some = *q > 0;
        if some {
            *q -= 1;
        }
        some
    }

    /// `Harness::cancel_and_complete`: the caller holds RUNNING and one ref.
    fn cancel_and_complete(&self) {
        // SAFETY: we hold RUNNING.
        let fut = self.future.with_mut(|p| unsafe { (*p).take() });
        assert!(fut.is_some(), "future dropped twice");
        drop(fut);
        let snap = self.state.transition_to_complete(Outcome::Cancelled);
        assert_eq!(snap.outcome(), Some(Outcome::Cancelled));
        assert_eq!(self.completions.inc(), 1, "completed twice");
        if self.state.transition_to_terminal(1) {
            self.dealloc();
        }
    }

    /// `Harness::run` for one queue entry; the future returns `Pending`.
    fn run(&self) {
        match self.state.transition_to_running() {
            ToRunning::Success(_) => {
                // SAFETY: we hold RUNNING.
                self.future
                    .with_mut(|p| unsafe { assert!((*p).is_some(), "polled a dropped future") });
                match self.state.transition_to_idle() {
                    ToIdle::Ok => {}
                    ToIdle::OkNotified => {
                        self.push();
                        self.release();
                    }
                    ToIdle::OkDealloc => self.dealloc(),
                    ToIdle::Cancelled => self.cancel_and_complete(),
                }
            }
            ToRunning::Cancelled => self.cancel_and_complete(),
            ToRunning::Failed => {}
            ToRunning::Dealloc => self.dealloc(),
        }
    }

    fn drain(&self) {
        while self.pop() {
            self.run();
        }
    }

    /// `RawTask::abort` from a `TaskRef` (which keeps its ref).
    fn abort(&self) {
        if self.state.transition_to_notified_and_cancel() {
            self.push();
        }
    }

    /// `Harness::shutdown` with a ref taken for it (the registry sweep).
    fn shutdown(&self) {
        if self.state.transition_to_shutdown() {
            self.cancel_and_complete();
        } else {
            self.release();
        }
    }

    fn wake_by_val(&self) {
        match self.state.transition_to_notified_by_val() {
            ByVal::Submit => {
                self.push();
                self.release();
            }
            ByVal::DoNothing => {}
            ByVal::Dealloc => self.dealloc(),
        }
    }

    fn check_end(&self) {
        assert_eq!(
            self.completions.get(),
            1,
            "the cancel was lost: never completed"
        );
        assert_eq!(self.future_drops.get(), 1);
        assert_eq!(self.deallocs.get(), 1, "cell never freed");
    }
}

/// `abort()` from a handle on another thread vs the task being polled (queued once).
#[test]
fn abort_vs_run() {
    model(|| {
        // The queued Notified and the aborting TaskRef.
        let sim = Sim::new(2, true);
        let s = sim.clone();
        let aborter = thread::spawn(move || {
            s.abort();
            s.drain();
            s.release();
        });
        sim.drain();
        aborter.join().unwrap();
        sim.drain();
        sim.check_end();
    });
}

/// `abort()` and a wake-up by value on two threads vs the poll.
#[test]
fn abort_and_wake_vs_run() {
    model(|| {
        // The queued Notified, the aborting TaskRef and a waker.
        let sim = Sim::new(3, true);
        let s1 = sim.clone();
        let aborter = thread::spawn(move || {
            s1.abort();
            s1.release();
        });
        let s2 = sim.clone();
        let waker = thread::spawn(move || {
            s2.wake_by_val();
            s2.drain();
        });
        sim.drain();
        aborter.join().unwrap();
        waker.join().unwrap();
        sim.drain();
        sim.check_end();
    });
}

/// The shutdown sweep (registry drain: `transition_to_shutdown`) vs the task being
/// polled: exactly one of them drops the future.
#[test]
fn shutdown_vs_run() {
    model(|| {
        // The queued Notified and the registry entry the sweep consumes.
        let sim = Sim::new(2, true);
        let s = sim.clone();
        let sweeper = thread::spawn(move || s.shutdown());
        sim.drain();
        sweeper.join().unwrap();
        sim.drain();
        sim.check_end();
    });
}
