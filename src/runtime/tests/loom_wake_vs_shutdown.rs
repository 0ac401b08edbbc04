//! A pending task's waker fires on a foreign thread while the runtime shuts down
//! (`close` + `finish_shutdown` cancel every pending task by force through the registry
//! sweep; a wake-up pushed after `close` drops its queue entry).
//!
//! Invariants: the task ends cancelled, its future dropped exactly once; no queue entry
//! is stranded; the cell is freed once the last waker is gone (loom's leak check of the
//! runtime's `Arc<Shared>`).

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, Forever, Sched, WakerSlot};

#[test]
fn wake_vs_shutdown() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slot = WakerSlot::new();
        let drops = Counter::new();
        let task = sched.spawn(Forever {
            slot: Some(slot.clone()),
            _drop: DropCount(drops.clone()),
        });
        assert_eq!(sched.run_injector(), 1);
        let waker = slot.take().unwrap();

        let waking = thread::spawn(move || {
            waker.wake_by_ref();
            waker
        });
        sched.close();
        sched.finish_shutdown();
        let waker = waking.join().unwrap();

        assert!(task.cancelled(), "a pending task survived the shutdown");
        assert_eq!(drops.get(), 1, "the future was dropped {drops:?} times");
        assert_eq!(
            sched.injector_len(),
            0,
            "a wake-up stranded in the injector"
        );
        assert_eq!(sched.registry_len(), 0);
        drop(task);
        // The last ref: frees the cell (and releases the runtime).
        drop(waker);
    });
}
