//! Done callbacks (docs/design.md §4.1): run on the runtime, in registration order, never inline
//! inside the call that completed the task; one added after completion is scheduled.
//! The exception handler: "Task exception was never retrieved" and callback panics.

mod util;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use util::{rt, rt1, Trace, WORKER_COUNTS};

// async def work(): trace.append("work"); return 1
// t = create_task(work()); t.add_done_callback(cb1); t.add_done_callback(cb2)
// loop.call_soon(soon); await t; trace.append("after await")
// t.add_done_callback(cb3 late); trace.append("added late"); await sleep(0); trace.append("end")
// -> ['work', 'soon', 'cb1', 'cb2', 'after await', 'added late', 'cb3 late', 'end']
#[test]
fn test_done_callbacks_order_and_late_registration() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let w = tr.clone();
            let t = asyncio::create_task(async move {
                w.push("work");
                1
            });
            let (c1, c2, s) = (tr.clone(), tr.clone(), tr.clone());
            t.add_done_callback(move |_| c1.push("cb1"));
            t.add_done_callback(move |_| c2.push("cb2"));
            asyncio::call_soon(move || s.push("soon"));
            let r = t.task_ref();
            t.await.unwrap();
            tr.push("after await");
            let c3 = tr.clone();
            r.add_done_callback(move |_| c3.push("cb3 late"));
            tr.push("added late");
            asyncio::sleep(Duration::ZERO).await.unwrap();
            tr.push("end");
        });
        assert_eq!(
            trace.get(),
            [
                "work",
                "soon",
                "cb1",
                "cb2",
                "after await",
                "added late",
                "cb3 late",
                "end"
            ]
        );
    });
}

#[test]
fn done_callback_sees_the_done_task_and_runs_on_a_worker() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let (tx, rx) = mpsc::channel();
            rt(n).block_on(async move {
                let t = asyncio::create_task(async { 5 });
                let id = t.id();
                t.add_done_callback(move |task| {
                    let on_worker = std::thread::current()
                        .name()
                        .is_some_and(|n| n.starts_with("asyncio-worker"));
                    tx.send((
                        task.id() == id,
                        task.done(),
                        on_worker,
                        asyncio::current_task().is_none(),
                    ))
                    .unwrap();
                });
                t.await.unwrap();
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
            });
            assert_eq!(rx.recv().unwrap(), (true, true, true, true));
        }
    });
}

#[test]
fn done_callback_is_never_called_inline_by_the_completing_call() {
    util::deadline(|| {
        rt1().block_on(async {
            let called = Arc::new(AtomicUsize::new(0));
            let fut = asyncio::Future::<()>::new();
            let c = called.clone();
            fut.add_done_callback(move |_| {
                c.fetch_add(1, Ordering::SeqCst);
            });
            fut.set_result(()).unwrap();
            assert_eq!(
                called.load(Ordering::SeqCst),
                0,
                "not inline inside set_result"
            );
            let t = asyncio::create_task(async {});
            t.await.unwrap();
            let c = called.clone();
            let r = asyncio::create_task(async {});
            let rr = r.task_ref();
            r.await.unwrap();
            rr.add_done_callback(move |_| {
                c.fetch_add(1, Ordering::SeqCst);
            });
            assert_eq!(
                called.load(Ordering::SeqCst),
                1,
                "late callback not inline either"
            );
            asyncio::sleep(Duration::ZERO).await.unwrap();
            assert_eq!(called.load(Ordering::SeqCst), 2);
        });
    });
}

#[test]
fn test_remove_done_callback() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let calls = Arc::new(Mutex::new(Vec::new()));
                let gate = asyncio::Future::<()>::new();
                let g = gate.clone();
                let t = asyncio::create_task(async move { g.await.unwrap() });
                let (a, b) = (calls.clone(), calls.clone());
                let id_a = t.add_done_callback(move |_| a.lock().unwrap().push("a"));
                t.add_done_callback(move |_| b.lock().unwrap().push("b"));
                assert_eq!(t.remove_done_callback(id_a), 1);
                assert_eq!(t.remove_done_callback(id_a), 0);
                gate.set_result(()).unwrap();
                t.await.unwrap();
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                assert_eq!(*calls.lock().unwrap(), ["b"]);
            });
        }
    });
}

fn recording_runtime(n: usize) -> (asyncio::Runtime, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let rt = asyncio::Builder::new()
        .worker_threads(n)
        .exception_handler(move |ctx| s.lock().unwrap().push(ctx.to_string()))
        .build()
        .unwrap();
    (rt, seen)
}

/// asyncio's "Task exception was never retrieved", when the unobserved task is freed.
#[test]
fn test_log_traceback_never_retrieved() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let (rt, seen) = recording_runtime(n);
            rt.block_on(async {
                let t = asyncio::create_task(async {
                    if true {
                        panic!("lost")
                    }
                });
                let r = t.task_ref();
                drop(t);
                while !r.done() {
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                }
            });
            drop(rt);
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 1, "{seen:?}");
            assert!(seen[0].starts_with("Task exception was never retrieved"));
            assert!(seen[0].ends_with(": lost"));
        }
    });
}

/// A retrieved panic is not reported: awaited, or asked for with `exception()`.
#[test]
fn retrieved_exceptions_are_not_reported() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let (rt, seen) = recording_runtime(n);
            rt.block_on(async {
                let awaited = asyncio::create_task(async {
                    if true {
                        panic!("awaited")
                    }
                });
                assert!(awaited.await.unwrap_err().is_panic());
                let asked = asyncio::create_task(async {
                    if true {
                        panic!("asked")
                    }
                });
                let r = asked.task_ref();
                drop(asked);
                while !r.done() {
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                }
                assert!(r.exception().unwrap().unwrap().is_panic());
            });
            drop(rt);
            assert!(
                seen.lock().unwrap().is_empty(),
                "{:?}",
                seen.lock().unwrap()
            );
        }
    });
}

/// asyncio: "Exception in callback ..." goes to the handler; the runtime carries on.
#[test]
fn test_error_in_call_soon() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let (rt, seen) = recording_runtime(n);
            let out = rt.block_on(async {
                asyncio::call_soon(|| panic!("callback failed"));
                asyncio::sleep(Duration::from_millis(2)).await.unwrap();
                "still running"
            });
            assert_eq!(out, "still running");
            drop(rt);
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 1);
            assert!(seen[0].starts_with("Exception in callback"));
        }
    });
}

/// `remove_done_callback` drops the removed closure after releasing the task's lock: a
/// closure owning a polled `WaitDone` of the same task (whose drop takes that lock to
/// remove its completion waker) deadlocked the worker when it was dropped under it.
#[test]
fn removed_done_callback_is_dropped_outside_the_task_lock() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            rt(n).block_on(async {
                let t = asyncio::create_task(asyncio::sleep(Duration::from_secs(3600)));
                let mut wait = Box::pin(t.wait_done());
                std::future::poll_fn(|cx| {
                    assert!(wait.as_mut().poll(cx).is_pending());
                    std::task::Poll::Ready(())
                })
                .await;
                let id = t.add_done_callback(move |_| drop(wait));
                assert_eq!(t.remove_done_callback(id), 1);
                t.cancel(None);
                assert!(t.await.unwrap_err().is_cancelled());
            });
        });
    }
}
