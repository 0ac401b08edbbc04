//! Synchronization primitives, asyncio's against tokio's, same workload, same worker
//! count (`WORKERS`), one after the other in one process:
//!
//! * `queue_spsc`: 100,000 items from one producer task to one consumer task through a
//!   bounded queue (capacity 128): `asyncio::Queue` vs `tokio::sync::mpsc::channel`.
//! * `queue_mpsc`: the same with 4 producers (25,000 items each) and one consumer.
//! * `lock_contention`: 16 tasks each taking a lock 1,000 times to increment a shared
//!   counter: `asyncio::Lock` (guarding an atomic updated non-atomically) vs
//!   `tokio::sync::Mutex<u64>`.
//!
//! Run: `cargo bench -p asyncio-benches --bench sync`

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::Arc;

use asyncio_benches::{asyncio_rt, tokio_rt};
use criterion::{criterion_group, criterion_main, Criterion};

const ITEMS: u64 = 100_000;
const CAPACITY: usize = 128;
const PRODUCERS: u64 = 4;
const LOCK_TASKS: usize = 16;
const LOCK_ROUNDS: usize = 1_000;

fn queue(c: &mut Criterion, name: &str, producers: u64) {
    let mut g = c.benchmark_group(name);
    g.sample_size(20);
    let (done_tx, done_rx) = mpsc::sync_channel::<u64>(1);
    {
        let rt = asyncio_rt();
        g.bench_function("asyncio Queue", |b| {
            b.iter(|| {
                let done_tx = done_tx.clone();
                drop(rt.create_task(async move {
                    let q = Arc::new(asyncio::Queue::new(CAPACITY));
                    for p in 0..producers {
                        let q = q.clone();
                        drop(asyncio::create_task(async move {
                            let per = ITEMS / producers;
                            for i in p * per..(p + 1) * per {
                                q.put(i).await.unwrap();
                            }
                        }));
                    }
                    let mut sum = 0;
                    for _ in 0..ITEMS {
                        sum += q.get().await.unwrap();
                    }
                    done_tx.send(sum).unwrap();
                }));
                assert_eq!(done_rx.recv().unwrap(), ITEMS * (ITEMS - 1) / 2);
            })
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio mpsc", |b| {
            b.iter(|| {
                let done_tx = done_tx.clone();
                drop(rt.spawn(async move {
                    let (tx, mut rx) = tokio::sync::mpsc::channel(CAPACITY);
                    for p in 0..producers {
                        let tx = tx.clone();
                        drop(tokio::spawn(async move {
                            let per = ITEMS / producers;
                            for i in p * per..(p + 1) * per {
                                tx.send(i).await.unwrap();
                            }
                        }));
                    }
                    drop(tx);
                    let mut sum = 0;
                    for _ in 0..ITEMS {
                        sum += rx.recv().await.unwrap();
                    }
                    done_tx.send(sum).unwrap();
                }));
                assert_eq!(done_rx.recv().unwrap(), ITEMS * (ITEMS - 1) / 2);
            })
        });
    }
    g.finish();
}

fn queue_spsc(c: &mut Criterion) {
    queue(c, "queue_spsc", 1);
}

fn queue_mpsc(c: &mut Criterion) {
    queue(c, "queue_mpsc", PRODUCERS);
}

fn lock_contention(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock_contention");
    g.sample_size(20);
    let (done_tx, done_rx) = mpsc::sync_channel::<u64>(1);
    let expected = (LOCK_TASKS * LOCK_ROUNDS) as u64;
    {
        let rt = asyncio_rt();
        g.bench_function("asyncio Lock", |b| {
            b.iter(|| {
                let done_tx = done_tx.clone();
                drop(rt.create_task(async move {
                    let lock = Arc::new(asyncio::Lock::new());
                    let counter = Arc::new(AtomicU64::new(0));
                    let tasks: Vec<_> = (0..LOCK_TASKS)
                        .map(|_| {
                            let (lock, counter) = (lock.clone(), counter.clone());
                            asyncio::create_task(async move {
                                for _ in 0..LOCK_ROUNDS {
                                    let _g = lock.acquire().await.unwrap();
                                    // A plain read-modify-write: only the lock makes it safe.
                                    counter.store(counter.load(Relaxed) + 1, Relaxed);
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                    done_tx.send(counter.load(Relaxed)).unwrap();
                }));
                assert_eq!(done_rx.recv().unwrap(), expected);
            })
        });
    }
    {
        let rt = tokio_rt();
        g.bench_function("tokio Mutex", |b| {
            b.iter(|| {
                let done_tx = done_tx.clone();
                drop(rt.spawn(async move {
                    let m = Arc::new(tokio::sync::Mutex::new(0u64));
                    let tasks: Vec<_> = (0..LOCK_TASKS)
                        .map(|_| {
                            let m = m.clone();
                            tokio::spawn(async move {
                                for _ in 0..LOCK_ROUNDS {
                                    *m.lock().await += 1;
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                    let n = *m.lock().await;
                    done_tx.send(n).unwrap();
                }));
                assert_eq!(done_rx.recv().unwrap(), expected);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, queue_spsc, queue_mpsc, lock_contention);
criterion_main!(benches);
