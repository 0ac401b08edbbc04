//! A real task (cell, harness, waker vtable, scheduler): its waker fires on one thread
//! while its `Task<T>` join handle is dropped on another and a third thread runs it.
//!
//! The task is created with `create_task` (registry insert + injector push), polled
//! once (it returns `Pending`, leaving its waker), then the race starts.
//!
//! Invariants: the future is polled exactly twice (no lost wake-up, no double run) and
//! dropped exactly once; the output is dropped exactly once (by completion or by the
//! join handle, whichever is last); the registry is empty afterwards; every cell is freed
//! (loom's leak check of the runtime's `loom::sync::Arc<Shared>`, which every cell holds,
//! fails the model otherwise).

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, PendingThen, Sched, WakerSlot};

#[test]
fn wake_vs_run_vs_join_drop() {
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
        assert_eq!(polls.get(), 1);

        let waker = slot.take().expect("the first poll left its waker");
        let w = thread::spawn(move || waker.wake());
        let j = thread::spawn(move || drop(task));
        sched.run_injector();
        w.join().unwrap();
        j.join().unwrap();
        sched.run_injector();

        assert_eq!(polls.get(), 2, "lost wake-up or double poll");
        assert_eq!(future_drops.get(), 1);
        assert_eq!(output_drops.get(), 1);
        assert_eq!(sched.registry_len(), 0);
        assert_eq!(sched.live_cells().unwrap_or(0), 0);
    });
}

/// The same race with the wake-up and the run on one thread and the join handle polled
/// (then dropped) on another: the join handle must see the output (no lost join wake-up).
#[test]
fn wake_and_run_vs_join_poll() {
    model(|| {
        let (sched, _workers) = Sched::new(1);
        let slot = WakerSlot::new();
        let polls = Counter::new();
        let output_drops = Counter::new();
        let task = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: polls.clone(),
            value: Some(DropCount(output_drops.clone())),
            _drop: DropCount(Counter::new()),
        });
        assert_eq!(sched.run_injector(), 1);
        let waker = slot.take().expect("the first poll left its waker");

        let s = sched.clone();
        let runner = thread::spawn(move || {
            waker.wake();
            s.run_injector();
        });
        // Blocks (loom-visibly) until the join waker fires: a lost wake-up is a deadlock.
        let out = crate::loom_model::block_on(task);
        assert!(out.is_ok());
        drop(out);
        assert_eq!(output_drops.get(), 1);
        runner.join().unwrap();
        assert_eq!(polls.get(), 2);
        assert_eq!(sched.registry_len(), 0);
    });
}
