//! Spawning and awaiting tasks (issue "Runtime core", docs/design.md §4.1): `create_task` inside the
//! runtime, `Handle::create_task` from foreign threads, awaiting `Task<T>`, panics caught
//! into `TaskError::Panicked`, the "no running event loop" errors outside a runtime,
//! `block_on`, detached tasks, the 1M-task foreign-spawn stress test, the task header size
//! and the `Send`/`Sync` guarantees of the public types.

use asyncio::test_util::HandleTestExt;
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

mod util;
use util::{panic_message, Gate};

use asyncio::{Task, TaskError};

/// Generous upper bound for waiting on an event that must happen; only reached when the
/// runtime is broken (the test then fails instead of hanging).
const HANG_GUARD: Duration = Duration::from_secs(60);

// ---- create_task / awaiting --------------------------------------------------------------

/// CPython: test_tasks.py `test_create_task_with_async_function`.
#[test]
fn test_create_task_with_async_function() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let sum = rt.block_on(async {
                let tasks: Vec<Task<u64>> = (0..100u64)
                    .map(|i| asyncio::create_task(async move { i * 2 }))
                    .collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            });
            assert_eq!(
                sum,
                (0..100u64).map(|i| i * 2).sum::<u64>(),
                "workers={workers}"
            );
        }
    });
}

/// docs/design.md §4.1: a (non-eager) task does not run before `create_task` returns. Checked on
/// the 1-worker runtime: the only worker is busy running the creator, so the task could
/// only have run if `create_task` ran it inline.
#[test]
fn create_task_does_not_run_before_it_returns() {
    util::deadline(|| {
        let rt = util::rt(1);
        rt.block_on(async {
            let ran = Arc::new(AtomicBool::new(false));
            let r = ran.clone();
            let t = asyncio::create_task(async move { r.store(true, Ordering::SeqCst) });
            assert!(
                !ran.load(Ordering::SeqCst),
                "the task ran inside create_task"
            );
            assert!(!t.done());
            t.await.unwrap();
            assert!(ran.load(Ordering::SeqCst));
        });
    });
}

#[test]
fn nested_create_task_and_await_across_workers() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let total = rt.block_on(async {
                let parents: Vec<Task<u64>> = (0..20u64)
                    .map(|p| {
                        asyncio::create_task(async move {
                            let kids: Vec<Task<u64>> = (0..20u64)
                                .map(|k| {
                                    asyncio::create_task(async move {
                                        asyncio::yield_now().await.unwrap();
                                        p * 100 + k
                                    })
                                })
                                .collect();
                            let mut s = 0;
                            for k in kids {
                                s += k.await.unwrap();
                            }
                            s
                        })
                    })
                    .collect();
                let mut s = 0;
                for p in parents {
                    s += p.await.unwrap();
                }
                s
            });
            let expected: u64 = (0..20u64)
                .flat_map(|p| (0..20u64).map(move |k| p * 100 + k))
                .sum();
            assert_eq!(total, expected, "workers={workers}");
        }
    });
}

#[test]
fn task_result_done_and_default_names() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            rt.block_on(async {
                let t = asyncio::create_task(async { String::from("value") });
                assert!(
                    t.result().is_err(),
                    "result() of a pending task is InvalidStateError"
                );
                assert!(t.task_ref().exception().is_err());
                let r = t.task_ref();
                assert_eq!(r.get_name(), format!("Task-{}", r.id()));
                r.set_name("renamed");
                assert_eq!(t.get_name(), "renamed");
                // Wait for completion without consuming the handle.
                let (tx, rx) = mpsc::channel();
                t.add_done_callback(move |_| tx.send(()).unwrap());
                while rx.try_recv().is_err() {
                    asyncio::yield_now().await.unwrap();
                }
                assert!(t.done());
                assert!(!t.cancelled());
                assert_eq!(t.result().unwrap().unwrap(), "value");
                assert!(matches!(r.exception(), Ok(None)));
                assert_eq!(t.await.unwrap(), "value");
            });
        }
    });
}

