#![cfg(loom)]
//! `Runtime::block_on` under loom: the real runtime (`Builder::build`, one worker on a
//! loom thread) runs a main task that awaits a child task, the model's thread blocks in
//! `block_on` until the main task is done, then drops the runtime. Public API only.
//!
//! The worker completes the main task and then wakes the `block_on` thread (the join
//! waker); the thread may have seen the completion already and be inside `Runtime::drop`,
//! blocked on one of the runtime's loom `Mutex`es, when that wake-up arrives. The wait
//! therefore parks on the facade's parker (a loom `Mutex` + `Condvar`): a wake-up through
//! loom's `Thread::unpark` would also wake the thread out of the `Mutex` wait, which loom
//! rejects ("expected to be able to acquire lock").
//!
//! Invariants: `block_on` returns the main task's value; the child's future is dropped
//! once; every cell is freed (loom's leak check).
//!
//! This is the only model that runs `Runtime::block_on` itself. It does not bite on the
//! old `thread::park` wait at the bounds CI affords (1 worker, bound 2: 4434 executions;
//! 2 workers, bound 1: 19782): the defect was seen by `asyncio::testing`'s own wait, at
//! execution 45417 of a 2-worker bound-2 model, and `block_on`'s wait has the same shape.

use loom_tests::{model, Counter, DropCount};

#[test]
fn block_on_vs_completion_and_runtime_drop() {
    model(|| {
        let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
        let drops = Counter::new();
        let guard = DropCount(drops.clone());
        let out = rt.block_on(async move {
            let child = asyncio::create_task(async move {
                let _guard = guard;
                6 * 7
            });
            child.await.unwrap()
        });
        assert_eq!(out, 42);
        drop(rt);
        assert_eq!(drops.get(), 1, "the child was dropped {drops:?} times");
    });
}
