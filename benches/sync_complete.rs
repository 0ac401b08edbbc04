//! `sync_complete`: 100,000 tasks that finish without awaiting, spawned from a task on a
//! worker, each handle dropped at once. This runtime twice (eager task factory: each
//! task finishes inside `create_task` and is never queued; scheduled: the asyncio
//! default), then tokio and async-executor, in one process, one after the other. The
//! bodies are shared with the interleaved runner (`src/workloads/sync_complete.rs`),
//! which holds the handles and awaits each instead.
//!
//! Run: `cargo bench -p asyncio-benches --bench sync_complete`

use asyncio_benches::workloads::repeat;
use asyncio_benches::workloads::sync_complete::{async_executor, asyncio, tokio, Handles};
use asyncio_benches::{asyncio_eager_rt, asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};

/// Builds one of this runtime's configurations.
type BuildRuntime = fn() -> asyncio::Runtime;

fn sync_complete(c: &mut Criterion) {
    let mut g = c.benchmark_group("sync_complete");
    g.sample_size(30);
    let asyncio_runtimes: [(&str, BuildRuntime); 2] = [
        ("asyncio eager", asyncio_eager_rt),
        ("asyncio scheduled", asyncio_rt),
    ];
    for (name, build) in asyncio_runtimes {
        let rt = build();
        g.bench_function(name, |b| {
            b.iter_custom(|iters| repeat(iters, || asyncio(&rt, Handles::Dropped)))
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio", |b| {
            b.iter_custom(|iters| repeat(iters, || tokio(&rt, Handles::Dropped)))
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter_custom(|iters| repeat(iters, || async_executor(&pool, Handles::Dropped)))
        });
    }
    g.finish();
}

criterion_group!(benches, sync_complete);
criterion_main!(benches);
