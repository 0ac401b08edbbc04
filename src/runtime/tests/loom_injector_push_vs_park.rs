//! No lost wake-up: a foreign thread pushes onto the injector (`call_soon_threadsafe` →
//! `Shared::push_remote` → `notify_parked`) while workers run the **real** worker loop
//! (`WorkerCore::run`: next_task, search, spin, `park` with the real `Idle` protocol and
//! the facade's loom `Parker`).
//!
//! The pushed callback closes the runtime, which is the only way the workers leave their
//! loop. If the push's wake-up is lost, a worker sleeps forever next to a queued task:
//! every thread ends up blocked and loom reports a deadlock.
//!
//! Invariants: the callback runs exactly once; every worker leaves its loop; nothing
//! leaks (loom's `Arc` leak check).

use crate::loom::thread;
use crate::loom_model::{model, Counter, Sched};

fn push_vs_park(workers: usize) {
    model(move || {
        let (sched, parts) = Sched::new(workers);
        let threads: Vec<_> = parts
            .into_iter()
            .map(|parts| {
                let s = sched.clone();
                thread::spawn(move || {
                    let w = parts.enter(&s);
                    w.run();
                    w.drain_on_exit();
                })
            })
            .collect();

        // The pusher is its own thread and the main thread only joins: loom deprioritises
        // a thread that yields (the search spin does), so a pusher that never blocks
        // would always complete its push before a spinning worker got to `park`.
        let ran = Counter::new();
        let r = ran.clone();
        let s = sched.clone();
        let h = sched.handle();
        let pusher = thread::spawn(move || {
            h.call_soon_threadsafe(move || {
                r.inc();
                s.close();
            })
        });
        let handle = pusher.join().unwrap();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(ran.get(), 1, "the callback did not run exactly once");
        assert!(handle.done());
        drop(handle);
        sched.finish_shutdown();
    });
}

/// One worker going to sleep vs one push.
#[test]
fn push_vs_park_one_worker() {
    push_vs_park(1);
}

/// Two workers (searching, parking, waking each other) vs one push.
#[test]
fn push_vs_park_two_workers() {
    push_vs_park(2);
}
