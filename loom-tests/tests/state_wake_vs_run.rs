#![cfg(loom)]
//! Task state word on its own: a waker fires (by value, or by reference then dropped) on
//! another thread while the task is being polled, and the queue entries it creates are
//! run by both threads.
//!
//! The cell is simulated around the real `State` (`src/task/state.rs`): the "future" is a
//! loom `UnsafeCell` that only the RUNNING holder touches (loom reports any access not
//! ordered by the state word), and it completes once it observes the wake.
//!
//! Invariants: no lost wake-up (the task always completes), the future is completed
//! exactly once, the cell is freed exactly once, with a ref count of zero, and nothing
//! touches the state word after the free.

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;
use loom_tests::rt::{ByRef, ByVal, Outcome, Snap, TaskState, ToIdle, ToRunning};
use loom_tests::{model, Counter};

struct Sim {
    state: TaskState,
    /// The future's private data: how often it was polled.
    stage: UnsafeCell<usize>,
    /// Set by the waker before it wakes; the future is ready once it sees it.
    woken: AtomicBool,
    /// Queued `Notified` entries (each owns one ref).
    queue: Mutex<usize>,
    completions: Counter,
    deallocs: Counter,
    freed_as: std::sync::Mutex<Option<Snap>>,
}

impl Sim {
    fn new(refs: usize) -> Arc<Sim> {
        Arc::new(Sim {
            // One of the refs is the queued Notified.
            state: TaskState::new(refs, true, false, false, false),
            stage: UnsafeCell::new(0),
            woken: AtomicBool::new(false),
            queue: Mutex::new(1),
            completions: Counter::new(),
            deallocs: Counter::new(),
            freed_as: std::sync::Mutex::new(None),
        })
    }

    fn dealloc(&self) {
        let snap = self.state.load();
        assert_eq!(snap.ref_count(), 0, "freed with refs left: {snap:?}");
        assert_eq!(self.deallocs.inc(), 1, "cell freed twice");
        *self.freed_as.lock().unwrap() = Some(snap);
    }

    fn push(&self) {
        *self.queue.lock().unwrap() += 1;
    }

    fn pop(&self) -> bool {
        let mut q = self.queue.lock().unwrap();
        if *q == 0 {
            return false;
        }
        *q -= 1;
        true
    }

    /// The harness's `run` for one queue entry (its ref is consumed).
    fn run(&self) {
        match self.state.transition_to_running() {
            ToRunning::Success(_) => {
                // SAFETY: we hold RUNNING, which gives exclusive access to the future.
                let ready = self.stage.with_mut(|p| unsafe {
                    *p += 1;
                    self.woken.load(Ordering::Acquire)
                });
                if ready {
                    let snap = self.state.transition_to_complete(Outcome::Returned);
                    assert_eq!(snap.outcome(), Some(Outcome::Returned));
                    assert_eq!(self.completions.inc(), 1, "completed twice");
                    if self.state.transition_to_terminal(1) {
                        self.dealloc();
                    }
                } else {
                    match self.state.transition_to_idle() {
                        ToIdle::Ok => {}
                        // Woken during the poll: a new ref was made for the new queue
                        // entry; ours is released (as `Harness::poll`).
                        ToIdle::OkNotified => {
                            self.push();
                            if self.state.ref_dec() {
                                self.dealloc();
                            }
                        }
                        ToIdle::OkDealloc => self.dealloc(),
                        ToIdle::Cancelled => unreachable!("nobody cancels"),
                    }
                }
            }
            ToRunning::Failed => {}
            ToRunning::Dealloc => self.dealloc(),
            ToRunning::Cancelled => unreachable!("nobody cancels"),
        }
    }

    fn drain(&self) {
        while self.pop() {
            self.run();
        }
    }

    fn wake_by_val(&self) {
        self.woken.store(true, Ordering::Release);
        match self.state.transition_to_notified_by_val() {
            ByVal::Submit => {
                // Our ref plus the new one: queue one, release ours.
                self.push();
                if self.state.ref_dec() {
                    self.dealloc();
                }
            }
            ByVal::DoNothing => {}
            ByVal::Dealloc => self.dealloc(),
        }
    }

    fn wake_by_ref_then_drop(&self) {
        self.woken.store(true, Ordering::Release);
        if let ByRef::Submit = self.state.transition_to_notified_by_ref() {
            self.push();
        }
        if self.state.ref_dec() {
            self.dealloc();
        }
    }

    fn check_end(&self) {
        assert_eq!(
            self.completions.get(),
            1,
            "lost wake-up: the task never completed"
        );
        assert_eq!(self.deallocs.get(), 1, "cell never freed");
        let freed = self.freed_as.lock().unwrap().expect("freed");
        assert_eq!(
            self.state.load(),
            freed,
            "state word touched after the free"
        );
    }
}

/// A waker consumed by value on another thread vs the poll; both threads run entries.
#[test]
fn wake_by_val_vs_run() {
    model(|| {
        // Refs: the queued Notified and the waker.
        let sim = Sim::new(2);
        let s = sim.clone();
        let waker = thread::spawn(move || {
            s.wake_by_val();
            s.drain();
        });
        sim.drain();
        waker.join().unwrap();
        sim.drain();
        sim.check_end();
    });
}

/// `wake_by_ref` then dropping the waker on another thread vs the poll.
#[test]
fn wake_by_ref_then_drop_vs_run() {
    model(|| {
        let sim = Sim::new(2);
        let s = sim.clone();
        let waker = thread::spawn(move || {
            s.wake_by_ref_then_drop();
        });
        sim.drain();
        waker.join().unwrap();
        sim.drain();
        sim.check_end();
    });
}

/// Two wakers (one by value, one by reference) on two threads vs the poll.
#[test]
fn two_wakers_vs_run() {
    model(|| {
        let sim = Sim::new(3);
        let s1 = sim.clone();
        let w1 = thread::spawn(move || s1.wake_by_val());
        let s2 = sim.clone();
        let w2 = thread::spawn(move || {
            s2.wake_by_ref_then_drop();
            s2.drain();
        });
        sim.drain();
        w1.join().unwrap();
        w2.join().unwrap();
        sim.drain();
        sim.check_end();
    });
}
