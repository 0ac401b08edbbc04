//! The scheduled registry: a task is created (registry insert) and runs to completion
//! (registry remove) on one thread while another thread lists `all_tasks()`; a second
//! task is pending for the whole call.
//!
//! Invariants (docs/design.md §3.3): a task alive for the whole `all_tasks()` call is listed
//! exactly once; a task created or finished during the call is listed at most once; no
//! task is listed twice; the registry is empty once every task is done; nothing leaks
//! (the shutdown sweep cancels the pending task).

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, Forever, Sched};

#[test]
fn insert_remove_vs_all_tasks() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let drops = Counter::new();
        // Pending for the whole model.
        let long = sched.spawn(Forever {
            slot: None,
            _drop: DropCount(drops.clone()),
        });
        assert_eq!(sched.run_injector(), 1);
        let long_id = long.id();

        let s = sched.clone();
        let churn = thread::spawn(move || {
            let t = s.spawn(async { 7 });
            let id = t.id();
            s.run_injector();
            assert!(t.done());
            drop(t);
            id
        });
        let listed = sched.handle().all_tasks();
        let short_id = churn.join().unwrap();

        let count = |id| listed.iter().filter(|t| t.id() == id).count();
        assert_eq!(
            count(long_id),
            1,
            "a task pending for the whole call is listed once"
        );
        assert!(count(short_id) <= 1, "a task listed twice");
        assert_eq!(listed.len(), count(long_id) + count(short_id));
        drop(listed);
        assert_eq!(sched.registry_len(), 1);

        sched.close();
        sched.finish_shutdown();
        assert!(long.cancelled());
        assert_eq!(drops.get(), 1);
        assert_eq!(sched.registry_len(), 0);
    });
}
