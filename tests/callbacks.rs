//! Done callbacks (docs/design.md §4.1): run on the runtime, in registration order, never inline
//! inside the call that completed the task; one added after completion is scheduled.
//! The exception handler: "Task exception was never retrieved" and callback panics.

mod util;

use std::future::Future;
use std::future::IntoFuture;
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

// import asyncio
//
// async def main():
//     loop = asyncio.get_running_loop()
//     trace = []
//     gate = loop.create_future()
//     async def work():
//         await gate
//         trace.append("work done")
//         return 1
//     t = asyncio.create_task(work())
//     t.add_done_callback(lambda _: trace.append("cb1"))
//     async def awaiter():
//         trace.append("awaiter waits")
//         await t
//         trace.append("awaiter woke")
//     w = asyncio.create_task(awaiter())
//     await asyncio.sleep(0)
//     t.add_done_callback(lambda _: trace.append("cb2"))
//     t.add_done_callback(lambda _: trace.append("cb3"))
//     gate.set_result(None)
//     trace.append("set")
//     await asyncio.sleep(0)
//     trace.append("main 1")
//     await asyncio.sleep(0)
//     trace.append("main 2")
//     await w
//     print(trace)
//
// asyncio.run(main())
// -> ['awaiter waits', 'set', 'work done', 'main 1', 'cb1', 'awaiter woke', 'cb2', 'cb3', 'main 2']
//
// The awaiter's wake-up (`Task.__wakeup`) is a done callback of `t`, registered when the
// awaiter starts awaiting: after cb1, before cb2 and cb3.
#[test]
fn test_task_awaiter_and_callbacks_share_one_fifo_list() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let cb = |s: &'static str| {
                let tr = tr.clone();
                move |_: &asyncio::TaskRef| tr.push(s)
            };
            let gate = asyncio::Future::<()>::new();
            let (g, w) = (gate.clone(), tr.clone());
            let t = asyncio::create_task(async move {
                g.await.unwrap();
                w.push("work done");
                1
            });
            t.add_done_callback(cb("cb1"));
            let r = t.task_ref();
            let a = tr.clone();
            let w = asyncio::create_task(async move {
                a.push("awaiter waits");
                assert_eq!(t.await.unwrap(), 1);
                a.push("awaiter woke");
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            r.add_done_callback(cb("cb2"));
            r.add_done_callback(cb("cb3"));
            gate.set_result(()).unwrap();
            tr.push("set");
            asyncio::sleep(Duration::ZERO).await.unwrap();
            tr.push("main 1");
            asyncio::sleep(Duration::ZERO).await.unwrap();
            tr.push("main 2");
            w.await.unwrap();
        });
        assert_eq!(
            trace.get(),
            [
                "awaiter waits",
                "set",
                "work done",
                "main 1",
                "cb1",
                "awaiter woke",
                "cb2",
                "cb3",
                "main 2"
            ]
        );
    });
}

