//! LIFO slot handoff: the owning worker puts woken tasks in its LIFO slot
//! (`schedule_local` → `Remote::replace_lifo`, the displaced task going to the back of
//! its queue) and runs from it (`next_task` → `take_lifo`), while an idle worker steals
//! the slot from another thread (`search` → ... → `steal_lifo_slots` → `take_lifo`).
//!
//! Invariants: every task put in the slot runs exactly once (a slot entry is never taken
//! twice nor lost when displaced), and nothing leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, Sched};

#[test]
fn replace_lifo_vs_take_lifo() {
    model(|| {
        let (sched, mut parts) = Sched::new(2);
        let thief_parts = parts.pop().unwrap();
        let owner_parts = parts.pop().unwrap();

        let runs: Vec<Counter> = (0..2).map(|_| Counter::new()).collect();
        let handles: Vec<_> = runs
            .iter()
            .map(|c| {
                let c = c.clone();
                sched.handle().call_soon_threadsafe(move || {
                    c.inc();
                })
            })
            .collect();
        let mut entries: Vec<_> = std::iter::from_fn(|| sched.pop_injector()).collect();
        let second = entries.pop().unwrap();
        let first = entries.pop().unwrap();

        let s = sched.clone();
        let owner = thread::spawn(move || {
            let w = owner_parts.enter(&s);
            // Into the empty slot; then displaced to the queue by the second.
            w.schedule_wake(first);
            w.schedule_wake(second);
            if let Some(t) = w.next_task(false) {
                w.run_task(t);
            }
        });
        let s = sched.clone();
        let thief = thread::spawn(move || {
            let w = thief_parts.enter(&s);
            if let Some(t) = w.search() {
                w.run_task(t);
            }
        });
        owner.join().unwrap();
        thief.join().unwrap();

        for i in 0..2 {
            while let Some(t) = sched.take_lifo(i).or_else(|| sched.steal_from(i)) {
                t.run();
            }
        }
        sched.run_injector();

        for (i, c) in runs.iter().enumerate() {
            assert_eq!(c.get(), 1, "task {i} ran {c:?} times");
        }
        assert!(handles.iter().all(|h| h.done()));
    });
}

/// Two threads take the same slot while its owner refills it.
#[test]
fn take_lifo_vs_take_lifo() {
    model(|| {
        let (sched, _parts) = Sched::new(2);
        let runs: Vec<Counter> = (0..2).map(|_| Counter::new()).collect();
        let handles: Vec<_> = runs
            .iter()
            .map(|c| {
                let c = c.clone();
                sched.handle().call_soon_threadsafe(move || {
                    c.inc();
                })
            })
            .collect();
        let mut entries: Vec<_> = std::iter::from_fn(|| sched.pop_injector()).collect();
        let second = entries.pop().unwrap();
        let first = entries.pop().unwrap();
        assert!(sched.replace_lifo(0, first).is_none());

        let s = sched.clone();
        let a = thread::spawn(move || {
            if let Some(t) = s.take_lifo(0) {
                t.run();
            }
        });
        let s = sched.clone();
        let b = thread::spawn(move || {
            if let Some(t) = s.take_lifo(0) {
                t.run();
            }
        });
        // The owner puts the next one in, displacing whatever is still there.
        if let Some(displaced) = sched.replace_lifo(0, second) {
            displaced.run();
        }
        a.join().unwrap();
        b.join().unwrap();
        while let Some(t) = sched.take_lifo(0) {
            t.run();
        }

        for (i, c) in runs.iter().enumerate() {
            assert_eq!(c.get(), 1, "task {i} ran {c:?} times");
        }
        assert!(handles.iter().all(|h| h.done()));
    });
}
