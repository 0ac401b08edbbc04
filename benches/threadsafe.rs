//! `threadsafe_roundtrip`: from a foreign thread (the bench thread), submit a task and
//! block until its result comes back, one after the other.
//!
//! This runtime: `run_coroutine_threadsafe(..).wait()`; tokio: `Handle::spawn` + a
//! oneshot's `blocking_recv`; async-executor: `block_on(ex.spawn(..))`.
//!
//! Run: `cargo bench -p asyncio-benches --bench threadsafe`

use asyncio_benches::{asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};

fn threadsafe_roundtrip(c: &mut Criterion) {
    let mut g = c.benchmark_group("threadsafe_roundtrip");
    {
        let rt = asyncio_rt();
        let handle = rt.handle().clone();
        g.bench_function("asyncio", |b| {
            b.iter(|| {
                asyncio::run_coroutine_threadsafe(async { 1u64 }, &handle)
                    .wait()
                    .unwrap()
            })
        });
    }
    {
        let rt = tokio_rt();
        let handle = rt.handle().clone();
        g.bench_function("tokio", |b| {
            b.iter(|| {
                let (tx, rx) = tokio::sync::oneshot::channel();
                drop(handle.spawn(async move {
                    let _ = tx.send(1u64);
                }));
                rx.blocking_recv().unwrap()
            })
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter(|| futures_lite::future::block_on(pool.ex.spawn(async { 1u64 })))
        });
    }
    g.finish();
}

criterion_group!(benches, threadsafe_roundtrip);
criterion_main!(benches);
