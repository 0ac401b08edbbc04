//! `Handle::metrics()` / `RuntimeMetrics` (src/runtime/metrics.rs): counters after known
//! workloads on 1 and 2 workers, gauges while the workers (or the blocking threads) are
//! held on purpose.
//!
//! Nothing sleeps to "let things settle": the workers are held in synchronous code on
//! channels, and the few waits for a worker to go idle (its counters are published when
//! it parks) poll the metric itself under the test's deadline.

mod util;

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use asyncio::{Builder, RuntimeMetrics};
use util::{rt, rt1, WORKER_COUNTS};

/// Bounds every synchronous wait, so a broken runtime fails instead of hanging.
const GUARD: Duration = Duration::from_secs(30);

/// Spins (yielding the thread) until `cond` holds; the test's deadline bounds it.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < GUARD, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

fn total(m: &RuntimeMetrics, f: impl Fn(&RuntimeMetrics, usize) -> u64) -> u64 {
    (0..m.num_workers()).map(|i| f(m, i)).sum()
}

/// A gate that blocking closures (or blocked workers) wait on until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, cv) = &*self.0;
        let (guard, timeout) = cv
            .wait_timeout_while(open.lock().unwrap(), GUARD, |open| !*open)
            .unwrap();
        assert!(*guard && !timeout.timed_out(), "the gate was never opened");
    }

    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
}

#[test]
fn num_workers_matches_builder() {
    for n in WORKER_COUNTS {
        assert_eq!(rt(n).handle().metrics().num_workers(), n);
    }
}

#[test]
fn polls_at_least_tasks_run_and_published_at_park() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            const TASKS: u64 = 50;
            let rt = rt(n);
            let metrics = rt.handle().metrics();
            rt.block_on(async {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|i| asyncio::create_task(async move { i }))
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            });
            // Every worker ends up idle: a parked worker has published exact counters.
            // 50 tasks + the main task, each polled at least once.
            wait_until("the polls to be published", || {
                total(&metrics, RuntimeMetrics::worker_poll_count) > TASKS
            });
            assert_eq!(metrics.num_alive_tasks(), 0, "workers={n}");
            drop(rt);
            // Shutdown publishes the final counts, which only grew.
            assert!(total(&metrics, RuntimeMetrics::worker_poll_count) > TASKS);
        }
    });
}

#[test]
fn callbacks_count_as_polls() {
    util::deadline(|| {
        let rt = rt1();
        let metrics = rt.handle().metrics();
        let (tx, rx) = mpsc::channel();
        for i in 0..10 {
            let tx = tx.clone();
            rt.handle()
                .call_soon_threadsafe(move || tx.send(i).unwrap());
        }
        for _ in 0..10 {
            rx.recv_timeout(GUARD).unwrap();
        }
        drop(rt);
        assert!(metrics.worker_poll_count(0) >= 10);
    });
}

#[test]
fn parks_after_idle() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let metrics = rt.handle().metrics();
            rt.block_on(async {});
            // With nothing to do every worker goes to sleep, and counts it first.
            for i in 0..n {
                wait_until("worker to park", || metrics.worker_park_count(i) >= 1);
            }
            // And once more after a task woke it and it ran out of work again.
            let before = total(&metrics, RuntimeMetrics::worker_park_count);
            rt.block_on(async {});
            wait_until("a second park", || {
                total(&metrics, RuntimeMetrics::worker_park_count) > before
            });
        }
    });
}

#[test]
fn one_worker_never_steals_nor_uses_the_lifo_slot() {
    util::deadline(|| {
        let rt = rt1();
        let metrics = rt.handle().metrics();
        rt.block_on(async {
            for _ in 0..20 {
                asyncio::create_task(async { asyncio::create_task(async {}).await.unwrap() })
                    .await
                    .unwrap();
            }
        });
        drop(rt);
        assert!(metrics.worker_poll_count(0) >= 41);
        assert_eq!(metrics.worker_steal_count(0), 0);
        assert_eq!(metrics.worker_steal_operations(0), 0);
        assert_eq!(metrics.worker_lifo_hit_count(0), 0);
    });
}

/// A task blocks its worker in synchronous code after queueing `TASKS` tasks there: they
/// can only run if the other worker steals them (as in tests/stealing.rs).
#[test]
fn two_workers_steal_the_queue_of_a_blocked_worker() {
    util::deadline(|| {
        const TASKS: u64 = 64;
        let rt = rt(2);
        let metrics = rt.handle().metrics();
        rt.block_on(async {
            asyncio::create_task(async {
                let (tx, rx) = mpsc::channel();
                for _ in 0..TASKS {
                    let tx = tx.clone();
                    drop(asyncio::create_task(async move { tx.send(()).unwrap() }));
                }
                for _ in 0..TASKS {
                    rx.recv_timeout(GUARD)
                        .expect("the queued tasks were not stolen");
                }
            })
            .await
            .unwrap()
        });
        drop(rt);
        let steals = total(&metrics, RuntimeMetrics::worker_steal_count);
        let operations = total(&metrics, RuntimeMetrics::worker_steal_operations);
        assert!(steals >= TASKS, "steals={steals}");
        assert!(
            (1..=steals).contains(&operations),
            "operations={operations}"
        );
    });
}

