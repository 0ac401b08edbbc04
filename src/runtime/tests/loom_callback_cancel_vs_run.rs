//! `call_soon` callbacks (asyncio `Handle`): `CallbackHandle::cancel` on one thread vs a
//! worker running the queued callback cell on another, with the handle dropped while the
//! cell may still be queued.
//!
//! Invariants: the callback runs exactly once or is cancelled (never both, never
//! neither); its closure is dropped exactly once; nothing leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, Sched};

#[test]
fn cancel_vs_run() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let ran = Counter::new();
        let drops = Counter::new();
        let r = ran.clone();
        let guard = DropCount(drops.clone());
        let handle = sched.handle().call_soon_threadsafe(move || {
            let _guard = guard;
            r.inc();
        });
        let s = sched.clone();
        let worker = thread::spawn(move || {
            s.run_injector();
        });
        handle.cancel();
        let cancelled = handle.cancelled();
        drop(handle);
        worker.join().unwrap();
        sched.run_injector();

        assert_eq!(
            ran.get() + usize::from(cancelled),
            1,
            "ran {ran:?}, cancelled {cancelled}"
        );
        assert_eq!(drops.get(), 1, "the closure was dropped {drops:?} times");
    });
}
