//! The dual registry (DESIGN §3.3): `all_tasks()` and `current_task()`, from tasks and
//! from foreign threads, with the guarantee that a task alive for the whole call is
//! listed exactly once and a finished task is never listed.

mod util;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use util::{rt, rt1, Trace, WORKER_COUNTS};

#[test]
fn all_tasks_lists_pending_tasks_not_done_ones() {
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
}

#[test]
fn registry_entries_leave_on_completion() {
    for n in WORKER_COUNTS {
        let rt = rt(n);
        rt.block_on(async {
            let tasks: Vec<_> = (0..100)
                .map(|i| asyncio::create_task(async move { i }))
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(
                asyncio::get_running_loop()
                    .unwrap()
                    .debug_registered_tasks(),
                1
            );
        });
        assert_eq!(rt.handle().debug_registered_tasks(), 0);
    }
}

#[test]
fn test_current_task_no_running_loop() {
    assert!(asyncio::current_task().is_none());
    let r = std::panic::catch_unwind(asyncio::all_tasks);
    assert!(
        r.is_err(),
        "all_tasks outside a runtime is asyncio's RuntimeError"
    );
}

#[test]
fn current_task_is_none_in_callbacks() {
    for n in WORKER_COUNTS {
        let (tx, rx) = std::sync::mpsc::channel();
        rt(n).block_on(async move {
            asyncio::call_soon(move || tx.send(asyncio::current_task().is_none()).unwrap());
            asyncio::sleep(Duration::from_millis(1)).await.unwrap();
        });
        assert!(rx.recv().unwrap());
    }
}

// coro1: current_task() is t1; await fut1; current_task() is t1; fut2.set_result(True)
// coro2: current_task() is t2; fut1.set_result(True); await fut2; current_task() is t2
// -> [('c1', 't1'), ('c2', 't2'), ('c1', 't1'), ('c2', 't2')]
#[test]
fn test_current_task_with_interleaving_tasks() {
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
}

/// Read from a foreign thread while the workers create and finish tasks: every task
/// alive for the whole call is listed exactly once, and no listed task finished before
/// the call began.
#[test]
fn all_tasks_from_a_foreign_thread_under_churn() {
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
}

/// A task that finished before `all_tasks()` began is never listed.
#[test]
fn finished_tasks_are_never_listed() {
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
}
