//! The dual registry (docs/design.md §3.3): `all_tasks()` and `current_task()`, from tasks and
//! from foreign threads, with the guarantee that a task alive for the whole call is
//! listed exactly once and a finished task is never listed.

mod util;

use asyncio::test_util::HandleTestExt;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asyncio::CancelledError;
use util::{rt, rt1, Trace, WORKER_COUNTS};

#[test]
fn all_tasks_lists_pending_tasks_not_done_ones() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let me = asyncio::current_task().unwrap();
                let pending: Vec<_> = (0..10)
                    .map(|_| asyncio::create_task(asyncio::sleep(Duration::from_secs(60))))
                    .collect();
                let done = asyncio::create_task(async {});
                let done_ref = done.task_ref();
                done.await.unwrap();
                let all = asyncio::all_tasks();
                assert!(all.contains(&me));
                assert!(pending.iter().all(|t| all.contains(t)));
                assert!(!all.contains(&done_ref));
                assert_eq!(all.len(), 11);
                for t in &pending {
                    t.cancel(None);
                }
            });
        }
    });
}

#[test]
fn registry_entries_leave_on_completion() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            rt.block_on(async {
                let tasks: Vec<_> = (0..100)
                    .map(|i| asyncio::create_task(async move { i }))
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                assert_eq!(asyncio::get_running_loop().unwrap().registered_tasks(), 1);
            });
            assert_eq!(rt.handle().registered_tasks(), 0);
        }
    });
}

#[test]
fn test_current_task_no_running_loop() {
    util::deadline(|| {
        assert!(asyncio::current_task().is_none());
        let r = std::panic::catch_unwind(asyncio::all_tasks);
        assert!(
            r.is_err(),
            "all_tasks outside a runtime is asyncio's RuntimeError"
        );
    });
}

#[test]
fn current_task_is_none_in_callbacks() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let (tx, rx) = std::sync::mpsc::channel();
            rt(n).block_on(async move {
                asyncio::call_soon(move || tx.send(asyncio::current_task().is_none()).unwrap());
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
            });
            assert!(rx.recv().unwrap());
        }
    });
}

// coro1: current_task() is t1; await fut1; current_task() is t1; fut2.set_result(True)
// coro2: current_task() is t2; fut1.set_result(True); await fut2; current_task() is t2
// -> [('c1', 't1'), ('c2', 't2'), ('c1', 't1'), ('c2', 't2')]
#[test]
fn test_current_task_with_interleaving_tasks() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let fut1 = asyncio::Future::<bool>::new();
            let fut2 = asyncio::Future::<bool>::new();
            let (f1, f2, t) = (fut1.clone(), fut2.clone(), tr.clone());
            let t1 = asyncio::Task::builder().name("t1").create_task(async move {
                t.push(format!(
                    "c1 {}",
                    asyncio::current_task().unwrap().get_name()
                ));
                f1.await.unwrap();
                t.push(format!(
                    "c1 {}",
                    asyncio::current_task().unwrap().get_name()
                ));
                f2.set_result(true).unwrap();
            });
            let (f1, f2, t) = (fut1.clone(), fut2.clone(), tr.clone());
            let t2 = asyncio::Task::builder().name("t2").create_task(async move {
                t.push(format!(
                    "c2 {}",
                    asyncio::current_task().unwrap().get_name()
                ));
                f1.set_result(true).unwrap();
                f2.await.unwrap();
                t.push(format!(
                    "c2 {}",
                    asyncio::current_task().unwrap().get_name()
                ));
            });
            t1.await.unwrap();
            t2.await.unwrap();
        });
        assert_eq!(trace.get(), ["c1 t1", "c2 t2", "c1 t1", "c2 t2"]);
    });
}

