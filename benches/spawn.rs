//! Spawning and yielding, this runtime side by side with tokio and async-executor
//! (same worker count, same workload, one process, one after the other).
//!
//! * `spawn_many_local`: a task on a worker spawns 10,000 tasks that each decrement a
//!   counter; the last one signals the bench thread.
//! * `yield_many`: 200 tasks yield 1,000 times each (`sleep(0)` / `yield_now`).
//!
//! Run: `cargo bench -p asyncio-benches --bench spawn`

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::Arc;

use asyncio_benches::{asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};

const NUM_SPAWN: usize = 10_000;
const NUM_YIELD_TASKS: usize = 200;
const NUM_YIELDS: usize = 1_000;

fn spawn_many_local(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_many_local");
    let (tx, rx) = mpsc::sync_channel::<()>(1000);
    let rem = Arc::new(AtomicUsize::new(0));

    {
        let rt = asyncio_rt();
        g.bench_function("asyncio", |b| {
            b.iter(|| {
                rem.store(NUM_SPAWN, Relaxed);
                let (tx, rem) = (tx.clone(), rem.clone());
                drop(rt.create_task(async move {
                    for _ in 0..NUM_SPAWN {
                        let (tx, rem) = (tx.clone(), rem.clone());
                        drop(asyncio::create_task(async move {
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                tx.send(()).unwrap();
                            }
                        }));
                    }
                }));
                rx.recv().unwrap();
            })
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio", |b| {
            b.iter(|| {
                rem.store(NUM_SPAWN, Relaxed);
                let (tx, rem) = (tx.clone(), rem.clone());
                drop(rt.spawn(async move {
                    for _ in 0..NUM_SPAWN {
                        let (tx, rem) = (tx.clone(), rem.clone());
                        drop(tokio::spawn(async move {
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                tx.send(()).unwrap();
                            }
                        }));
                    }
                }));
                rx.recv().unwrap();
            })
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter(|| {
                rem.store(NUM_SPAWN, Relaxed);
                let (tx, rem) = (tx.clone(), rem.clone());
                let ex = pool.ex.clone();
                pool.ex
                    .spawn(async move {
                        for _ in 0..NUM_SPAWN {
                            let (tx, rem) = (tx.clone(), rem.clone());
                            ex.spawn(async move {
                                if rem.fetch_sub(1, Relaxed) == 1 {
                                    tx.send(()).unwrap();
                                }
                            })
                            .detach();
                        }
                    })
                    .detach();
                rx.recv().unwrap();
            })
        });
    }
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield_many");
    let (tx, rx) = mpsc::sync_channel::<()>(NUM_YIELD_TASKS);

    {
        let rt = asyncio_rt();
        g.bench_function("asyncio", |b| {
            b.iter(|| {
                for _ in 0..NUM_YIELD_TASKS {
                    let tx = tx.clone();
                    drop(rt.create_task(async move {
                        for _ in 0..NUM_YIELDS {
                            asyncio::yield_now().await.unwrap();
                        }
                        tx.send(()).unwrap();
                    }));
                }
                for _ in 0..NUM_YIELD_TASKS {
                    rx.recv().unwrap();
                }
            })
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio", |b| {
            b.iter(|| {
                for _ in 0..NUM_YIELD_TASKS {
                    let tx = tx.clone();
                    drop(rt.spawn(async move {
                        for _ in 0..NUM_YIELDS {
                            tokio::task::yield_now().await;
                        }
                        tx.send(()).unwrap();
                    }));
                }
                for _ in 0..NUM_YIELD_TASKS {
                    rx.recv().unwrap();
                }
            })
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter(|| {
                for _ in 0..NUM_YIELD_TASKS {
                    let tx = tx.clone();
                    pool.ex
                        .spawn(async move {
                            for _ in 0..NUM_YIELDS {
                                futures_lite::future::yield_now().await;
                            }
                            tx.send(()).unwrap();
                        })
                        .detach();
                }
                for _ in 0..NUM_YIELD_TASKS {
                    rx.recv().unwrap();
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, spawn_many_local, yield_many);
criterion_main!(benches);
