//! `cancel_storm`: 10,000 pending tasks cancelled at once; the time from the first
//! cancel until every task's future is dropped. The set-up (spawning the tasks and
//! waiting until each has been polled once) is not timed.
//!
//! Every runtime cancels the same kind of task, one pending on a never-ready future:
//! this runtime with `cancel()` (a foreign future cannot receive the cancellation, so
//! the task is cancelled by force) and `abort()`, tokio with `abort()`, async-executor
//! by dropping its `Task`. A second asyncio row cancels tasks sleeping on
//! `asyncio::sleep`, where the cancellation is delivered as a value and propagated.
//!
//! Run: `cargo bench -p asyncio-benches --bench cancel`

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asyncio_benches::{asyncio_rt, tokio_rt, AsyncExecutorPool};
use criterion::{criterion_group, criterion_main, Criterion};

const NUM_TASKS: usize = 10_000;

/// Counts futures dropped.
struct OnDrop(Arc<AtomicUsize>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Relaxed);
    }
}

fn wait_for(counter: &AtomicUsize, n: usize) {
    while counter.load(Relaxed) < n {
        std::hint::spin_loop();
    }
}

/// A future that counts its first poll, then never completes.
async fn pending_after_start(started: Arc<AtomicUsize>, dropped: Arc<AtomicUsize>) {
    let _guard = OnDrop(dropped);
    started.fetch_add(1, Relaxed);
    std::future::pending::<()>().await;
}

fn cancel_storm(c: &mut Criterion) {
    let mut g = c.benchmark_group("cancel_storm");
    g.sample_size(20);

    {
        let rt = asyncio_rt();
        let handle = rt.handle().clone();
        for (name, forced) in [("asyncio cancel()", true), ("asyncio abort()", false)] {
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let started = Arc::new(AtomicUsize::new(0));
                        let dropped = Arc::new(AtomicUsize::new(0));
                        let tasks: Vec<_> = (0..NUM_TASKS)
                            .map(|_| {
                                handle.create_task(pending_after_start(
                                    started.clone(),
                                    dropped.clone(),
                                ))
                            })
                            .collect();
                        wait_for(&started, NUM_TASKS);
                        let t0 = Instant::now();
                        for t in &tasks {
                            if forced {
                                t.cancel(None);
                            } else {
                                t.abort();
                            }
                        }
                        wait_for(&dropped, NUM_TASKS);
                        total += t0.elapsed();
                    }
                    total
                })
            });
        }
        g.bench_function("asyncio cancel() delivered", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Arc::new(AtomicUsize::new(0));
                    let dropped = Arc::new(AtomicUsize::new(0));
                    let tasks: Vec<_> = (0..NUM_TASKS)
                        .map(|_| {
                            let (s, d) = (started.clone(), dropped.clone());
                            handle.create_task(async move {
                                let _guard = OnDrop(d);
                                s.fetch_add(1, Relaxed);
                                asyncio::sleep(Duration::from_secs(3600)).await?;
                                Ok::<_, asyncio::CancelledError>(())
                            })
                        })
                        .collect();
                    wait_for(&started, NUM_TASKS);
                    let t0 = Instant::now();
                    for t in &tasks {
                        t.cancel(None);
                    }
                    wait_for(&dropped, NUM_TASKS);
                    total += t0.elapsed();
                }
                total
            })
        });
    }
    {
        let rt = tokio_rt();
        let handle = rt.handle().clone();
        g.bench_function("tokio abort()", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Arc::new(AtomicUsize::new(0));
                    let dropped = Arc::new(AtomicUsize::new(0));
                    let tasks: Vec<_> = (0..NUM_TASKS)
                        .map(|_| {
                            handle.spawn(pending_after_start(started.clone(), dropped.clone()))
                        })
                        .collect();
                    wait_for(&started, NUM_TASKS);
                    let t0 = Instant::now();
                    for t in &tasks {
                        t.abort();
                    }
                    wait_for(&dropped, NUM_TASKS);
                    total += t0.elapsed();
                }
                total
            })
        });
    }
    {
        let pool = AsyncExecutorPool::new();
        g.bench_function("async-executor drop", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Arc::new(AtomicUsize::new(0));
                    let dropped = Arc::new(AtomicUsize::new(0));
                    let tasks: Vec<_> = (0..NUM_TASKS)
                        .map(|_| {
                            pool.ex
                                .spawn(pending_after_start(started.clone(), dropped.clone()))
                        })
                        .collect();
                    wait_for(&started, NUM_TASKS);
                    let t0 = Instant::now();
                    drop(tasks);
                    wait_for(&dropped, NUM_TASKS);
                    total += t0.elapsed();
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, cancel_storm);
criterion_main!(benches);
