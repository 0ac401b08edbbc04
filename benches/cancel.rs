//! `cancel_storm`: 10,000 pending tasks cancelled at once; the time from the first
//! cancel until every task's future is dropped, each task's cancel request and the
//! release of its handle inside that time for every runtime. The set-up (spawning the
//! tasks and waiting until each has been polled once) is not timed. The bodies are
//! shared with the interleaved runner (`src/workloads/cancel_storm.rs`, which says what
//! the timed region holds).
//!
//! Every runtime cancels the same kind of task, one pending on a never-ready future:
//! this runtime with `cancel()` (a foreign future cannot receive the cancellation, so
//! the task is cancelled by force) and `abort()`, tokio with `abort()`, async-executor
//! by dropping its `Task`. A second asyncio row cancels tasks sleeping on
//! `asyncio::sleep`, where the cancellation is delivered as a value and propagated.
//!
//! Run: `cargo bench -p asyncio-benches --bench cancel`

use asyncio_benches::workloads::cancel_storm::{self, CancelBy};
use asyncio_benches::workloads::repeat;
use asyncio_benches::{asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};

fn cancel_storm(c: &mut Criterion) {
    let mut g = c.benchmark_group("cancel_storm");
    g.sample_size(20);
    {
        let rt = asyncio_rt();
        for (name, by) in [
            ("asyncio cancel()", CancelBy::Cancel),
            ("asyncio abort()", CancelBy::Abort),
        ] {
            g.bench_function(name, |b| {
                b.iter_custom(|iters| repeat(iters, || cancel_storm::asyncio(&rt, by)))
            });
        }
        g.bench_function("asyncio cancel() delivered", |b| {
            b.iter_custom(|iters| repeat(iters, || cancel_storm::asyncio_delivered(&rt)))
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio abort()", |b| {
            b.iter_custom(|iters| repeat(iters, || cancel_storm::tokio(&rt)))
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor drop", |b| {
            b.iter_custom(|iters| repeat(iters, || cancel_storm::async_executor(&pool)))
        });
    }
    g.finish();
}

criterion_group!(benches, cancel_storm);
criterion_main!(benches);
