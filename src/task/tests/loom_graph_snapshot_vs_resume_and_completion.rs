//! The task call graph taken from another thread while a task that awaits another task
//! resumes and both complete (`task/graph/`).
//!
//! The snapshot takes each task's `asyncio` lock once, clones the waiter registration
//! under it and describes it after releasing it; the tasks register, unregister and
//! complete meanwhile. Invariants, whatever the interleaving: the snapshot never
//! deadlocks with the running task; a task it lists awaits what it really awaited
//! (the parent the child, with the `.await`'s line; the child the `Future`) or nothing
//! (running, or read after its wake-up); every task completes with its value; once both
//! are done the graph is empty; nothing leaks (the refs the snapshot cloned are released
//! on its thread).

use crate::loom::thread;
use crate::loom_model::{block_on, model, Sched};
use crate::task::graph::AwaitedKind;

#[test]
fn graph_snapshot_vs_resume_and_completion() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let fut = crate::Future::<u32>::new_on(&sched.handle());
        let f = fut.clone();
        let child = sched.spawn(async move { f.await });
        let child_id = child.id();
        let await_line = line!() + 1;
        let parent = sched.spawn(async move { child.await });
        let parent_id = parent.id();
        assert_eq!(sched.run_injector(), 2, "both tasks pend");

        let h = sched.handle();
        let observer = thread::spawn(move || {
            let tree = h.task_tree();
            if let Some(a) = tree.get(parent_id).and_then(|p| p.awaiting()) {
                assert_eq!(a.kind(), AwaitedKind::Task);
                assert_eq!(a.tasks(), [child_id]);
                assert_eq!(a.location().map(|l| l.line()), Some(await_line));
            }
            if let Some(a) = tree.get(child_id).and_then(|c| c.awaiting()) {
                assert_eq!(a.kind(), AwaitedKind::Future);
            }
            // Drawing it reads only the snapshot.
            drop(tree.to_string());
        });
        fut.set_result(7).unwrap();
        while sched.run_injector() > 0 {}
        observer.join().unwrap();

        assert!(parent.done());
        assert_eq!(block_on(parent).unwrap(), 7);
        assert!(sched.handle().task_tree().tasks().is_empty());
        assert_eq!(sched.registry_len(), 0);
    });
}
