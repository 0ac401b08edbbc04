//! A real task force-cancelled (`TaskRef::abort`: CANCELLED + a wake-up) on one thread
//! while a worker thread polls it and its `Task<T>` join handle is dropped on the main
//! thread.
//!
//! Invariants: the task ends exactly once — cancelled, or with its value if it completed
//! first; its future is dropped exactly once; the output is dropped exactly once; the
//! registry is empty afterwards; nothing leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, PendingThen, Sched, WakerSlot};

#[test]
fn abort_vs_run_vs_join_drop() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slot = WakerSlot::new();
        let future_drops = Counter::new();
        let output_drops = Counter::new();
        let task = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: Counter::new(),
            value: Some(DropCount(output_drops.clone())),
            _drop: DropCount(future_drops.clone()),
        });
        assert_eq!(sched.run_injector(), 1);
        let waker = slot.take().unwrap();
        let r = task.task_ref();

        let aborter = thread::spawn(move || {
            r.abort();
            r
        });
        let s = sched.clone();
        let runner = thread::spawn(move || {
            waker.wake();
            s.run_injector();
        });
        drop(task);
        let r = aborter.join().unwrap();
        runner.join().unwrap();
        sched.run_injector();

        assert!(r.done(), "never completed");
        assert_eq!(future_drops.get(), 1);
        assert_eq!(output_drops.get(), 1);
        assert_eq!(sched.registry_len(), 0);
    });
}
