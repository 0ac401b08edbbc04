//! `threadsafe_roundtrip`: from a foreign thread (the bench thread), submit a task and
//! block until its result comes back, `n` times one after the other (timed as a whole).
//!
//! This runtime: `run_coroutine_threadsafe(..).wait()`; tokio: `Handle::spawn` + a
//! oneshot's `blocking_recv`; async-executor: `block_on(ex.spawn(..))`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::AsyncExecutorPool;

/// Round trips per iteration in the interleaved runner (the criterion bench times one
/// per iteration).
pub const ROUND_TRIPS: usize = 1_000;

/// `n` round trips on this runtime.
pub fn asyncio(rt: &asyncio::Runtime, n: usize) -> Duration {
    let handle = rt.handle();
    let t0 = Instant::now();
    for _ in 0..n {
        black_box(
            asyncio::run_coroutine_threadsafe(async { 1u64 }, handle)
                .wait()
                .unwrap(),
        );
    }
    t0.elapsed()
}

/// `n` round trips on tokio.
pub fn tokio(rt: &tokio::runtime::Runtime, n: usize) -> Duration {
    let handle = rt.handle();
    let t0 = Instant::now();
    for _ in 0..n {
        let (tx, rx) = tokio::sync::oneshot::channel();
        drop(handle.spawn(async move {
            let _ = tx.send(1u64);
        }));
        black_box(rx.blocking_recv().unwrap());
    }
    t0.elapsed()
}

/// `n` round trips on async-executor.
pub fn async_executor(pool: &AsyncExecutorPool, n: usize) -> Duration {
    let t0 = Instant::now();
    for _ in 0..n {
        black_box(futures_lite::future::block_on(
            pool.ex.spawn(async { 1u64 }),
        ));
    }
    t0.elapsed()
}
