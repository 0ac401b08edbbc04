//! Work stealing and worker coordination (docs/design.md §3.1): a worker blocked in synchronous code
//! has its queued tasks (local queue and LIFO slot) stolen by the other worker, tasks spread
//! over every worker (observed through the worker thread names), deep spawn chains, local
//! queue overflow to the injector, and no lost wake-ups when work arrives at idle workers.
//!
//! Nothing here sleeps to "let things settle": every wait is on a channel, and the
//! `HANG_GUARD` timeouts only turn a broken runtime into a failure instead of a hang.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

mod util;

use asyncio::{Builder, Runtime, Task};

const HANG_GUARD: Duration = Duration::from_secs(30);

fn thread_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_owned()
}

/// A task spawns `n` small tasks onto its own worker's queue, then blocks its worker
/// synchronously until all of them have run. They can only run if the other worker
/// steals them. Returns the blocked worker's name and the names the small tasks ran on.
fn blocked_worker_round(rt: &Runtime, n: usize) -> (String, Vec<String>) {
    rt.block_on(async move {
        asyncio::create_task(async move {
            let me = thread_name();
            let (tx, rx) = mpsc::channel();
            for _ in 0..n {
                let tx = tx.clone();
                drop(asyncio::create_task(async move {
                    tx.send(thread_name()).unwrap();
                }));
            }
            drop(tx);
            // A long synchronous call: this worker is stuck here until the others ran.
            let mut names = Vec::with_capacity(n);
            for i in 0..n {
                match rx.recv_timeout(HANG_GUARD) {
                    Ok(name) => names.push(name),
                    Err(e) => panic!(
                        "only {i} of {n} queued tasks ran while their worker was blocked \
                         ({e}): they were not stolen"
                    ),
                }
            }
            (me, names)
        })
        .await
        .unwrap()
    })
}

/// Acceptance: one worker blocked in a long synchronous call while its queued tasks finish
/// on the other worker.
#[test]
fn blocked_worker_queued_tasks_finish_on_the_other_worker() {
    util::deadline(|| {
        let rt = util::rt(2);
        for round in 0..20 {
            let (blocked, names) = blocked_worker_round(&rt, 64);
            assert_eq!(names.len(), 64);
            assert!(
                names
                    .iter()
                    .all(|n| *n != blocked && n.starts_with("asyncio-worker-")),
                "round {round}: tasks ran on {names:?} while {blocked} was blocked"
            );
        }
    });
}

/// The same with a single queued task: it sits in the blocked worker's LIFO slot, which
/// the other worker must steal as a last resort.
#[test]
fn blocked_worker_lifo_slot_task_is_stolen() {
    util::deadline(|| {
        let rt = util::rt(2);
        for round in 0..50 {
            let (blocked, names) = blocked_worker_round(&rt, 1);
            assert_ne!(names[0], blocked, "round {round}");
        }
    });
}

/// More tasks than the local queue holds (256): the overflow goes to the injector; the
/// other worker must find both the stolen half and the injector's.
#[test]
fn blocked_worker_with_overflowing_queue() {
    util::deadline(|| {
        let rt = util::rt(2);
        for _ in 0..5 {
            let (blocked, names) = blocked_worker_round(&rt, 1000);
            assert_eq!(names.len(), 1000);
            assert!(names.iter().all(|n| *n != blocked));
        }
    });
}

/// Two tasks that can only finish if they run at the same time, on different workers.
fn rendezvous(rt: &Runtime) -> BTreeSet<String> {
    rt.block_on(async {
        let (tx_a, rx_a) = mpsc::channel::<String>();
        let (tx_b, rx_b) = mpsc::channel::<String>();
        let a = asyncio::create_task(async move {
            let me = thread_name();
            tx_b.send(me.clone()).unwrap();
            let other = rx_a
                .recv_timeout(HANG_GUARD)
                .expect("the partner task never ran concurrently");
            (me, other)
        });
        let b = asyncio::create_task(async move {
            let me = thread_name();
            tx_a.send(me.clone()).unwrap();
            let other = rx_b
                .recv_timeout(HANG_GUARD)
                .expect("the partner task never ran concurrently");
            (me, other)
        });
        let (a_me, a_other) = a.await.unwrap();
        let (b_me, b_other) = b.await.unwrap();
        assert_eq!(a_me, b_other);
        assert_eq!(b_me, a_other);
        [a_me, b_me].into_iter().collect()
    })
}

#[test]
fn tasks_spread_over_both_workers_default_names() {
    util::deadline(|| {
        let rt = util::rt(2);
        for _ in 0..10 {
            let names = rendezvous(&rt);
            let expected: BTreeSet<String> = ["asyncio-worker-0", "asyncio-worker-1"]
                .into_iter()
                .map(String::from)
                .collect();
            assert_eq!(names, expected);
        }
    });
}