#[test]
fn task_ids_are_unique_across_threads() {
    util::deadline(|| {
        let rt = util::rt(2);
        let handle = rt.handle().clone();
        let ids: Vec<u64> = std::thread::scope(|s| {
            let joins: Vec<_> = (0..4)
                .map(|_| {
                    let handle = handle.clone();
                    s.spawn(move || {
                        (0..1000)
                            .map(|_| handle.create_task(async {}).id().as_u64())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            joins.into_iter().flat_map(|j| j.join().unwrap()).collect()
        });
        let unique: HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "task ids must never repeat");
    });
}

// ---- Handle::create_task from foreign threads -----------------------------------------

#[test]
fn handle_create_task_from_foreign_threads() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let (tx, rx) = mpsc::channel::<Task<usize>>();
            // Each foreign thread creates tasks; half it awaits itself with block_on, half it
            // sends to the main thread.
            let own_sums: Vec<usize> = std::thread::scope(|s| {
                let joins: Vec<_> = (0..4usize)
                    .map(|t| {
                        let tx = tx.clone();
                        let rt = &rt;
                        s.spawn(move || {
                            let mut mine = Vec::new();
                            for i in 0..200usize {
                                let task = rt.handle().create_task(async move { t * 1000 + i });
                                if i % 2 == 0 {
                                    mine.push(task);
                                } else {
                                    tx.send(task).unwrap();
                                }
                            }
                            let mut sum = 0;
                            for task in mine {
                                sum += rt.block_on(task).unwrap();
                            }
                            sum
                        })
                    })
                    .collect();
                joins.into_iter().map(|j| j.join().unwrap()).collect()
            });
            drop(tx);
            let sent: Vec<Task<usize>> = rx.iter().collect();
            assert_eq!(sent.len(), 400);
            let sent_sum = rt.block_on(async move {
                let mut sum = 0;
                for t in sent {
                    sum += t.await.unwrap();
                }
                sum
            });
            let expected: usize = (0..4usize)
                .flat_map(|t| (0..200usize).map(move |i| t * 1000 + i))
                .sum();
            assert_eq!(
                own_sums.iter().sum::<usize>() + sent_sum,
                expected,
                "workers={workers}"
            );
        }
    });
}

#[test]
fn runtime_create_task_and_task_builder_on_handle() {
    util::deadline(|| {
        let rt = util::rt(2);
        let a = rt.create_task(async { 1 });
        let b = Task::builder()
            .name("built")
            .create_task_on(rt.handle(), async { 2 });
        assert_eq!(b.get_name(), "built");
        assert_eq!(rt.block_on(a).unwrap() + rt.block_on(b).unwrap(), 3);
    });
}