/// Read from a foreign thread while the workers create and finish tasks: every task
/// alive for the whole call is listed exactly once, and no listed task finished before
/// the call began.
#[test]
fn all_tasks_from_a_foreign_thread_under_churn() {
    util::deadline(|| {
        let rt = rt(2);
        let handle = rt.handle().clone();
        let stop = Arc::new(AtomicBool::new(false));
        // 200 long-lived tasks, alive for the whole test.
        let gate = asyncio::Future::<()>::new_on(rt.handle());
        let stable: Vec<_> = (0..200)
            .map(|_| {
                let g = gate.clone();
                rt.create_task(async move { g.await.unwrap() })
            })
            .collect();
        let stable_ids: HashSet<_> = stable.iter().map(|t| t.id()).collect();
        // Churn: tasks that come and go (some eager) on the workers.
        let s = stop.clone();
        let churn = rt.create_task(async move {
            let mut i = 0u64;
            while !s.load(Ordering::Relaxed) {
                let t = if i % 2 == 0 {
                    asyncio::create_task(async move { i })
                } else {
                    asyncio::create_eager_task(async move {
                        asyncio::sleep(Duration::ZERO).await.unwrap();
                        i
                    })
                };
                if i % 64 == 0 {
                    t.await.unwrap();
                }
                i += 1;
            }
        });
        for _ in 0..200 {
            let listed = handle.all_tasks();
            let mut seen = HashSet::new();
            for t in &listed {
                assert!(seen.insert(t.id()), "listed twice: {t:?}");
            }
            assert!(
                stable_ids.is_subset(&seen),
                "a task alive for the whole call is listed"
            );
        }
        stop.store(true, Ordering::Relaxed);
        gate.set_result(()).unwrap();
        rt.block_on(churn).unwrap();
        for t in stable {
            rt.block_on(t).unwrap();
        }
    });
}

/// A task that finished before `all_tasks()` began is never listed.
#[test]
fn finished_tasks_are_never_listed() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let mut finished = Vec::new();
                for i in 0..200 {
                    let t = if i % 2 == 0 {
                        asyncio::create_task(async {})
                    } else {
                        asyncio::create_eager_task(async {})
                    };
                    let r = t.task_ref();
                    t.await.unwrap();
                    finished.push(r);
                }
                let all = asyncio::all_tasks();
                assert!(finished.iter().all(|t| !all.contains(t)));
            });
        }
    });
}