/// With the other worker held in synchronous code, a task that spawns a child and awaits
/// it has the child run next from its worker's LIFO slot (nobody else can take it).
#[test]
fn two_workers_lifo_slot_hits() {
    util::deadline(|| {
        let rt = rt(2);
        let metrics = rt.handle().metrics();
        rt.block_on(async {
            let gate = Gate::default();
            let (blocked_tx, blocked_rx) = mpsc::channel();
            let g = gate.clone();
            let blocker = asyncio::create_task(async move {
                blocked_tx.send(()).unwrap();
                g.wait();
            });
            // Suspends this task: its worker runs the blocker from its LIFO slot and is
            // held there; this task resumes on the other worker.
            asyncio::to_thread(move || blocked_rx.recv_timeout(GUARD).unwrap())
                .await
                .unwrap();
            for _ in 0..10 {
                asyncio::create_task(async {}).await.unwrap();
            }
            gate.open();
            blocker.await.unwrap();
        });
        drop(rt);
        let hits = total(&metrics, RuntimeMetrics::worker_lifo_hit_count);
        assert!(hits >= 10, "lifo hits={hits}");
        assert!(hits <= total(&metrics, RuntimeMetrics::worker_poll_count));
    });
}

/// 1 worker: tasks created by the running task wait in its local queue (the LIFO slot
/// is off) until it suspends.
#[test]
fn local_queue_depth_of_the_running_worker() {
    util::deadline(|| {
        let rt = rt1();
        let metrics = rt.handle().metrics();
        let m = metrics.clone();
        rt.block_on(async move {
            assert_eq!(m.worker_local_queue_depth(0), 0);
            let tasks: Vec<_> = (0..5).map(|_| asyncio::create_task(async {})).collect();
            assert_eq!(m.worker_local_queue_depth(0), 5);
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(m.worker_local_queue_depth(0), 0);
        });
    });
}

/// Every worker is held in a task until the test opens the gate; the tasks and callbacks
/// submitted from this (foreign) thread meanwhile wait in the injection queue.
#[test]
fn injection_queue_depth_while_workers_are_blocked() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let metrics = rt.handle().metrics();
            let gate = Gate::default();
            let (blocked_tx, blocked_rx) = mpsc::channel();
            let blockers: Vec<_> = (0..n)
                .map(|_| {
                    let (gate, blocked_tx) = (gate.clone(), blocked_tx.clone());
                    rt.handle().create_task(async move {
                        blocked_tx.send(()).unwrap();
                        gate.wait();
                    })
                })
                .collect();
            for _ in 0..n {
                blocked_rx.recv_timeout(GUARD).unwrap();
            }
            assert_eq!(metrics.injection_queue_depth(), 0, "workers={n}");
            let (tx, rx) = mpsc::channel();
            for i in 0..5 {
                let tx = tx.clone();
                rt.handle()
                    .call_soon_threadsafe(move || tx.send(i).unwrap());
            }
            let task = rt.handle().create_task(async { 7 });
            assert_eq!(metrics.injection_queue_depth(), 6, "workers={n}");
            gate.open();
            for _ in 0..5 {
                rx.recv_timeout(GUARD).unwrap();
            }
            assert_eq!(rt.block_on(task).unwrap(), 7);
            for b in blockers {
                rt.block_on(b).unwrap();
            }
            assert_eq!(metrics.injection_queue_depth(), 0, "workers={n}");
        }
    });
}

/// Three jobs on a pool of two threads, held at a gate: two threads busy, one job queued.
#[test]
fn blocking_threads_and_queued_jobs() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = Builder::new()
                .worker_threads(n)
                .max_blocking_threads(2)
                .build()
                .unwrap();
            let metrics = rt.handle().metrics();
            assert_eq!(metrics.num_blocking_threads(), 0);
            let gate = Gate::default();
            let (started_tx, started_rx) = mpsc::channel();
            let m = metrics.clone();
            rt.block_on(async move {
                let jobs: Vec<_> = (0..3)
                    .map(|_| {
                        let (gate, started_tx) = (gate.clone(), started_tx.clone());
                        asyncio::create_task(asyncio::to_thread(move || {
                            started_tx.send(()).unwrap();
                            gate.wait();
                        }))
                    })
                    .collect();
                // The jobs are submitted when their tasks first run.
                asyncio::yield_now().await.unwrap();
                for _ in 0..2 {
                    started_rx.recv_timeout(GUARD).unwrap();
                }
                wait_until("the third job to be queued", || {
                    m.blocking_queue_depth() == 1
                });
                assert_eq!(m.num_blocking_threads(), 2);
                assert_eq!(m.num_idle_blocking_threads(), 0);
                gate.open();
                for job in jobs {
                    job.await.unwrap();
                }
            });
            // Done, the threads wait for more work (for their keep-alive, 10 s).
            wait_until("the blocking threads to be idle", || {
                metrics.num_idle_blocking_threads() == 2
            });
            assert_eq!(metrics.num_blocking_threads(), 2);
            assert_eq!(metrics.blocking_queue_depth(), 0);
        }
    });
}