/// The central acceptance test: 1,000,000 tasks created from 4 foreign threads
/// (250,000 each, through `Handle::create_task`) each run exactly once.
#[test]
fn one_million_tasks_from_four_foreign_threads_each_run_exactly_once() {
    util::deadline(|| {
        const THREADS: usize = 4;
        const PER_THREAD: usize = 250_000;
        const N: usize = THREADS * PER_THREAD;

        struct Shared {
            runs: Vec<AtomicU8>,
            finished: AtomicUsize,
            all_done: Mutex<bool>,
            cv: Condvar,
        }
        let shared = Arc::new(Shared {
            runs: (0..N).map(|_| AtomicU8::new(0)).collect(),
            finished: AtomicUsize::new(0),
            all_done: Mutex::new(false),
            cv: Condvar::new(),
        });

        let rt = util::rt(2);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let handle = rt.handle().clone();
                let shared = shared.clone();
                s.spawn(move || {
                    for i in 0..PER_THREAD {
                        let idx = t * PER_THREAD + i;
                        let shared = shared.clone();
                        // Dropping the handle detaches the task; it still runs.
                        drop(handle.create_task(async move {
                            shared.runs[idx].fetch_add(1, Ordering::Relaxed);
                            if shared.finished.fetch_add(1, Ordering::AcqRel) + 1 == N {
                                *shared.all_done.lock().unwrap() = true;
                                shared.cv.notify_all();
                            }
                        }));
                    }
                });
            }
        });
        {
            let guard = shared.all_done.lock().unwrap();
            let (guard, timeout) = shared
                .cv
                .wait_timeout_while(guard, HANG_GUARD, |done| !*done)
                .unwrap();
            assert!(
                !timeout.timed_out() && *guard,
                "only {} of {N} tasks finished",
                shared.finished.load(Ordering::SeqCst)
            );
        }
        let handle = rt.handle().clone();
        // Joining the workers makes every run visible and rules out late second runs.
        drop(rt);
        assert_eq!(shared.finished.load(Ordering::SeqCst), N);
        let bad: Vec<usize> = (0..N)
            .filter(|&i| shared.runs[i].load(Ordering::SeqCst) != 1)
            .take(10)
            .collect();
        assert!(
            bad.is_empty(),
            "tasks not run exactly once (first few): {bad:?}"
        );
        if cfg!(debug_assertions) {
            assert_eq!(handle.live_cells(), Some(0), "every cell is freed");
        }
    });
}

// ---- panics ------------------------------------------------------------------------------

#[test]
fn task_panic_is_caught_into_panicked() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            rt.block_on(async {
                // &'static str payload.
                let t = asyncio::create_task(async {
                    if true {
                        panic!("boom")
                    }
                });
                let r = t.task_ref();
                let err = t.await.unwrap_err();
                assert!(err.is_panic() && !err.is_cancelled());
                let TaskError::Panicked(p) = &err else {
                    panic!("expected a panic, got {err:?}")
                };
                assert_eq!(p.message(), "boom");
                assert_eq!(err.to_string(), "task panicked: boom");
                assert!(r.done() && !r.cancelled());
                // exception() reports the same caught panic.
                match r.exception() {
                    Ok(Some(TaskError::Panicked(p2))) => assert!(p.same_panic(&p2)),
                    other => panic!("unexpected exception(): {other:?}"),
                }
                // The original payload can be taken out once.
                let payload = p.take_payload().expect("payload present");
                assert_eq!(panic_message(&*payload), "boom");
                assert!(p.take_payload().is_none());

                // String payload.
                let n = 7;
                let err = asyncio::create_task(async move {
                    if true {
                        panic!("bad input {n}")
                    }
                })
                .await
                .unwrap_err();
                let TaskError::Panicked(p) = err else {
                    unreachable!()
                };
                assert_eq!(p.message(), "bad input 7");

                // Non-string payload.
                let err = asyncio::create_task(async {
                    if true {
                        std::panic::panic_any(42u32)
                    }
                })
                .await
                .unwrap_err();
                let TaskError::Panicked(p) = err else {
                    unreachable!()
                };
                assert_eq!(p.message(), "Box<dyn Any>");
                assert_eq!(*p.take_payload().unwrap().downcast::<u32>().unwrap(), 42);

                // The runtime keeps going after panics.
                assert_eq!(asyncio::create_task(async { 5 }).await.unwrap(), 5);
            });
        }
    });
}

#[test]
fn panic_after_a_suspension_is_caught() {
    util::deadline(|| {
        let rt = util::rt(2);
        rt.block_on(async {
            let t = asyncio::create_task(async {
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                asyncio::yield_now().await.unwrap();
                if true {
                    panic!("late boom");
                }
                1
            });
            match t.await {
                Err(TaskError::Panicked(p)) => assert_eq!(p.message(), "late boom"),
                other => panic!("unexpected {other:?}"),
            }
        });
    });
}

// ---- outside a runtime -------------------------------------------------------------------