#[test]
fn tasks_spread_over_both_workers_custom_thread_name() {
    util::deadline(|| {
        let rt = Builder::new()
            .worker_threads(2)
            .thread_name("spread")
            .build()
            .unwrap();
        let names = rendezvous(&rt);
        let expected: BTreeSet<String> = ["spread-0", "spread-1"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(names, expected);
    });
}

/// Many tasks created by one task, plus one pair that can only finish if it runs on both
/// workers at once: both worker names show up.
#[test]
fn many_tasks_created_by_one_task_run_on_both_workers() {
    util::deadline(|| {
        let rt = util::rt(2);
        let names = rt.block_on(async {
            let seen: Arc<std::sync::Mutex<BTreeSet<String>>> = Arc::default();
            let tasks: Vec<Task<()>> = (0..200)
                .map(|_| {
                    let seen = seen.clone();
                    asyncio::create_task(async move {
                        seen.lock().unwrap().insert(thread_name());
                    })
                })
                .collect();
            // One pair that must overlap guarantees both workers are used.
            let (tx, rx) = mpsc::channel::<()>();
            let (tx2, rx2) = mpsc::channel::<()>();
            let s1 = seen.clone();
            let p1 = asyncio::create_task(async move {
                s1.lock().unwrap().insert(thread_name());
                tx.send(()).unwrap();
                rx2.recv_timeout(HANG_GUARD).unwrap();
            });
            let s2 = seen.clone();
            let p2 = asyncio::create_task(async move {
                s2.lock().unwrap().insert(thread_name());
                tx2.send(()).unwrap();
                rx.recv_timeout(HANG_GUARD).unwrap();
            });
            for t in tasks {
                t.await.unwrap();
            }
            p1.await.unwrap();
            p2.await.unwrap();
            let s = seen.lock().unwrap().clone();
            s
        });
        assert_eq!(names.len(), 2, "{names:?}");
    });
}

/// A spawn chain: each task creates the next and ends; 10,000 deep.
#[test]
fn spawn_chain_ten_thousand_deep_completes() {
    util::deadline(|| {
        const DEPTH: usize = 10_000;
        fn link(left: usize, hops: Arc<AtomicUsize>, done: mpsc::Sender<usize>) {
            hops.fetch_add(1, Ordering::SeqCst);
            if left == 0 {
                done.send(hops.load(Ordering::SeqCst)).unwrap();
            } else {
                drop(asyncio::create_task(async move {
                    link(left - 1, hops, done);
                }));
            }
        }
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let (tx, rx) = mpsc::channel();
            let hops = Arc::new(AtomicUsize::new(0));
            let h = hops.clone();
            drop(rt.handle().create_task(async move { link(DEPTH, h, tx) }));
            let n = rx.recv_timeout(HANG_GUARD).expect("the chain stopped");
            assert_eq!(n, DEPTH + 1, "workers={workers}");
        }
    });
}

/// A chain where each task awaits the next: 10,000 nested awaits, completed from the
/// bottom up.
#[test]
fn awaited_spawn_chain_ten_thousand_deep_completes() {
    util::deadline(|| {
        fn chain(left: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
            Box::pin(async move {
                if left == 0 {
                    asyncio::yield_now().await.unwrap();
                    0
                } else {
                    asyncio::create_task(chain(left - 1)).await.unwrap() + 1
                }
            })
        }
        for workers in [1, 2] {
            let rt = util::rt(workers);
            assert_eq!(rt.block_on(chain(10_000)), 10_000, "workers={workers}");
        }
    });
}

/// One task spawns 10,000 tasks without yielding (far past the local queue capacity):
/// every one runs exactly once.
#[test]
fn local_queue_overflow_loses_nothing() {
    util::deadline(|| {
        const N: usize = 10_000;
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let runs: Arc<Vec<AtomicU8>> = Arc::new((0..N).map(|_| AtomicU8::new(0)).collect());
            let r = runs.clone();
            rt.block_on(async move {
                let tasks: Vec<Task<()>> = (0..N)
                    .map(|i| {
                        let r = r.clone();
                        asyncio::create_task(async move {
                            // Half of them yield once, re-entering the queues.
                            if i % 2 == 0 {
                                asyncio::yield_now().await.unwrap();
                            }
                            r[i].fetch_add(1, Ordering::SeqCst);
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            });
            drop(rt);
            let bad: Vec<usize> = (0..N)
                .filter(|&i| runs[i].load(Ordering::SeqCst) != 1)
                .take(10)
                .collect();
            assert!(
                bad.is_empty(),
                "workers={workers}: not run exactly once: {bad:?}"
            );
        }
    });
}

/// Sequential submissions from a foreign thread to a runtime that goes idle between them:
/// each one must wake a parked worker (a lost wake-up hangs, caught by the guard).
#[test]
fn no_lost_wakeups_for_sequential_remote_submissions() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            for i in 0..2_000u32 {
                let fut = asyncio::run_coroutine_threadsafe(async move { i }, rt.handle());
                assert_eq!(
                    fut.result(Some(HANG_GUARD)).unwrap(),
                    i,
                    "workers={workers}"
                );
            }
            // And wake-ups from foreign wakers of parked tasks.
            for _ in 0..500 {
                let (wtx, wrx) = mpsc::channel::<std::task::Waker>();
                let flag = Arc::new(AtomicU8::new(0));
                let f = flag.clone();
                let fut = asyncio::run_coroutine_threadsafe(
                    std::future::poll_fn(move |cx| {
                        if f.load(Ordering::SeqCst) == 1 {
                            std::task::Poll::Ready(())
                        } else {
                            wtx.send(cx.waker().clone()).unwrap();
                            std::task::Poll::Pending
                        }
                    }),
                    rt.handle(),
                );
                let w = wrx.recv_timeout(HANG_GUARD).unwrap();
                flag.store(1, Ordering::SeqCst);
                w.wake();
                fut.result(Some(HANG_GUARD)).unwrap();
            }
        }
    });
}
