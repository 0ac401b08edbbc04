//! Done-callback registration (`TaskRef::add_done_callback` / `remove_done_callback`,
//! `src/task/hooks.rs`: HAS_HOOKS set under the task's `Extra` lock unless COMPLETE)
//! racing the task's completion on another thread (which drains the hooks under the same
//! lock and schedules each callback on the runtime).
//!
//! Invariants: a callback that stays registered runs exactly once, after the task is
//! done; a callback removed before completion never runs and one removed too late (its
//! removal returns 0) runs exactly once; nothing leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, PendingThen, Sched, WakerSlot};

#[test]
fn add_remove_done_callback_vs_completion() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slot = WakerSlot::new();
        let task = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: Counter::new(),
            value: Some(()),
            _drop: DropCount(Counter::new()),
        });
        assert_eq!(sched.run_injector(), 1);
        let waker = slot.take().unwrap();

        let kept = Counter::new();
        let removed_runs = Counter::new();
        let r = task.task_ref();
        let (k, rr) = (kept.clone(), removed_runs.clone());
        let registrar = thread::spawn(move || {
            let id = r.add_done_callback(move |t| {
                assert!(t.done(), "a done callback ran before completion");
                rr.inc();
            });
            r.add_done_callback(move |t| {
                assert!(t.done(), "a done callback ran before completion");
                k.inc();
            });
            r.remove_done_callback(id)
        });
        let s = sched.clone();
        let completer = thread::spawn(move || {
            waker.wake();
            s.run_injector();
        });
        let removed = registrar.join().unwrap();
        completer.join().unwrap();
        // The callbacks are queued on the runtime (here: the injector).
        sched.run_injector();

        assert!(task.done());
        assert_eq!(kept.get(), 1, "a registered callback ran {kept:?} times");
        assert_eq!(
            removed + removed_runs.get(),
            1,
            "removed {removed}, yet ran {removed_runs:?} times"
        );
    });
}