/// asyncio: `create_task` outside a running loop raises `RuntimeError: no running event loop`.
#[test]
fn create_task_outside_runtime_panics_with_no_running_event_loop() {
    util::deadline(|| {
        type Case = (&'static str, Box<dyn FnOnce()>);
        let cases: Vec<Case> = vec![
            (
                "create_task",
                Box::new(|| drop(asyncio::create_task(async {}))),
            ),
            (
                "Task::builder().create_task",
                Box::new(|| drop(Task::builder().create_task(async {}))),
            ),
            ("call_soon", Box::new(|| drop(asyncio::call_soon(|| {})))),
            (
                "call_later",
                Box::new(|| drop(asyncio::call_later(Duration::from_millis(1), || {}))),
            ),
            ("all_tasks", Box::new(|| drop(asyncio::all_tasks()))),
        ];
        for (what, f) in cases {
            let payload = catch_unwind(AssertUnwindSafe(f)).expect_err(what);
            let msg = panic_message(&*payload);
            assert!(
                msg.contains("no running event loop"),
                "{what}: panic message {msg:?} does not say \"no running event loop\""
            );
        }
        // Also on a foreign thread while a runtime exists elsewhere.
        let rt = util::rt(1);
        let payload = std::thread::spawn(|| catch_unwind(|| drop(asyncio::create_task(async {}))))
            .join()
            .unwrap()
            .expect_err("create_task on a foreign thread");
        assert!(panic_message(&*payload).contains("no running event loop"));
        drop(rt);
    });
}

/// CPython: test_events.py `test_get_running_loop` style checks.
#[test]
fn get_running_loop_ok_inside_err_outside() {
    util::deadline(|| {
        let err = asyncio::get_running_loop().unwrap_err();
        assert!(err.to_string().contains("no running event loop"));
        assert!(asyncio::Handle::try_current().is_err());
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let outer = rt.handle().clone();
            let (inside_task, inside_cb, nested) = rt.block_on(async move {
                let h = asyncio::get_running_loop().unwrap();
                let in_task = h.same_runtime(&outer);
                let (tx, rx) = mpsc::channel();
                asyncio::call_soon(move || {
                    tx.send(asyncio::get_running_loop().map(|h| h.num_workers()))
                        .unwrap()
                });
                let child = asyncio::create_task(async {
                    asyncio::get_running_loop().map(|h| h.num_workers())
                });
                let nested = child.await.unwrap();
                let in_cb = loop {
                    if let Ok(v) = rx.try_recv() {
                        break v;
                    }
                    asyncio::yield_now().await.unwrap();
                };
                (in_task, in_cb, nested)
            });
            assert!(inside_task);
            assert_eq!(inside_cb.unwrap(), workers);
            assert_eq!(nested, workers);
            // Still Err on this (non-worker) thread while the runtime runs.
            assert!(asyncio::get_running_loop().is_err());
        }
    });
}

// ---- block_on / run ----------------------------------------------------------------------

#[test]
fn block_on_returns_the_output() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            assert_eq!(rt.block_on(async { 1 + 1 }), 2);
            let v = rt.block_on(async {
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                vec![String::from("a"), String::from("b")]
            });
            assert_eq!(v, ["a", "b"]);
            // Main task is a task.
            let is_task = rt.block_on(async { asyncio::current_task().is_some() });
            assert!(is_task);
        }
    });
}

#[test]
fn asyncio_run_returns_the_output() {
    util::deadline(|| {
        let n = asyncio::run(async {
            let t = asyncio::create_task(async { 20 });
            t.await.unwrap() + 1
        });
        assert_eq!(n, 21);
    });
}

/// asyncio: an exception in the main coroutine propagates out of `run_until_complete`.
#[test]
fn block_on_propagates_a_panic() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let payload = catch_unwind(AssertUnwindSafe(|| {
                rt.block_on(async {
                    asyncio::yield_now().await.unwrap();
                    panic!("main boom");
                })
            }))
            .expect_err("block_on must panic");
            assert_eq!(panic_message(&*payload), "main boom");
            // The runtime is still usable.
            assert_eq!(rt.block_on(async { 3 }), 3);
        }
    });
}

