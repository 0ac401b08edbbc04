//! `sync_complete`: 100,000 tasks that finish without awaiting, spawned from a task on a
//! worker. This runtime twice (eager start: each task finishes inside `create_task` and
//! is never queued; scheduled: the asyncio default), then tokio and async-executor, in
//! one process, one after the other.
//!
//! Run: `cargo bench -p asyncio-benches --bench sync_complete`

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::Arc;

use asyncio_benches::{asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};

const NUM_TASKS: usize = 100_000;

fn sync_complete(c: &mut Criterion) {
    let mut g = c.benchmark_group("sync_complete");
    g.sample_size(30);
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(0));

    for (name, eager) in [("asyncio eager", true), ("asyncio scheduled", false)] {
        let rt = asyncio_rt();
        g.bench_function(name, |b| {
            b.iter(|| {
                rem.store(NUM_TASKS, Relaxed);
                let (tx, rem) = (tx.clone(), rem.clone());
                drop(rt.create_task(async move {
                    for i in 0..NUM_TASKS {
                        let (tx, rem) = (tx.clone(), rem.clone());
                        let body = async move {
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                tx.send(()).unwrap();
                            }
                            i
                        };
                        if eager {
                            drop(asyncio::create_eager_task(body));
                        } else {
                            drop(asyncio::create_task(body));
                        }
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
                rem.store(NUM_TASKS, Relaxed);
                let (tx, rem) = (tx.clone(), rem.clone());
                drop(rt.spawn(async move {
                    for i in 0..NUM_TASKS {
                        let (tx, rem) = (tx.clone(), rem.clone());
                        drop(tokio::spawn(async move {
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                tx.send(()).unwrap();
                            }
                            i
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
                rem.store(NUM_TASKS, Relaxed);
                let (tx, rem) = (tx.clone(), rem.clone());
                let ex = pool.ex.clone();
                pool.ex
                    .spawn(async move {
                        for i in 0..NUM_TASKS {
                            let (tx, rem) = (tx.clone(), rem.clone());
                            ex.spawn(async move {
                                if rem.fetch_sub(1, Relaxed) == 1 {
                                    tx.send(()).unwrap();
                                }
                                i
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

criterion_group!(benches, sync_complete);
criterion_main!(benches);
