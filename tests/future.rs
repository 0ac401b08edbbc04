//! `asyncio::Future` (asyncio.Future): set_result / set_exception / cancel, done
//! callbacks, awaitable from several tasks, usable from any thread.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_futures.py` where a test exists.

mod util;

use std::fmt;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use asyncio::{CancelledError, TaskError};
use util::{rt, rt1, Trace, WORKER_COUNTS};

#[derive(Debug)]
struct Boom;

impl fmt::Display for Boom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("boom")
    }
}

impl std::error::Error for Boom {}

#[test]
fn test_result() {
    util::deadline(|| {
        rt1().block_on(async {
            let f = asyncio::Future::<i32>::new();
            assert!(!f.done() && !f.cancelled());
            assert!(f.result().is_err(), "pending -> InvalidStateError");
            f.set_result(42).unwrap();
            assert!(f.done());
            assert_eq!(f.result().unwrap().unwrap(), 42);
            assert!(f.exception().unwrap().is_none());
        });
    });
}

#[test]
fn test_exception() {
    util::deadline(|| {
        rt1().block_on(async {
            let f = asyncio::Future::<i32>::new();
            assert!(f.exception().is_err(), "pending -> InvalidStateError");
            f.set_exception(Boom).unwrap();
            match f.clone().await {
                Err(TaskError::Exception(e)) => assert_eq!(e.to_string(), "boom"),
                other => panic!("{other:?}"),
            }
            assert!(f.exception().unwrap().is_some());
        });
    });
}

// fut.set_result(1); fut.set_result(2) -> InvalidStateError (test_set_result_causes_invalid_state)
#[test]
fn test_set_result_causes_invalid_state() {
    util::deadline(|| {
        let f = asyncio::Future::<i32>::new();
        f.set_result(1).unwrap();
        assert!(f.set_result(2).is_err());
        assert!(f.set_exception(Boom).is_err());
        assert!(!f.cancel(None));
        let c = asyncio::Future::<i32>::new();
        assert!(c.cancel(Some("gone")));
        assert!(c.set_result(1).is_err(), "a cancelled future cannot be set");
        assert!(!c.cancel(None));
    });
}

#[test]
fn test_cancel_message_getter() {
    util::deadline(|| {
        rt1().block_on(async {
            let f = asyncio::Future::<i32>::new();
            f.cancel(Some("my message"));
            assert!(f.cancelled());
            let exc = f.exception().unwrap().unwrap();
            assert_eq!(exc.as_cancelled().unwrap().message(), Some("my message"));
            // An awaiting task receives it (tracked by the awaiter).
            let err = f.clone().await.unwrap_err();
            assert_eq!(err.as_cancelled().unwrap().message(), Some("my message"));
        });
    });
}

#[test]
fn awaited_by_many_tasks() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let f = asyncio::Future::<String>::new();
                let waiters: Vec<_> = (0..50)
                    .map(|_| {
                        let f = f.clone();
                        asyncio::create_task(async move { f.await.unwrap() })
                    })
                    .collect();
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                f.set_result("shared".to_owned()).unwrap();
                for w in waiters {
                    assert_eq!(w.await.unwrap(), "shared");
                }
            });
        }
    });
}

#[test]
fn set_from_a_foreign_thread() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let f = asyncio::Future::<u64>::new_on(rt.handle());
            let waiter = {
                let f = f.clone();
                rt.create_task(async move { f.await.unwrap() * 2 })
            };
            let setter = {
                let f = f.clone();
                std::thread::spawn(move || f.set_result(21).unwrap())
            };
            setter.join().unwrap();
            assert_eq!(rt.block_on(waiter).unwrap(), 42);
        }
    });
}

// fut.add_done_callback(cb1); fut.add_done_callback(cb2); loop.call_soon(soon)
// fut.set_result(1); trace "set"; await sleep(0); add cb3 late; await sleep(0)
// -> ['set', 'soon', 'cb1', 'cb2', 'cb3']
#[test]
fn test_future_callbacks_run_in_order_on_the_runtime() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let f = asyncio::Future::<i32>::new();
            let (a, b, s) = (tr.clone(), tr.clone(), tr.clone());
            f.add_done_callback(move |_| a.push("cb1"));
            f.add_done_callback(move |f| {
                assert!(f.done());
                b.push("cb2")
            });
            asyncio::call_soon(move || s.push("soon"));
            f.set_result(1).unwrap();
            tr.push("set");
            asyncio::sleep(Duration::ZERO).await.unwrap();
            let c = tr.clone();
            f.add_done_callback(move |_| c.push("cb3"));
            asyncio::sleep(Duration::ZERO).await.unwrap();
        });
        assert_eq!(trace.get(), ["set", "soon", "cb1", "cb2", "cb3"]);
    });
}

#[test]
fn remove_done_callback_on_future() {
    util::deadline(|| {
        rt1().block_on(async {
            let calls = Arc::new(Mutex::new(0));
            let f = asyncio::Future::<()>::new();
            let c = calls.clone();
            let id = f.add_done_callback(move |_| *c.lock().unwrap() += 1);
            assert_eq!(f.remove_done_callback(id), 1);
            f.set_result(()).unwrap();
            asyncio::sleep(Duration::ZERO).await.unwrap();
            assert_eq!(*calls.lock().unwrap(), 0);
        });
    });
}