/// asyncio: a cancelled main task raises `CancelledError` out of `run_until_complete`.
#[test]
fn block_on_cancelled_main_task_panics() {
    util::deadline(|| {
        let rt = util::rt(2);
        let payload = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                let me = asyncio::current_task().unwrap();
                me.cancel(Some("main stop"));
                asyncio::checkpoint().await
            })
        }))
        .expect_err("block_on of a cancelled main task must panic");
        let msg = panic_message(&*payload);
        assert!(msg.contains("cancelled"), "{msg:?}");
        assert!(msg.contains("main stop"), "{msg:?}");
    });
}

/// CPython: test_runners.py `test_asyncio_run_from_running_loop`.
#[test]
fn test_asyncio_run_from_running_loop() {
    util::deadline(|| {
        let rt = util::rt(2);
        let other = Arc::new(util::rt(1));
        let o = other.clone();
        let msg = rt.block_on(async move {
            let r = catch_unwind(AssertUnwindSafe(|| o.block_on(async { 1 })));
            drop(o);
            panic_message(&*r.expect_err("block_on on a worker must panic"))
        });
        assert!(msg.contains("running event loop"), "{msg:?}");
        drop(other);
    });
}

// ---- detached tasks ----------------------------------------------------------------------

/// docs/design.md §4.1: dropping a `Task<T>` handle neither cancels nor leaks the task.
#[test]
fn dropping_task_handle_neither_cancels_nor_leaks() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let gate = Gate::default();
            let (tx, rx) = mpsc::channel();
            // Dropped while pending on a foreign future: it must still finish later.
            {
                let gate = gate.clone();
                let tx = tx.clone();
                drop(handle.create_task(async move {
                    gate.wait().await;
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                    tx.send("pending-then-done").unwrap();
                }));
            }
            // Dropped from inside the runtime, before it ever ran.
            rt.block_on(async move {
                drop(asyncio::create_task(async move {
                    tx.send("inner").unwrap();
                }));
            });
            assert_eq!(rx.recv_timeout(HANG_GUARD).unwrap(), "inner");
            gate.open();
            assert_eq!(rx.recv_timeout(HANG_GUARD).unwrap(), "pending-then-done");
            drop(rt);
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0), "workers={workers}");
            }
        }
    });
}

// ---- layout and auto traits --------------------------------------------------------------

#[test]
fn task_header_size_is_at_most_64_bytes() {
    util::deadline(|| {
        // State word, vtable, id, scheduler, join waker (2 words), poll count and live
        // tokens (one word), the lazily allocated asyncio fields (one word).
        let size = asyncio::test_util::task_header_size();
        println!("task header size: {size} bytes");
        assert!(size <= 64, "task header is {size} bytes, target is <= 64");
    });
}

#[test]
fn public_types_are_send_and_sync() {
    util::deadline(|| {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_send<T: Send>() {}
        assert_send_sync::<asyncio::Handle>();
        assert_send_sync::<asyncio::Runtime>();
        assert_send_sync::<asyncio::TaskRef>();
        assert_send_sync::<asyncio::Task<u32>>();
        assert_send_sync::<asyncio::CallbackHandle>();
        assert_send_sync::<asyncio::TimerHandle>();
        assert_send_sync::<asyncio::ConcurrentFuture<u32>>();
        assert_send_sync::<asyncio::TaskError>();
        assert_send_sync::<asyncio::CancelledError>();
        assert_send_sync::<asyncio::PanicError>();
        assert_send_sync::<asyncio::TaskId>();
        assert_send::<asyncio::Sleep>();
        assert_send::<asyncio::Checkpoint>();
        assert_send::<asyncio::Builder>();
    });
}
