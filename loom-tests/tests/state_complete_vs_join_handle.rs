#![cfg(loom)]
//! Task state word on its own: completion (storing the output, waking the join waker)
//! races the `Task<T>` join handle being polled and dropped on another thread.
//!
//! The output slot and the join-waker slot are loom `UnsafeCell`s accessed exactly as
//! `Harness::complete`, `Harness::try_read_output` / `store_join_waker` and
//! `Harness::drop_join_handle_slow` access them, guarded only by the state word (rules 2
//! and 3 of `src/task/state.rs`): loom reports any unsynchronised access.
//!
//! Invariants: the output is dropped (or read) exactly once, the join waker is dropped
//! exactly once, a join handle that registered its waker is woken (no lost wake-up:
//! loom reports the parked reader as a deadlock), the cell is freed exactly once.

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use loom_tests::rt::{Outcome, TaskState};
use loom_tests::{model, Counter, DropCount};

struct JoinWaker {
    thread: thread::Thread,
    _drop: DropCount,
}

struct Sim {
    state: TaskState,
    output: UnsafeCell<Option<DropCount>>,
    join_waker: UnsafeCell<Option<JoinWaker>>,
    output_drops: Counter,
    wakers_made: Counter,
    waker_drops: Counter,
    deallocs: Counter,
}

impl Sim {
    fn new() -> Arc<Sim> {
        Arc::new(Sim {
            // Running (the poller's ref) and joined (the handle's ref).
            state: TaskState::new(2, false, true, true, false),
            output: UnsafeCell::new(None),
            join_waker: UnsafeCell::new(None),
            output_drops: Counter::new(),
            wakers_made: Counter::new(),
            waker_drops: Counter::new(),
            deallocs: Counter::new(),
        })
    }

    fn dealloc(&self) {
        assert_eq!(self.state.load().ref_count(), 0);
        assert_eq!(self.deallocs.inc(), 1, "freed twice");
    }

    /// `Harness::complete` after the poll returned `Ready`.
    fn complete(&self) {
        // SAFETY: we hold RUNNING: the stage is ours.
        self.output
            .with_mut(|p| unsafe { *p = Some(DropCount(self.output_drops.clone())) });
        let snap = self.state.transition_to_complete(Outcome::Returned);
        if !snap.is_join_interested() {
            // SAFETY: COMPLETE without JOIN_INTEREST: the stage is ours.
            drop(self.output.with_mut(|p| unsafe { (*p).take() }));
        } else if snap.is_join_waker_set() {
            // SAFETY: JOIN_WAKER and COMPLETE: the runtime owns the waker slot.
            self.join_waker.with(|p| unsafe {
                if let Some(w) = &*p {
                    w.thread.unpark();
                }
            });
            if !self.state.unset_waker_after_complete().is_join_interested() {
                // SAFETY: COMPLETE and no JOIN_INTEREST: the slot is ours.
                drop(self.join_waker.with_mut(|p| unsafe { (*p).take() }));
            }
        }
        if self.state.transition_to_terminal(1) {
            self.dealloc();
        }
    }

    /// `Harness::try_read_output`: `true` once the output was taken.
    fn poll_join(&self) -> bool {
        let snap = self.state.load();
        if !snap.is_complete() {
            if snap.is_join_waker_set() {
                // Our waker is registered (same thread: `will_wake`).
                return false;
            }
            self.wakers_made.inc();
            // SAFETY: JOIN_WAKER unset: the slot belongs to the join handle.
            self.join_waker.with_mut(|p| unsafe {
                *p = Some(JoinWaker {
                    thread: thread::current(),
                    _drop: DropCount(self.waker_drops.clone()),
                })
            });
            match self.state.set_join_waker() {
                Ok(_) => return false,
                Err(s) => {
                    assert!(s.is_complete());
                    // SAFETY: complete without JOIN_WAKER set: still ours.
                    drop(self.join_waker.with_mut(|p| unsafe { (*p).take() }));
                }
            }
        }
        // SAFETY: COMPLETE and we are the join handle: the stage is ours.
        let out = self.output.with_mut(|p| unsafe { (*p).take() });
        assert!(out.is_some(), "output missing or taken twice");
        drop(out);
        true
    }

    /// `Harness::drop_join_handle_slow`.
    fn drop_join(&self) {
        let t = self.state.transition_to_join_handle_dropped();
        if t.drop_output {
            // SAFETY: COMPLETE and the join handle's turn: the stage is ours.
            drop(self.output.with_mut(|p| unsafe { (*p).take() }));
        }
        if t.drop_waker {
            // SAFETY: JOIN_WAKER unset: the slot is ours.
            drop(self.join_waker.with_mut(|p| unsafe { (*p).take() }));
        }
        if self.state.ref_dec() {
            self.dealloc();
        }
    }
}

/// The task completes while its join handle is dropped unpolled.
#[test]
fn complete_vs_join_handle_drop() {
    model(|| {
        let sim = Sim::new();
        let s = sim.clone();
        let join = thread::spawn(move || s.drop_join());
        sim.complete();
        join.join().unwrap();
        assert_eq!(
            sim.output_drops.get(),
            1,
            "output dropped {:?} times",
            sim.output_drops
        );
        assert_eq!(sim.deallocs.get(), 1);
    });
}

/// The join handle registers its waker and blocks while the task completes; then the
/// handle is dropped.
#[test]
fn complete_vs_join_handle_poll() {
    model(|| {
        let sim = Sim::new();
        let s = sim.clone();
        let join = thread::spawn(move || {
            while !s.poll_join() {
                // A lost wake-up parks this thread forever: loom reports a deadlock.
                thread::park();
            }
            s.drop_join();
        });
        sim.complete();
        join.join().unwrap();
        assert_eq!(
            sim.output_drops.get(),
            1,
            "output dropped {:?} times",
            sim.output_drops
        );
        assert_eq!(sim.waker_drops.get(), sim.wakers_made.get());
        assert_eq!(sim.deallocs.get(), 1);
    });
}

/// As above, but the handle polls once, then is dropped with its waker registered while
/// the task completes: the waker is dropped by whoever owns the slot last.
#[test]
fn complete_vs_join_handle_poll_then_drop() {
    model(|| {
        let sim = Sim::new();
        let s = sim.clone();
        let join = thread::spawn(move || {
            let _ = s.poll_join();
            s.drop_join();
        });
        sim.complete();
        join.join().unwrap();
        assert_eq!(
            sim.output_drops.get(),
            1,
            "output dropped {:?} times",
            sim.output_drops
        );
        assert_eq!(
            sim.waker_drops.get(),
            sim.wakers_made.get(),
            "join waker leaked or dropped twice"
        );
        assert_eq!(sim.deallocs.get(), 1);
    });
}
