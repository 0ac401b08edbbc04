//! Work stealing: a worker fills its local queue past `LOCAL_QUEUE_CAPACITY` (4 under
//! loom), so the real `WorkerCore::push_back` moves the older half to the injector, and
//! pops its own queue, while another worker steals half of it (`search` →
//! `steal_batch_and_pop`) and the injector, through the facade's loom-visible deque model.
//!
//! A second model goes through the real spawn path: a task running on the owner spawns
//! six children (`crate::create_task` → `schedule_local`: LIFO slot, displaced entries
//! to the back of the queue, overflow to the injector) while the other worker steals.
//!
//! Invariants: every queued callback / child task runs exactly once (none lost, none
//! duplicated by a steal racing a pop or the overflow), and nothing leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, Sched};

const TASKS: usize = 5;

#[test]
fn steal_vs_pop_vs_overflow() {
    model(|| {
        let (sched, mut parts) = Sched::new(2);
        let thief_parts = parts.pop().unwrap();
        let owner_parts = parts.pop().unwrap();

        // Five callbacks, queued from this (foreign) thread: they land in the injector.
        let runs: Vec<Counter> = (0..TASKS).map(|_| Counter::new()).collect();
        let handles: Vec<_> = runs
            .iter()
            .map(|c| {
                let c = c.clone();
                sched.handle().call_soon_threadsafe(move || {
                    c.inc();
                })
            })
            .collect();
        let entries: Vec<_> = std::iter::from_fn(|| sched.pop_injector()).collect();
        assert_eq!(entries.len(), TASKS);

        let s = sched.clone();
        let owner = thread::spawn(move || {
            let w = owner_parts.enter(&s);
            // The fifth push overflows: two entries go to the injector.
            for e in entries {
                w.push_back(e);
            }
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
            // Whatever the steal moved into this worker's queue.
            while let Some(t) = w.next_task(false) {
                w.run_task(t);
            }
        });
        owner.join().unwrap();
        thief.join().unwrap();

        // Leftovers: the owner's queue and LIFO slot, the injector.
        for i in 0..2 {
            while let Some(t) = sched.take_lifo(i).or_else(|| sched.steal_from(i)) {
                t.run();
            }
        }
        sched.run_injector();

        for (i, c) in runs.iter().enumerate() {
            assert_eq!(c.get(), 1, "callback {i} ran {c:?} times");
        }
        assert!(handles.iter().all(|h| h.done()));
    });
}

#[test]
fn spawn_burst_vs_steal() {
    model(|| {
        let (sched, mut parts) = Sched::new(2);
        let thief_parts = parts.pop().unwrap();
        let owner_parts = parts.pop().unwrap();
        let runs: Vec<Counter> = (0..6).map(|_| Counter::new()).collect();

        let s = sched.clone();
        let r = runs.clone();
        let owner = thread::spawn(move || {
            let w = owner_parts.enter(&s);
            let parent = s.spawn(async move {
                for c in r {
                    drop(crate::create_task(async move {
                        c.inc();
                    }));
                }
            });
            while let Some(t) = w.next_task(false) {
                w.run_task(t);
            }
            // The parent may have been stolen from the LIFO slot and still be running.
            parent
        });
        let s = sched.clone();
        let thief = thread::spawn(move || {
            let w = thief_parts.enter(&s);
            if let Some(t) = w.search() {
                w.run_task(t);
            }
            while let Some(t) = w.next_task(false) {
                w.run_task(t);
            }
        });
        let parent = owner.join().unwrap();
        thief.join().unwrap();
        for i in 0..2 {
            while let Some(t) = sched.take_lifo(i).or_else(|| sched.steal_from(i)) {
                t.run();
            }
        }
        sched.run_injector();

        assert!(parent.done());
        for (i, c) in runs.iter().enumerate() {
            assert_eq!(c.get(), 1, "child {i} ran {c:?} times");
        }
        assert_eq!(sched.registry_len(), 0);
    });
}
