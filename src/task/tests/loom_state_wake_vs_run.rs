//! The task state word, driven through the real cell and harness: a waker fires (by
//! value, or by reference then dropped) on another thread while the task is being polled
//! (`Notified::run` → `Harness::run`: `transition_to_running`, the poll,
//! `transition_to_idle` or completion), and the queue entries the wake-ups submit
//! (`RawTask::schedule` → the injector) are run by both threads.
//!
//! The cell is made by hand (`HandMade`: `RawTask::new` with one queued `Notified` and one
//! ref per waker; no join handle, not in the registry), so the race is the state word's
//! alone. The future becomes ready once it sees the flag each waking thread sets before
//! it wakes; its stage is a loom `UnsafeCell` that the harness touches only under RUNNING
//! (loom reports any access not ordered by the state word).
//!
//! Invariants: no lost wake-up (the future returned `Ready` and its output was dropped by
//! the completion: else "never completed"); completed exactly once, future and output
//! dropped exactly once; the cell freed exactly once with no ref left — afterwards
//! nothing references the scheduler but the model (each cell holds its `Arc<Shared>`,
//! and loom's leak check fails a model whose cell is never freed), and a double free or a
//! use after free trips loom on the freed cell's atomics.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, HandMade, Sched};
use crate::task::state::Initial;

/// Pending until it sees `woken`, then ready with an output made there (so that an
/// output drop counts a completion, not the drop of a future that never finished).
struct ReadyWhenWoken {
    woken: Arc<AtomicBool>,
    readies: Counter,
    output_drops: Counter,
    _drop: DropCount,
}

impl Future for ReadyWhenWoken {
    type Output = DropCount;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<DropCount> {
        if self.woken.load(Ordering::Acquire) {
            self.readies.inc();
            Poll::Ready(DropCount(self.output_drops.clone()))
        } else {
            Poll::Pending
        }
    }
}

struct Fixture {
    sched: Sched,
    woken: Arc<AtomicBool>,
    readies: Counter,
    future_drops: Counter,
    output_drops: Counter,
}

impl Fixture {
    /// A cell with a queued `Notified` and `wakers` wakers.
    fn new(wakers: usize) -> (Fixture, Vec<Waker>) {
        let (sched, _parts) = Sched::new(1);
        let woken = Arc::new(AtomicBool::new(false));
        let readies = Counter::new();
        let future_drops = Counter::new();
        let output_drops = Counter::new();
        let future = ReadyWhenWoken {
            woken: woken.clone(),
            readies: readies.clone(),
            output_drops: output_drops.clone(),
            _drop: DropCount(future_drops.clone()),
        };
        let init = Initial {
            refs: 1 + wakers,
            notified: true,
            join_interest: false,
            running: false,
            registered: false,
        };
        let mut cell = HandMade::new(&sched, future, init);
        let wakers = (0..wakers).map(|_| cell.waker()).collect();
        cell.schedule();
        let fixture = Fixture {
            sched,
            woken,
            readies,
            future_drops,
            output_drops,
        };
        (fixture, wakers)
    }

    /// What a waking thread knows: the flag it sets, and the queue it may run.
    fn waking_side(&self) -> (Arc<AtomicBool>, Sched) {
        (self.woken.clone(), self.sched.clone())
    }

    fn check_end(&self) {
        assert_eq!(
            self.readies.get(),
            1,
            "lost wake-up: the task never completed"
        );
        assert_eq!(
            self.output_drops.get(),
            1,
            "the output was not dropped once"
        );
        assert_eq!(
            self.future_drops.get(),
            1,
            "the future was not dropped once"
        );
        assert_eq!(self.sched.injector_len(), 0);
        assert_eq!(self.sched.other_refs(), 0, "the cell was never freed");
    }
}

/// A waker consumed by value on another thread vs the poll; both threads run entries.
#[test]
fn wake_by_val_vs_run() {
    model(|| {
        let (f, mut wakers) = Fixture::new(1);
        let waker = wakers.pop().unwrap();
        let (woken, s) = f.waking_side();
        let t = thread::spawn(move || {
            woken.store(true, Ordering::Release);
            waker.wake();
            s.run_injector();
        });
        f.sched.run_injector();
        t.join().unwrap();
        f.sched.run_injector();
        f.check_end();
    });
}

/// `wake_by_ref` then dropping the waker on another thread vs the poll.
#[test]
fn wake_by_ref_then_drop_vs_run() {
    model(|| {
        let (f, mut wakers) = Fixture::new(1);
        let waker = wakers.pop().unwrap();
        let (woken, _) = f.waking_side();
        let t = thread::spawn(move || {
            woken.store(true, Ordering::Release);
            waker.wake_by_ref();
            drop(waker);
        });
        f.sched.run_injector();
        t.join().unwrap();
        f.sched.run_injector();
        f.check_end();
    });
}

/// Two wakers (one by value, one by reference then dropped) on two threads vs the poll.
#[test]
fn two_wakers_vs_run() {
    model(|| {
        let (f, mut wakers) = Fixture::new(2);
        let (w1, w2) = (wakers.pop().unwrap(), wakers.pop().unwrap());
        let (woken1, _) = f.waking_side();
        let t1 = thread::spawn(move || {
            woken1.store(true, Ordering::Release);
            w1.wake();
        });
        let (woken2, s) = f.waking_side();
        let t2 = thread::spawn(move || {
            woken2.store(true, Ordering::Release);
            w2.wake_by_ref();
            drop(w2);
            s.run_injector();
        });
        f.sched.run_injector();
        t1.join().unwrap();
        t2.join().unwrap();
        f.sched.run_injector();
        f.check_end();
    });
}
