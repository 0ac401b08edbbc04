//! Scheduler workloads, this runtime side by side with tokio and async-executor (same
//! worker count, same workload, one process, one after the other; docs/design.md §6).
//!
//! * `spawn_many_local`: a task on a worker spawns 10,000 tasks that each decrement a
//!   counter; the last one signals the bench thread.
//! * `spawn_many_remote`: the bench thread (not a worker) spawns 10,000 such tasks.
//! * `yield_many`: 200 tasks yield 1,000 times each (`sleep(0)` / `yield_now`).
//! * `ping_pong`: 1,000 task pairs exchanging a one-shot message each way.
//! * `chained_spawn`: a chain of 1,000 tasks, each spawning the next.
//!
//! Run: `cargo bench -p asyncio-benches --bench spawn`

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::Arc;

use asyncio_benches::{asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};
use tokio::sync::oneshot;

const NUM_SPAWN: usize = 10_000;
const NUM_PINGS: usize = 1_000;
const CHAIN: usize = 1_000;
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

fn spawn_many_remote(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_many_remote");
    let (tx, rx) = mpsc::sync_channel::<()>(1000);
    let rem = Arc::new(AtomicUsize::new(0));
    {
        let rt = asyncio_rt();
        let handle = rt.handle().clone();
        g.bench_function("asyncio", |b| {
            b.iter(|| {
                rem.store(NUM_SPAWN, Relaxed);
                for _ in 0..NUM_SPAWN {
                    let (tx, rem) = (tx.clone(), rem.clone());
                    drop(handle.create_task(async move {
                        if rem.fetch_sub(1, Relaxed) == 1 {
                            tx.send(()).unwrap();
                        }
                    }));
                }
                rx.recv().unwrap();
            })
        });
    }
    {
        let rt = tokio_rt();
        let handle = rt.handle().clone();
        g.bench_function("tokio", |b| {
            b.iter(|| {
                rem.store(NUM_SPAWN, Relaxed);
                for _ in 0..NUM_SPAWN {
                    let (tx, rem) = (tx.clone(), rem.clone());
                    drop(handle.spawn(async move {
                        if rem.fetch_sub(1, Relaxed) == 1 {
                            tx.send(()).unwrap();
                        }
                    }));
                }
                rx.recv().unwrap();
            })
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter(|| {
                rem.store(NUM_SPAWN, Relaxed);
                for _ in 0..NUM_SPAWN {
                    let (tx, rem) = (tx.clone(), rem.clone());
                    pool.ex
                        .spawn(async move {
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                tx.send(()).unwrap();
                            }
                        })
                        .detach();
                }
                rx.recv().unwrap();
            })
        });
    }
    g.finish();
}

fn ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong");
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1000);
    let rem = Arc::new(AtomicUsize::new(0));
    {
        let rt = asyncio_rt();
        g.bench_function("asyncio", |b| {
            b.iter(|| {
                rem.store(NUM_PINGS, Relaxed);
                let (done_tx, rem) = (done_tx.clone(), rem.clone());
                drop(rt.create_task(async move {
                    for _ in 0..NUM_PINGS {
                        let (done_tx, rem) = (done_tx.clone(), rem.clone());
                        drop(asyncio::create_task(async move {
                            let ping = asyncio::Future::<()>::new();
                            let pong = asyncio::Future::<()>::new();
                            let (ping2, pong2) = (ping.clone(), pong.clone());
                            drop(asyncio::create_task(async move {
                                ping2.await.unwrap();
                                pong2.set_result(()).unwrap();
                            }));
                            ping.set_result(()).unwrap();
                            pong.await.unwrap();
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                done_tx.send(()).unwrap();
                            }
                        }));
                    }
                }));
                done_rx.recv().unwrap();
            })
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio", |b| {
            b.iter(|| {
                rem.store(NUM_PINGS, Relaxed);
                let (done_tx, rem) = (done_tx.clone(), rem.clone());
                drop(rt.spawn(async move {
                    for _ in 0..NUM_PINGS {
                        let (done_tx, rem) = (done_tx.clone(), rem.clone());
                        drop(tokio::spawn(async move {
                            let (tx1, rx1) = oneshot::channel::<()>();
                            let (tx2, rx2) = oneshot::channel::<()>();
                            drop(tokio::spawn(async move {
                                rx1.await.unwrap();
                                tx2.send(()).unwrap();
                            }));
                            tx1.send(()).unwrap();
                            rx2.await.unwrap();
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                done_tx.send(()).unwrap();
                            }
                        }));
                    }
                }));
                done_rx.recv().unwrap();
            })
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter(|| {
                rem.store(NUM_PINGS, Relaxed);
                let (done_tx, rem) = (done_tx.clone(), rem.clone());
                let ex = pool.ex.clone();
                pool.ex
                    .spawn(async move {
                        for _ in 0..NUM_PINGS {
                            let (done_tx, rem) = (done_tx.clone(), rem.clone());
                            let ex2 = ex.clone();
                            ex.spawn(async move {
                                let (tx1, rx1) = oneshot::channel::<()>();
                                let (tx2, rx2) = oneshot::channel::<()>();
                                ex2.spawn(async move {
                                    rx1.await.unwrap();
                                    tx2.send(()).unwrap();
                                })
                                .detach();
                                tx1.send(()).unwrap();
                                rx2.await.unwrap();
                                if rem.fetch_sub(1, Relaxed) == 1 {
                                    done_tx.send(()).unwrap();
                                }
                            })
                            .detach();
                        }
                    })
                    .detach();
                done_rx.recv().unwrap();
            })
        });
    }
    g.finish();
}

fn chained_spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("chained_spawn");
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1000);
    {
        fn iter(done_tx: mpsc::SyncSender<()>, n: usize) {
            if n == 0 {
                done_tx.send(()).unwrap();
            } else {
                drop(asyncio::create_task(async move { iter(done_tx, n - 1) }));
            }
        }
        let rt = asyncio_rt();
        g.bench_function("asyncio", |b| {
            b.iter(|| {
                let done_tx = done_tx.clone();
                drop(rt.create_task(async move { iter(done_tx, CHAIN) }));
                done_rx.recv().unwrap();
            })
        });
    }
    {
        fn iter(done_tx: mpsc::SyncSender<()>, n: usize) {
            if n == 0 {
                done_tx.send(()).unwrap();
            } else {
                drop(tokio::spawn(async move { iter(done_tx, n - 1) }));
            }
        }
        let rt = tokio_rt();
        g.bench_function("tokio", |b| {
            b.iter(|| {
                let done_tx = done_tx.clone();
                drop(rt.spawn(async move { iter(done_tx, CHAIN) }));
                done_rx.recv().unwrap();
            })
        });
    }
    {
        fn iter(
            ex: Arc<async_executor::Executor<'static>>,
            done_tx: mpsc::SyncSender<()>,
            n: usize,
        ) {
            if n == 0 {
                done_tx.send(()).unwrap();
            } else {
                let ex2 = ex.clone();
                ex.spawn(async move { iter(ex2, done_tx, n - 1) }).detach();
            }
        }
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor", |b| {
            b.iter(|| {
                let done_tx = done_tx.clone();
                let ex = pool.ex.clone();
                pool.ex
                    .spawn(async move { iter(ex, done_tx, CHAIN) })
                    .detach();
                done_rx.recv().unwrap();
            })
        });
    }
    g.finish();
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
