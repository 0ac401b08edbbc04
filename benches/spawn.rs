//! Scheduler workloads, this runtime side by side with tokio and async-executor (same
//! worker count, same workload, one process, one after the other; docs/design.md §6).
//! The bodies are shared with the interleaved runner (`src/workloads/`).
//!
//! * `spawn_many_local`: a task on a worker spawns 10,000 tasks that each decrement a
//!   counter; the last one signals the bench thread.
//! * `spawn_many_remote`: the bench thread (not a worker) spawns 10,000 such tasks.
//! * `yield_many`: 200 tasks yield 1,000 times each (`sleep(0)` / `yield_now`).
//! * `ping_pong`: 1,000 task pairs exchanging a one-shot message each way.
//! * `chained_spawn`: a chain of 1,000 tasks, each spawning the next.
//!
//! Run: `cargo bench -p asyncio-benches --bench spawn`

use std::time::Duration;

use asyncio_benches::workloads::{
    chained_spawn, ping_pong, repeat, spawn_many_local, spawn_many_remote, yield_many,
};
use asyncio_benches::{asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};

/// One iteration of a workload on each runtime.
struct Bodies {
    asyncio: fn(&asyncio::Runtime) -> Duration,
    tokio: fn(&tokio::runtime::Runtime) -> Duration,
    async_executor: fn(&AsyncExecutorPool) -> Duration,
}

/// The criterion group `name`: the workload on each runtime in turn.
fn group(c: &mut Criterion, name: &str, bodies: Bodies) {
    let mut g = c.benchmark_group(name);
    {
        let rt = asyncio_rt();
        g.bench_function("asyncio", |b| {
            b.iter_custom(|iters| repeat(iters, || (bodies.asyncio)(&rt)))
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio", |b| {
            b.iter_custom(|iters| repeat(iters, || (bodies.tokio)(&rt)))
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter_custom(|iters| repeat(iters, || (bodies.async_executor)(&pool)))
        });
    }
    g.finish();
}

fn spawn_many_local(c: &mut Criterion) {
    use spawn_many_local::{async_executor, asyncio, tokio};
    group(
        c,
        "spawn_many_local",
        Bodies {
            asyncio,
            tokio,
            async_executor,
        },
    );
}

fn spawn_many_remote(c: &mut Criterion) {
    use spawn_many_remote::{async_executor, asyncio, tokio};
    group(
        c,
        "spawn_many_remote",
        Bodies {
            asyncio,
            tokio,
            async_executor,
        },
    );
}

fn yield_many(c: &mut Criterion) {
    use yield_many::{async_executor, asyncio, tokio};
    group(
        c,
        "yield_many",
        Bodies {
            asyncio,
            tokio,
            async_executor,
        },
    );
}

fn ping_pong(c: &mut Criterion) {
    use ping_pong::{async_executor, asyncio, tokio};
    group(
        c,
        "ping_pong",
        Bodies {
            asyncio,
            tokio,
            async_executor,
        },
    );
}

fn chained_spawn(c: &mut Criterion) {
    use chained_spawn::{async_executor, asyncio, tokio};
    group(
        c,
        "chained_spawn",
        Bodies {
            asyncio,
            tokio,
            async_executor,
        },
    );
}

criterion_group!(
    benches,
    spawn_many_local,
    spawn_many_remote,
    yield_many,
    ping_pong,
    chained_spawn
);
criterion_main!(benches);