// async def main():
//     loop = asyncio.get_running_loop()
//     trace = []
//     gate = loop.create_future()
//     async def work():
//         await gate
//     t = asyncio.create_task(work())
//     cb = lambda s: (lambda _: trace.append(s))
//     removed = cb("removed")
//     t.add_done_callback(removed)
//     t.add_done_callback(cb("cb1"))
//     async def joiner():
//         await t
//         trace.append("joiner woke")
//     j = asyncio.create_task(joiner())
//     await asyncio.sleep(0)
//     t.add_done_callback(cb("cb2"))
//     async def waiter():
//         await t
//         trace.append("waiter woke")
//     w = asyncio.create_task(waiter())
//     await asyncio.sleep(0)
//     t.add_done_callback(cb("cb3"))
//     assert t.remove_done_callback(removed) == 1
//     gate.set_result(None)
//     await j
//     await w
//     await asyncio.sleep(0)
//     print(trace)
// -> ['cb1', 'joiner woke', 'cb2', 'waiter woke', 'cb3']
//
// The same rule with a removed callback and a second awaiter (here `wait_done()`, a
// completion waker woken directly): every wake-up at its place in registration order;
// removing a callback registered before the awaiter keeps the awaiter's place.
#[test]
fn task_awaiter_keeps_its_place_among_removed_callbacks_and_waiters() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let cb = |s: &'static str| {
                let tr = tr.clone();
                move |_: &asyncio::TaskRef| tr.push(s)
            };
            let gate = asyncio::Future::<()>::new();
            let g = gate.clone();
            let t = asyncio::create_task(async move { g.await.unwrap() });
            let r = t.task_ref();
            let removed = r.add_done_callback(cb("removed"));
            r.add_done_callback(cb("cb1"));
            let a = tr.clone();
            let joiner = asyncio::create_task(async move {
                t.await.unwrap();
                a.push("joiner woke");
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            r.add_done_callback(cb("cb2"));
            let (a, rr) = (tr.clone(), r.clone());
            let waiter = asyncio::create_task(async move {
                rr.wait_done().await.unwrap();
                a.push("waiter woke");
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            r.add_done_callback(cb("cb3"));
            assert_eq!(r.remove_done_callback(removed), 1);
            gate.set_result(()).unwrap();
            joiner.await.unwrap();
            waiter.await.unwrap();
            asyncio::sleep(Duration::ZERO).await.unwrap();
        });
        assert_eq!(
            trace.get(),
            ["cb1", "joiner woke", "cb2", "waiter woke", "cb3"]
        );
    });
}

/// A `Task<T>` handle polled by one task, then moved to another that awaits it: the new
/// awaiter registers anew, after the callbacks added so far (as a new `await t` appends
/// its `Task.__wakeup` in asyncio), and before those added once it waits.
/// Expected as in asyncio: cb1 (added while the first poller waited), the new awaiter,
/// cb2.
#[test]
fn task_handle_moved_to_another_awaiter_registers_anew() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            use std::future::Future as _;
            let cb = |s: &'static str| {
                let tr = tr.clone();
                move |_: &asyncio::TaskRef| tr.push(s)
            };
            let gate = asyncio::Future::<()>::new();
            let g = gate.clone();
            let mut t = asyncio::create_task(async move { g.await.unwrap() });
            let r = t.task_ref();
            std::future::poll_fn(|cx| {
                assert!(std::pin::Pin::new(&mut (&mut t).into_future())
                    .poll(cx)
                    .is_pending());
                std::task::Poll::Ready(())
            })
            .await;
            r.add_done_callback(cb("cb1"));
            let a = tr.clone();
            let awaiter = asyncio::create_task(async move {
                t.await.unwrap();
                a.push("awaiter woke");
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            r.add_done_callback(cb("cb2"));
            gate.set_result(()).unwrap();
            awaiter.await.unwrap();
            asyncio::sleep(Duration::ZERO).await.unwrap();
        });
        assert_eq!(trace.get(), ["cb1", "awaiter woke", "cb2"]);
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

/// The report names the task as `get_name()` does (asyncio's context carries the task,
/// whose repr shows `name='...'`): a named task's id is no `Task-N` number.
#[test]
fn test_log_traceback_never_retrieved_names_the_task() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let (rt, seen) = recording_runtime(n);
            let expected_unnamed = rt.block_on(async {
                let named = asyncio::Task::builder()
                    .name("the-worker")
                    .create_task(async {
                        if true {
                            panic!("lost")
                        }
                    });
                let unnamed = asyncio::create_task(async {
                    if true {
                        panic!("lost too")
                    }
                });
                let expected_unnamed = unnamed.get_name();
                let (a, b) = (named.task_ref(), unnamed.task_ref());
                drop((named, unnamed));
                while !(a.done() && b.done()) {
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                }
                drop((a, b));
                expected_unnamed
            });
            drop(rt);
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 2, "{seen:?}");
            assert!(
                seen.contains(
                    &"Task exception was never retrieved (task the-worker): lost".to_owned()
                ),
                "{seen:?}"
            );
            assert!(
                seen.contains(&format!(
                    "Task exception was never retrieved (task {expected_unnamed}): lost too"
                )),
                "{seen:?}"
            );
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