/// Stress (run once, reported in the issue): 8 foreign threads × 100k tasks with random
/// cancel / uncancel / eager children / panics while another thread loops
/// `all_tasks()`. Every task ends exactly once, `all_tasks()` never lists a task that
/// finished before the call began, and the drop counters balance.
///
/// `cargo test --release --test registry -- --ignored stress --nocapture`
#[test]
#[ignore = "stress test: run by hand in --release"]
fn stress_random_cancel_uncancel_eager_panic_with_all_tasks_reader() {
    util::deadline_of(Duration::from_secs(900), || {
        use std::sync::atomic::AtomicUsize;
        use std::sync::Mutex;
        use std::time::Instant;

        const THREADS: usize = 8;
        const PER_THREAD: usize = 100_000;

        std::panic::set_hook(Box::new(|_| {})); // thousands of expected task panics
        let started = Instant::now();
        let unretrieved = Arc::new(AtomicUsize::new(0));
        let u = unretrieved.clone();
        let rt = asyncio::Builder::new()
            .worker_threads(2)
            .exception_handler(move |_| {
                u.fetch_add(1, Ordering::Relaxed);
            })
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        let drops = util::DropCount::default();
        let created = Arc::new(AtomicUsize::new(0));
        let sample: Arc<Mutex<Vec<asyncio::TaskRef>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));

        let reader = {
            let (handle, sample, stop) = (handle.clone(), sample.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut calls = 0u64;
                let mut max_listed = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let done_before: HashSet<_> = sample
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|t| t.done())
                        .map(|t| t.id())
                        .collect();
                    let listed = handle.all_tasks();
                    let mut ids = HashSet::new();
                    for t in &listed {
                        assert!(ids.insert(t.id()), "listed twice");
                        assert!(
                            !done_before.contains(&t.id()),
                            "finished before the call: {t:?}"
                        );
                    }
                    max_listed = max_listed.max(listed.len());
                    calls += 1;
                }
                (calls, max_listed)
            })
        };

        let outcomes: Vec<(usize, usize, usize)> = (0..THREADS)
            .map(|th| {
                let (handle, drops, created, sample) = (
                    handle.clone(),
                    drops.clone(),
                    created.clone(),
                    sample.clone(),
                );
                std::thread::spawn(move || {
                    let mut rng = 0x2545_F491_4F6C_DD1Du64 ^ ((th as u64 + 1) * 0x9E37_79B9);
                    let mut next = move || {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        rng
                    };
                    let mut tasks = Vec::with_capacity(PER_THREAD);
                    for i in 0..PER_THREAD {
                        let token = drops.token();
                        created.fetch_add(1, Ordering::Relaxed);
                        let kind = next() % 6;
                        let (d, c) = (drops.clone(), created.clone());
                        let t = handle.create_task(async move {
                            let _token = token;
                            match kind {
                                0 => Ok::<u64, asyncio::TaskError>(1),
                                1 => panic!("random panic"),
                                2 => {
                                    asyncio::sleep(Duration::ZERO).await?;
                                    Ok(2)
                                }
                                3 => {
                                    // An eager child on the worker, awaited.
                                    let child_token = d.token();
                                    c.fetch_add(1, Ordering::Relaxed);
                                    let child = asyncio::create_eager_task(async move {
                                        let _t = child_token;
                                        asyncio::sleep(Duration::ZERO).await?;
                                        Ok::<_, CancelledError>(3u64)
                                    });
                                    child.await
                                }
                                4 => {
                                    // Swallows one cancellation, uncancels, carries on.
                                    if asyncio::sleep(Duration::from_millis(1)).await.is_err() {
                                        asyncio::current_task().unwrap().uncancel();
                                    }
                                    Ok(4)
                                }
                                _ => {
                                    asyncio::sleep(Duration::from_secs(3600)).await?;
                                    Ok(5)
                                }
                            }
                        });
                        if i % 64 == 0 {
                            sample.lock().unwrap().push(t.task_ref());
                        }
                        match next() % 4 {
                            0 => {
                                t.cancel(Some("random"));
                            }
                            1 => {
                                t.cancel(None);
                                t.uncancel();
                            }
                            _ => {}
                        }
                        if kind == 5 {
                            t.cancel(Some("long sleeper"));
                        }
                        tasks.push(t);
                    }
                    let waiter = asyncio::run_coroutine_threadsafe(
                        async move {
                            let (mut ok, mut cancelled, mut panicked) = (0, 0, 0);
                            for t in tasks {
                                match t.await {
                                    Ok(_) => ok += 1,
                                    Err(e) if e.is_cancelled() => cancelled += 1,
                                    Err(_) => panicked += 1,
                                }
                            }
                            (ok, cancelled, panicked)
                        },
                        &handle,
                    );
                    waiter.wait().unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        stop.store(true, Ordering::Relaxed);
        let (calls, max_listed) = reader.join().unwrap();
        drop(sample);
        let live = handle.clone();
        drop(rt);
        let _ = std::panic::take_hook();

        let total: usize = outcomes.iter().map(|(a, b, c)| a + b + c).sum();
        let (ok, cancelled, panicked) = outcomes
            .iter()
            .fold((0, 0, 0), |acc, o| (acc.0 + o.0, acc.1 + o.1, acc.2 + o.2));
        println!(
            "stress: {total} tasks ended exactly once (ok {ok}, cancelled {cancelled}, \
         panicked {panicked}); {} futures created, {} dropped; all_tasks() called {calls} \
         times (max {max_listed} listed); {:?}",
            created.load(Ordering::SeqCst),
            drops.get(),
            started.elapsed()
        );
        assert_eq!(total, THREADS * PER_THREAD);
        assert_eq!(drops.get(), created.load(Ordering::SeqCst));
        assert_eq!(live.live_cells().unwrap_or(0), 0);
        assert_eq!(
            unretrieved.load(Ordering::SeqCst),
            0,
            "every panic was awaited"
        );
    });
}
