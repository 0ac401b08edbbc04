//! `threadsafe_roundtrip`: from a foreign thread (the bench thread), submit a task and
//! block until its result comes back, one after the other.
//!
//! This runtime: `run_coroutine_threadsafe(..).wait()`; tokio: `Handle::spawn` + a
//! oneshot's `blocking_recv`; async-executor: `block_on(ex.spawn(..))`. The bodies are
//! shared with the interleaved runner (`src/workloads/threadsafe_roundtrip.rs`).
//!
//! Run: `cargo bench -p asyncio-benches --bench threadsafe`

use asyncio_benches::workloads::threadsafe_roundtrip::{async_executor, asyncio, tokio};
use asyncio_benches::{asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};

fn threadsafe_roundtrip(c: &mut Criterion) {
    let mut g = c.benchmark_group("threadsafe_roundtrip");
    {
        let rt = asyncio_rt();
        g.bench_function("asyncio", |b| {
            b.iter_custom(|iters| asyncio(&rt, iters as usize))
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio", |b| {
            b.iter_custom(|iters| tokio(&rt, iters as usize))
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter_custom(|iters| async_executor(&pool, iters as usize))
        });
    }
    g.finish();
}

criterion_group!(benches, threadsafe_roundtrip);
criterion_main!(benches);
