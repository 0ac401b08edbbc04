//! The task state word, driven through the real cell and harness: the task's completion
//! (`Harness::complete`: output stored, COMPLETE, join waker woken, refs released) races
//! its real `Task<T>` join handle being polled (`try_read_output`: JOIN_WAKER set / unset,
//! output taken) and dropped (`drop_join_handle_slow`) on another thread.
//!
//! The cell is made by hand (`HandMade`: `RawTask::new` with a queued `Notified` and the
//! `Task<T>`; not in the registry), and its future is ready at its first poll. The stage
//! and the join waker slot are loom `UnsafeCell`s guarded only by the state word (rules 2
//! and 3 of `src/task/state.rs`): loom reports any access the state word does not order.
//!
//! Invariants: the output is dropped (or read) exactly once, so is the future; every
//! clone of the join handle's waker is dropped (none leaked in the slot, none dropped
//! twice); a join handle that registered its waker is woken (no lost wake-up: the parked
//! reader would be a loom deadlock); the cell is freed exactly once (nothing references
//! the scheduler afterwards; loom's leak check).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, HandMade, PendingThen, Sched, ThreadWaker};
use crate::task::state::Initial;
use crate::task::Task;

struct Fixture {
    sched: Sched,
    polls: Counter,
    future_drops: Counter,
    output_drops: Counter,
}

impl Fixture {
    /// A cell whose `Notified` is queued; returns its join handle.
    fn new() -> (Fixture, Task<DropCount>) {
        let (sched, _parts) = Sched::new(1);
        let polls = Counter::new();
        let future_drops = Counter::new();
        let output_drops = Counter::new();
        let future = PendingThen {
            pending_polls: 0,
            slot: None,
            polls: polls.clone(),
            value: Some(DropCount(output_drops.clone())),
            _drop: DropCount(future_drops.clone()),
        };
        let init = Initial {
            refs: 2,
            notified: true,
            join_interest: true,
            running: false,
            registered: false,
        };
        let mut cell = HandMade::new(&sched, future, init);
        let join = cell.join_handle();
        cell.schedule();
        let fixture = Fixture {
            sched,
            polls,
            future_drops,
            output_drops,
        };
        (fixture, join)
    }

    fn check_end(&self) {
        assert_eq!(self.polls.get(), 1, "the task was not polled exactly once");
        assert_eq!(
            self.output_drops.get(),
            1,
            "output dropped {:?} times",
            self.output_drops
        );
        assert_eq!(self.future_drops.get(), 1);
        assert_eq!(self.sched.other_refs(), 0, "the cell was never freed");
    }
}

/// Polls the join handle once with `waker`.
fn poll_join(join: &mut Task<DropCount>, waker: &ThreadWaker) -> bool {
    let waker = waker.waker();
    let mut cx = Context::from_waker(&waker);
    match Pin::new(&mut join.into_future()).poll(&mut cx) {
        Poll::Ready(out) => {
            assert!(
                out.is_ok(),
                "the task returned, yet the handle read {out:?}"
            );
            true
        }
        Poll::Pending => false,
    }
}

/// The task completes while its join handle is dropped unpolled.
#[test]
fn complete_vs_join_handle_drop() {
    model(|| {
        let (f, join) = Fixture::new();
        let t = thread::spawn(move || drop(join));
        f.sched.run_injector();
        t.join().unwrap();
        f.check_end();
    });
}

/// The join handle registers its waker and blocks until it reads the output while the
/// task completes; then the handle is dropped.
#[test]
fn complete_vs_join_handle_poll() {
    model(|| {
        let (f, mut join) = Fixture::new();
        let t = thread::spawn(move || {
            let waker = ThreadWaker::current();
            while !poll_join(&mut join, &waker) {
                // A lost wake-up parks this thread forever: loom reports a deadlock.
                thread::park();
            }
            drop(join);
            waker
        });
        f.sched.run_injector();
        let waker = t.join().unwrap();
        f.check_end();
        assert_eq!(waker.clones_alive(), 0, "the join waker leaked");
    });
}

/// As above, but the handle polls once, then is dropped (with its waker registered, if
/// the task was not complete yet) while the task completes: the waker is dropped by
/// whoever owns the slot last.
#[test]
fn complete_vs_join_handle_poll_then_drop() {
    model(|| {
        let (f, mut join) = Fixture::new();
        let t = thread::spawn(move || {
            let waker = ThreadWaker::current();
            let _ = poll_join(&mut join, &waker);
            drop(join);
            waker
        });
        f.sched.run_injector();
        let waker = t.join().unwrap();
        f.check_end();
        assert_eq!(waker.clones_alive(), 0, "the join waker leaked");
    });
}
