//! `run_coroutine_threadsafe` / `call_soon_threadsafe` from a foreign thread racing the
//! runtime's shutdown (`Shared::close` + `finish_shutdown`: late pushes drop their entry,
//! shutdown waits for pushes in flight, then sweeps the LIFO slots, queues, injector and
//! registry).
//!
//! Invariants: the submitted future (or callback closure) is dropped exactly once;
//! a submitted coroutine always resolves — `ConcurrentFuture::result` returns (a lost
//! completion would leave it blocked: loom reports a deadlock), with the value or
//! `Cancelled`; every cell is freed (loom's leak check of the runtime's `Arc<Shared>`,
//! which each cell holds — a task stranded in the injector after the sweep keeps it
//! alive).

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, Forever, Sched};
use crate::ConcurrentError;

/// No worker runs: the coroutine can only end by being cancelled by the shutdown.
#[test]
fn run_coroutine_threadsafe_vs_shutdown() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let drops = Counter::new();
        let h = sched.handle();
        let d = drops.clone();
        let submitter = thread::spawn(move || {
            let cf = crate::run_coroutine_threadsafe(
                Forever {
                    slot: None,
                    _drop: DropCount(d),
                },
                &h,
            );
            cf.result(None)
        });
        sched.close();
        sched.finish_shutdown();
        let out = submitter.join().unwrap();
        assert!(
            matches!(out, Err(ConcurrentError::Cancelled(_))),
            "a pending coroutine resolved with {out:?} at shutdown"
        );
        assert_eq!(drops.get(), 1, "the coroutine was dropped {drops:?} times");
        assert_eq!(sched.registry_len(), 0);
        assert_eq!(sched.injector_len(), 0);
    });
}

/// A callback submitted while the runtime shuts down: never run (no worker), its closure
/// dropped exactly once, nothing stranded in the injector.
#[test]
fn call_soon_threadsafe_vs_shutdown() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let drops = Counter::new();
        let h = sched.handle();
        let d = drops.clone();
        let submitter = thread::spawn(move || {
            let guard = DropCount(d);
            h.call_soon_threadsafe(move || drop(guard))
        });
        sched.close();
        sched.finish_shutdown();
        let handle = submitter.join().unwrap();
        assert_eq!(
            sched.injector_len(),
            0,
            "a callback stranded in the injector"
        );
        drop(handle);
        assert_eq!(drops.get(), 1, "the closure was dropped {drops:?} times");
    });
}