/// 1 worker (asyncio's FIFO order): the tasks created before `yield_now` run their first
/// step, registering their sleeps, before the main task resumes.
#[test]
fn timers_pending_with_sleeps_outstanding() {
    util::deadline(|| {
        let rt = rt1();
        let metrics = rt.handle().metrics();
        let m = metrics.clone();
        rt.block_on(async move {
            assert_eq!(m.timers_pending(), 0);
            let sleepers: Vec<_> = (0..3)
                .map(|_| asyncio::create_task(asyncio::sleep(Duration::from_secs(3600))))
                .collect();
            asyncio::yield_now().await.unwrap();
            assert_eq!(m.timers_pending(), 3);
            sleepers[0].cancel(None);
            assert!(asyncio::sleep(Duration::ZERO).await.is_ok());
            assert_eq!(m.timers_pending(), 2);
            for s in &sleepers {
                s.cancel(None);
            }
            for s in sleepers {
                assert!(s.await.is_err());
            }
            assert_eq!(m.timers_pending(), 0);
        });
    });
}

#[test]
fn timers_pending_counts_call_later() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let metrics = rt.handle().metrics();
            let timers: Vec<_> = (0..4)
                .map(|_| rt.handle().call_later(Duration::from_secs(3600), || {}))
                .collect();
            assert_eq!(metrics.timers_pending(), 4, "workers={n}");
            for t in &timers {
                t.cancel();
            }
            assert_eq!(metrics.timers_pending(), 0, "workers={n}");
        }
    });
}

/// 1 worker: the main task and three suspended tasks are scheduled; an eager task counts
/// as eager during its first step and as scheduled once it suspends.
#[test]
fn alive_tasks_scheduled_and_eager() {
    util::deadline(|| {
        let rt = rt1();
        let metrics = rt.handle().metrics();
        let m = metrics.clone();
        let handle = rt.handle().clone();
        rt.block_on(async move {
            let sleepers: Vec<_> = (0..3)
                .map(|_| asyncio::create_task(asyncio::sleep(Duration::from_secs(3600))))
                .collect();
            assert_eq!(m.num_scheduled_tasks(), 4);
            assert_eq!(m.num_eager_tasks(), 0);
            assert_eq!(m.num_alive_tasks(), 4);

            handle.set_task_factory(asyncio::EAGER_TASK_FACTORY);
            let m2 = m.clone();
            let eager = asyncio::create_task(async move {
                // Inside the eager first step.
                let during = (m2.num_eager_tasks(), m2.num_scheduled_tasks());
                asyncio::sleep(Duration::ZERO).await.unwrap();
                (during, (m2.num_eager_tasks(), m2.num_scheduled_tasks()))
            });
            handle.set_task_factory(asyncio::TaskFactory::Default);
            // Suspended: graduated into the scheduled registry.
            assert_eq!((m.num_eager_tasks(), m.num_scheduled_tasks()), (0, 5));
            let (during, after) = eager.await.unwrap();
            assert_eq!(during, (1, 4));
            assert_eq!(after, (0, 5));

            for s in &sleepers {
                s.cancel(None);
            }
            for s in sleepers {
                assert!(s.await.is_err());
            }
            assert_eq!(m.num_alive_tasks(), 1);
        });
        assert_eq!(metrics.num_alive_tasks(), 0);
    });
}

/// A `RuntimeMetrics` outlives its runtime and keeps the final counts.
#[test]
fn metrics_outlive_the_runtime() {
    util::deadline(|| {
        let rt = rt(2);
        let metrics = rt.handle().metrics();
        rt.block_on(async {});
        drop(rt);
        assert!(total(&metrics, RuntimeMetrics::worker_poll_count) >= 1);
        assert_eq!(metrics.num_alive_tasks(), 0);
        assert_eq!(metrics.injection_queue_depth(), 0);
        assert_eq!(metrics.timers_pending(), 0);
        assert_eq!(metrics.worker_local_queue_depth(0), 0);
        let debug = format!("{metrics:?}");
        assert!(debug.contains("num_workers: 2"), "{debug}");
    });
}
