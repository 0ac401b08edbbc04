#![cfg(loom)]
//! The real runtime (`Builder::build` with one worker thread, on a loom thread) dropped
//! while a foreign thread submits a coroutine with `run_coroutine_threadsafe` and blocks
//! on its result. Public API only.
//!
//! `Runtime::drop` closes the runtime, waits for the worker to leave, and sweeps what is
//! left (`Shared::close` + `finish_shutdown`: late pushes drop their entry, shutdown waits
//! for pushes in flight, then sweeps the LIFO slots, queues, injector and registry).
//!
//! Invariants: the coroutine is dropped exactly once; `ConcurrentFuture::result`
//! returns (a lost completion would leave it blocked: loom reports a deadlock), with the
//! value or `Cancelled`; every cell is freed (loom's leak check of the runtime's
//! `Arc<Shared>`, which each cell holds — a task stranded in the injector after the sweep
//! keeps it alive).

use asyncio::ConcurrentError;
use loom::thread;
use loom_tests::{model, Counter, DropCount};

#[test]
fn run_coroutine_threadsafe_vs_runtime_drop() {
    model(|| {
        let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
        let drops = Counter::new();
        let h = rt.handle().clone();
        let d = drops.clone();
        let submitter = thread::spawn(move || {
            let guard = DropCount(d);
            let cf = asyncio::run_coroutine_threadsafe(
                async move {
                    let _guard = guard;
                    6 * 7
                },
                &h,
            );
            cf.result(None)
        });
        drop(rt);
        match submitter.join().unwrap() {
            Ok(v) => assert_eq!(v, 42),
            Err(ConcurrentError::Cancelled(_)) => {}
            Err(e) => panic!("unexpected outcome {e:?}"),
        }
        assert_eq!(drops.get(), 1, "the coroutine was dropped {drops:?} times");
    });
}