/// A future created outside any runtime runs its callbacks on the runtime of the thread
/// that completes it, or inline when there is none.
#[test]
fn future_outside_a_runtime() {
    util::deadline(|| {
        let f = asyncio::Future::<i32>::new();
        let (tx, rx) = mpsc::channel();
        f.add_done_callback(move |f| tx.send(f.result().unwrap().unwrap()).unwrap());
        f.set_result(7).unwrap();
        assert_eq!(
            rx.try_recv().unwrap(),
            7,
            "no runtime anywhere: called inline"
        );
    });
}

/// A task that propagates the cancellation of the future it awaits ends cancelled; one
/// that catches it goes on.
#[test]
fn cancelled_future_propagated_or_caught() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let f = asyncio::Future::<i32>::new();
                let f1 = f.clone();
                let propagates = asyncio::create_task(async move {
                    let v = f1.await.map_err(|e| e.as_cancelled().cloned().unwrap())?;
                    Ok::<_, CancelledError>(v)
                });
                let f2 = f.clone();
                let catches = asyncio::create_task(async move { f2.await.is_err() });
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                f.cancel(Some("nope"));
                let (p, c) = (propagates.task_ref(), catches.task_ref());
                assert!(propagates.await.unwrap_err().is_cancelled());
                assert!(catches.await.unwrap());
                assert!(p.cancelled() && !c.cancelled());
            });
        }
    });
}

// import asyncio
//
// async def main():
//     loop = asyncio.get_running_loop()
//     trace = []
//     fut = loop.create_future()
//     fut.add_done_callback(lambda f: trace.append("cb1"))
//     async def waiter(name):
//         trace.append(f"{name} waits")
//         await fut
//         trace.append(f"{name} woke")
//     a = asyncio.create_task(waiter("A"))
//     await asyncio.sleep(0)
//     fut.add_done_callback(lambda f: trace.append("cb2"))
//     b = asyncio.create_task(waiter("B"))
//     await asyncio.sleep(0)
//     fut.add_done_callback(lambda f: trace.append("cb3"))
//     fut.set_result(1)
//     trace.append("set")
//     await asyncio.sleep(0)
//     trace.append("main")
//     await a
//     await b
//     print(trace)
//
// asyncio.run(main())
// -> ['A waits', 'B waits', 'set', 'cb1', 'A woke', 'cb2', 'B woke', 'cb3', 'main']
//
// An awaiting task's wake-up is a done callback (`Task.__wakeup`) in the same FIFO list:
// callbacks and awaiters run in registration order.
#[test]
fn test_callbacks_and_awaiters_share_one_fifo_list() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let fut = asyncio::Future::<i32>::new();
            let cb = |s: &'static str| {
                let tr = tr.clone();
                move |_: &asyncio::Future<i32>| tr.push(s)
            };
            let waiter = |name: &'static str| {
                let (tr, fut) = (tr.clone(), fut.clone());
                async move {
                    tr.push(format!("{name} waits"));
                    fut.await.unwrap();
                    tr.push(format!("{name} woke"));
                }
            };
            fut.add_done_callback(cb("cb1"));
            let a = asyncio::create_task(waiter("A"));
            asyncio::sleep(Duration::ZERO).await.unwrap();
            fut.add_done_callback(cb("cb2"));
            let b = asyncio::create_task(waiter("B"));
            asyncio::sleep(Duration::ZERO).await.unwrap();
            fut.add_done_callback(cb("cb3"));
            fut.set_result(1).unwrap();
            tr.push("set");
            asyncio::sleep(Duration::ZERO).await.unwrap();
            tr.push("main");
            a.await.unwrap();
            b.await.unwrap();
        });
        assert_eq!(
            trace.get(),
            ["A waits", "B waits", "set", "cb1", "A woke", "cb2", "B woke", "cb3", "main"]
        );
    });
}

/// A removed callback leaves the awaiters' places alone, and an awaiter polled again
/// while it waits keeps its first place (it is registered once, as `Task.__wakeup` is).
#[test]
fn removing_a_callback_or_repolling_keeps_the_awaiters_place() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let fut = asyncio::Future::<i32>::new();
            let cb = |s: &'static str| {
                let tr = tr.clone();
                move |_: &asyncio::Future<i32>| tr.push(s)
            };
            let removed = fut.add_done_callback(cb("removed"));
            let (t, f) = (tr.clone(), fut.clone());
            let a = asyncio::create_task(async move {
                use std::future::Future as _;
                // Polled twice while pending: one registration, at the first place.
                let mut f = std::pin::pin!(std::future::IntoFuture::into_future(f));
                std::future::poll_fn(|cx| {
                    assert!(f.as_mut().poll(cx).is_pending());
                    std::task::Poll::Ready(())
                })
                .await;
                t.push("A waits");
                f.await.unwrap();
                t.push("A woke");
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            fut.add_done_callback(cb("cb"));
            assert_eq!(fut.remove_done_callback(removed), 1);
            fut.set_result(1).unwrap();
            a.await.unwrap();
            asyncio::sleep(Duration::ZERO).await.unwrap();
        });
        assert_eq!(trace.get(), ["A waits", "A woke", "cb"]);
    });
}
