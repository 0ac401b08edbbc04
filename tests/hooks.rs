//! Runtime hooks (`Builder::on_thread_start/on_thread_stop/on_task_spawn/on_task_terminate`,
//! tokio's model): thread hooks on every worker and blocking thread, task hooks paired
//! once per task (scheduled, eager, named, cancelled unpolled, panicking), none for
//! `call_soon` callbacks, and a panicking hook reported, not fatal.

mod util;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{Builder, TaskId};

type Log<T> = Arc<Mutex<Vec<T>>>;

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

#[test]
fn thread_hooks_run_on_every_worker_and_blocking_thread() {
    util::deadline(|| {
        let started: Log<String> = Log::default();
        let stopped: Log<String> = Log::default();
        let (s, t) = (started.clone(), stopped.clone());
        let rt = Builder::new()
            .worker_threads(2)
            .on_thread_start(move || s.lock().unwrap().push(thread_name()))
            .on_thread_stop(move || t.lock().unwrap().push(thread_name()))
            .build()
            .unwrap();
        let job_thread = rt.block_on(async { asyncio::to_thread(thread_name).await.unwrap() });
        drop(rt); // joins the workers
        let started = started.lock().unwrap().clone();
        let stopped = stopped.lock().unwrap().clone();
        for w in ["asyncio-worker-0", "asyncio-worker-1"] {
            assert!(started.iter().any(|n| n == w), "{w} start: {started:?}");
            assert!(stopped.iter().any(|n| n == w), "{w} stop: {stopped:?}");
        }
        assert!(job_thread.starts_with("asyncio-blocking"));
        assert!(started.contains(&job_thread), "{started:?}");
    });
}

#[test]
fn task_hooks_run_once_per_task_and_not_for_callbacks() {
    for n in util::WORKER_COUNTS {
        util::deadline(move || {
            let spawned: Log<(TaskId, String)> = Log::default();
            let ended: Log<(TaskId, bool, bool)> = Log::default();
            let (s, e) = (spawned.clone(), ended.clone());
            let rt = Builder::new()
                .worker_threads(n)
                .on_task_spawn(move |t| s.lock().unwrap().push((t.id(), t.get_name())))
                .on_task_terminate(move |t| {
                    e.lock().unwrap().push((t.id(), t.done(), t.cancelled()))
                })
                .exception_handler(|_| {})
                .build()
                .unwrap();
            let ids = rt.block_on(async {
                let (tx, rx) = std::sync::mpsc::channel();
                asyncio::call_soon(move || tx.send(()).unwrap());
                let plain = asyncio::create_task(async { 1 });
                let named = asyncio::Task::builder()
                    .name("named")
                    .create_task(async { 2 });
                let eager = asyncio::create_eager_task(async { 3 });
                let unpolled = asyncio::create_task(asyncio::sleep(Duration::from_secs(60)));
                unpolled.cancel(None);
                let panics = asyncio::create_task(async {
                    if true {
                        panic!("boom")
                    }
                });
                let ids = vec![
                    plain.id(),
                    named.id(),
                    eager.id(),
                    unpolled.id(),
                    panics.id(),
                    asyncio::current_task().unwrap().id(),
                ];
                plain.await.unwrap();
                named.await.unwrap();
                eager.await.unwrap();
                assert!(unpolled.await.is_err());
                assert!(panics.await.is_err());
                rx.recv().unwrap();
                ids
            });
            drop(rt);
            let spawned = spawned.lock().unwrap().clone();
            let ended = ended.lock().unwrap().clone();
            // Exactly the tasks: no callback, each once.
            assert_eq!(spawned.len(), ids.len(), "{spawned:?}");
            assert_eq!(ended.len(), ids.len(), "{ended:?}");
            let names: HashMap<_, _> = spawned.into_iter().collect();
            assert_eq!(names[&ids[1]], "named");
            for id in &ids {
                assert!(names.contains_key(id), "{id} spawned");
                let (_, done, cancelled) = *ended.iter().find(|(e, ..)| e == id).unwrap();
                assert!(done, "{id} is done when its terminate hook runs");
                assert_eq!(cancelled, *id == ids[3]);
            }
        });
    }
}

#[test]
fn a_panicking_hook_is_reported_and_changes_nothing() {
    util::deadline(|| {
        let reports: Log<String> = Log::default();
        let r = reports.clone();
        let rt = Builder::new()
            .worker_threads(1)
            .on_task_spawn(|_| panic!("spawn hook"))
            .exception_handler(move |ctx| r.lock().unwrap().push(ctx.message.clone()))
            .build()
            .unwrap();
        let v = rt.block_on(async { asyncio::create_task(async { 5 }).await.unwrap() });
        assert_eq!(v, 5);
        drop(rt);
        let reports = reports.lock().unwrap();
        assert!(
            reports.iter().all(|m| m == "Exception in a runtime hook") && reports.len() == 2,
            "{reports:?}"
        );
    });
}
