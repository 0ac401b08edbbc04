//! Waker reference counts: a task's waker is cloned, dropped and woken (by reference and
//! by value) on other threads while the task completes, and after the runtime shut down.
//!
//! Each waker owns one ref of the cell (`src/task/waker.rs`); the cell must stay
//! allocated until the last one is gone and then be freed exactly once. A cell that is
//! never freed keeps its `loom::sync::Arc<Shared>` alive, which loom's leak check reports
//! ("Arc leaked"); a double free or a use after free trips loom's checks on that `Arc` or
//! on the cell's loom `UnsafeCell`.
//!
//! Invariants: the future is polled exactly twice (the wakes cause exactly one more poll;
//! in the shutdown model at most one) and dropped exactly once; the value it carries is
//! dropped exactly once; no leak.

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, PendingThen, Sched, WakerSlot};

/// Two threads clone, drop and wake the waker while the main thread runs the task to
/// completion; the join handle is dropped on one of them.
#[test]
fn clone_drop_wake_vs_completion() {
    model(|| {
        let (sched, _workers) = Sched::new(1);
        let slot = WakerSlot::new();
        let polls = Counter::new();
        let future_drops = Counter::new();
        let output_drops = Counter::new();
        let task = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: polls.clone(),
            value: Some(DropCount(output_drops.clone())),
            _drop: DropCount(future_drops.clone()),
        });
        assert_eq!(sched.run_injector(), 1);
        let w1 = slot.take().expect("the first poll left its waker");
        let w2 = w1.clone();

        let a = thread::spawn(move || {
            w1.wake_by_ref();
            drop(w1);
        });
        let b = thread::spawn(move || {
            let w3 = w2.clone();
            drop(w2);
            w3.wake();
            drop(task);
        });
        sched.run_injector();
        a.join().unwrap();
        b.join().unwrap();
        sched.run_injector();

        assert_eq!(polls.get(), 2, "lost wake-up or double poll");
        assert_eq!(future_drops.get(), 1);
        assert_eq!(output_drops.get(), 1);
    });
}

/// A waker moved to another thread is woken and dropped while the task completes and
/// the runtime shuts down (`close` + `finish_shutdown`) and is dropped: the cell (and
/// with it the runtime's `Shared`) is freed by whoever drops the last ref.
#[test]
fn wake_after_complete_and_shutdown() {
    model(|| {
        let (sched, workers) = Sched::new(1);
        let slot = WakerSlot::new();
        let polls = Counter::new();
        let future_drops = Counter::new();
        let output_drops = Counter::new();
        let task = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: polls.clone(),
            value: Some(DropCount(output_drops.clone())),
            _drop: DropCount(future_drops.clone()),
        });
        assert_eq!(sched.run_injector(), 1);
        let w1 = slot.take().expect("the first poll left its waker");
        let w2 = w1.clone();

        let other = thread::spawn(move || {
            w2.wake_by_ref();
            drop(w2);
        });
        w1.wake();
        sched.run_injector();
        drop(task);
        sched.close();
        sched.finish_shutdown();
        drop(workers);
        drop(sched);
        other.join().unwrap();

        // The other thread's wake may still be on its way to the injector when the main
        // thread looks: then the shutdown sweep cancels the task instead of a second poll.
        assert!((1..=2).contains(&polls.get()));
        assert_eq!(future_drops.get(), 1);
        assert_eq!(output_drops.get(), 1);
    });
}
