//! Cancellation (docs/design.md §4.2): `cancel(msg)` counting, delegation to the awaited waiter,
//! delivery as a value at runtime-aware await points, tracked tokens deciding cancelled
//! vs swallowed, completion with *must_cancel* still set, forced cancellation of tasks
//! awaiting foreign futures, cancel before the first poll, `uncancel`, `abort`.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_tasks.py` where a test exists.

mod util;

use asyncio::test_util::HandleTestExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asyncio::{CancelledError, TaskError};
use util::{cancel_msg, rt, rt1, DropCount, Foreign, Trace, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

/// An event between tasks: an `asyncio::Future<()>` set once.
fn event() -> asyncio::Future<()> {
    asyncio::Future::new()
}

// async def sleep(): await asyncio.sleep(10)
// async def coro():
//     task = asyncio.create_task(sleep())
//     await asyncio.sleep(0)
//     task.cancel('my message')
//     await task
// -> CancelledError('my message') out of coro
#[test]
fn test_cancel_with_message_then_future_result() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let outer = rt.create_task(async {
                let started = event();
                let s = started.clone();
                let task = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    asyncio::sleep(LONG).await?;
                    Ok::<_, CancelledError>(())
                });
                started.await.unwrap();
                task.cancel(Some("my message"));
                task.await
            });
            // `await task` raised out of `coro`: the outer task ends cancelled with the
            // message (the error was propagated with `?`).
            let err = rt.block_on(async move { outer.await.unwrap_err().untracked() });
            assert_eq!(
                cancel_msg(&err).as_deref(),
                Some("my message"),
                "workers={n}"
            );
        }
    });
}

#[test]
fn test_cancel_with_message_before_starting_task() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let polled = Arc::new(AtomicBool::new(false));
            let p = polled.clone();
            let err = rt.block_on(async move {
                let task = asyncio::create_task(async move {
                    p.store(true, Ordering::SeqCst);
                });
                assert!(task.cancel(Some("my message")));
                task.await.unwrap_err().untracked()
            });
            assert_eq!(cancel_msg(&err).as_deref(), Some("my message"));
            assert!(
                !polled.load(Ordering::SeqCst),
                "a task cancelled before its first step never runs"
            );
        }
    });
}

// t = loop.create_task(sleeper())
// print(t.cancelling(), t.cancel(), t.cancelling(), t.cancel(), t.cancelling())  # 0 True 1 True 2
// await t -> CancelledError
// print(t.cancelling(), t.cancelled(), t.cancel())                               # 2 True False
#[test]
fn test_cancelling() {
    util::deadline(|| {
        rt1().block_on(async {
            let t = asyncio::create_task(asyncio::sleep(LONG));
            assert_eq!(t.cancelling(), 0);
            assert!(t.cancel(None));
            assert_eq!(t.cancelling(), 1);
            assert!(t.cancel(None));
            assert_eq!(t.cancelling(), 2);
            let r = t.task_ref();
            assert!(t.await.unwrap_err().is_cancelled());
            assert_eq!(r.cancelling(), 2);
            assert!(r.cancelled());
            assert!(!r.cancel(None), "cancel on a done task returns false");
        });
    });
}

// t2 = asyncio.create_task(body()); t2.cancel("x"); t2.uncancel() -> 0; await t2 -> "ran"
#[test]
fn test_uncancel_resets_must_cancel() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    asyncio::sleep(Duration::ZERO).await?;
                    Ok::<_, CancelledError>("ran")
                });
                t.cancel(Some("x"));
                assert_eq!(t.uncancel(), 0);
                assert_eq!(t.await.unwrap(), "ran");
            });
        }
    });
}

// async def task():
//     try: await asyncio.sleep(10)
//     except CancelledError:
//         asyncio.current_task().uncancel()   # -> 0
//         await asyncio.sleep(0)              # not cancelled again
//         return "recovered"
#[test]
fn test_uncancel_basic() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = event();
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    match asyncio::sleep(LONG).await {
                        Ok(()) => "slept",
                        Err(_) => {
                            let me = asyncio::current_task().unwrap();
                            assert_eq!(me.cancelling(), 1);
                            assert_eq!(me.uncancel(), 0);
                            asyncio::sleep(Duration::ZERO).await.unwrap();
                            "recovered"
                        }
                    }
                });
                started.await.unwrap();
                t.cancel(None);
                let r = t.task_ref();
                assert_eq!(t.await.unwrap(), "recovered");
                assert!(!r.cancelled());
                assert_eq!(r.cancelling(), 0);
            });
        }
    });
}

/// CPython's `make_request_with_timeout`: a structured block cancelled by a timer turns
/// the cancellation into a timeout with `uncancel()`, and the outer code is unaffected.
async fn make_request_with_timeout(sleep: Duration, timeout: Duration) -> (bool, bool, bool) {
    let task = asyncio::current_task().unwrap();
    let timed_out = Arc::new(AtomicBool::new(false));
    let (to, t) = (timed_out.clone(), task.clone());
    let handle = asyncio::call_later(timeout, move || {
        to.store(true, Ordering::SeqCst);
        t.cancel(None);
    });
    let mut structured_block_finished = false;
    // try:
    let res = asyncio::sleep(sleep).await;
    if res.is_ok() {
        structured_block_finished = true;
    }
    // finally:
    handle.cancel();
    let timed_out = timed_out.load(Ordering::SeqCst);
    let timeout_error = match res {
        Err(cancelled) if timed_out && task.uncancel() == 0 => {
            drop(cancelled); // `raise TimeoutError from None`
            true
        }
        Err(cancelled) => panic!("unexpected cancellation {cancelled}"),
        Ok(()) => false,
    };
    // except TimeoutError: assert timed_out
    assert_eq!(timeout_error, timed_out);
    // Outer code not affected by the timeout:
    asyncio::sleep(Duration::ZERO).await.unwrap();
    (timed_out, structured_block_finished, true)
}

// (True, False, True) for sleep=10, timeout=0.1; (False, True, True) for sleep=0, timeout=10
#[test]
fn test_uncancel_structured_blocks() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let r = rt.block_on(make_request_with_timeout(LONG, Duration::from_millis(5)));
            assert_eq!(r, (true, false, true));
            let r = rt.block_on(make_request_with_timeout(Duration::ZERO, LONG));
            assert_eq!(r, (false, true, true));
            assert_eq!(rt.handle().live_timers(), 0, "no timer left behind");
        }
    });
}

// async def task(): try: await asyncio.sleep(10)  except CancelledError: return 42
// t.cancel(); await t -> 42; t.cancelling() == 1; not t.cancelled()
#[test]
fn test_cancel_task_catching() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = event();
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    match asyncio::sleep(LONG).await {
                        Ok(()) => 0,
                        Err(_caught) => 42,
                    }
                });
                started.await.unwrap();
                assert!(t.cancel(None));
                let r = t.task_ref();
                assert_eq!(t.await.unwrap(), 42);
                assert!(!r.cancelled(), "a swallowed cancellation ends normally");
                assert_eq!(r.cancelling(), 1, "cancelling() stays > 0");
            });
        }
    });
}

// async def task():
//     try: await fut1
//     except CancelledError: pass
//     res = await fut2   # not cancelled again
//     return res
#[test]
fn test_cancel_task_ignoring() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut1 = asyncio::Future::<u32>::new();
                let fut2 = asyncio::Future::<u32>::new();
                let (f1, f2) = (fut1.clone(), fut2.clone());
                let t = asyncio::create_task(async move {
                    let _ = f1.await; // cancellation caught and ignored
                    f2.await.unwrap()
                });
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                while !t.done() && !fut1.done() {
                    t.cancel(None);
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                }
                assert!(
                    fut1.cancelled(),
                    "cancelling the task cancelled the future it awaited"
                );
                fut2.set_result(42).unwrap();
                assert_eq!(t.await.unwrap(), 42);
            });
        }
    });
}

// async def task():
//     asyncio.current_task().cancel("me")
//     try: await asyncio.sleep(0)
//     except CancelledError as e: return ("caught", e.args)   # -> ('caught', ('me',))
#[test]
fn test_cancel_current_task() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let out = rt(n).block_on(async {
                asyncio::create_task(async {
                    asyncio::current_task().unwrap().cancel(Some("me"));
                    match asyncio::sleep(Duration::ZERO).await {
                        Ok(()) => None,
                        Err(e) => Some(e.message().map(str::to_owned)),
                    }
                })
                .await
                .unwrap()
            });
            assert_eq!(out, Some(Some("me".to_owned())));
        }
    });
}

// async def at_end(): asyncio.current_task().cancel("self"); return 1
// await t3 -> CancelledError('self')
#[test]
fn test_cancel_at_end() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let err = rt(n).block_on(async {
                asyncio::create_task(async {
                    asyncio::current_task().unwrap().cancel(Some("self"));
                    1
                })
                .await
                .unwrap_err()
                .untracked()
            });
            assert_eq!(cancel_msg(&err).as_deref(), Some("self"));
        }
    });
}

// async def task(): step1; sleep(0); step2; sleep(0); step3; return 12
// t = create_task(task()); await sleep(0); t.cancel() -> True; await t -> CancelledError
// trace == ['step1', 'cancel:True', 'cancelled', 'again:False']
#[test]
fn test_cancel_yield() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let inner = tr.clone();
            let t = asyncio::create_task(async move {
                inner.push("step1");
                asyncio::sleep(Duration::ZERO).await?;
                inner.push("step2");
                asyncio::sleep(Duration::ZERO).await?;
                inner.push("step3");
                Ok::<_, CancelledError>(12)
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            tr.push(format!(
                "cancel:{}",
                if t.cancel(None) { "True" } else { "False" }
            ));
            let r = t.task_ref();
            if t.await.unwrap_err().is_cancelled() {
                tr.push("cancelled");
            }
            tr.push(format!(
                "again:{}",
                if r.cancel(None) { "True" } else { "False" }
            ));
        });
        assert_eq!(
            trace.get(),
            ["step1", "cancel:True", "cancelled", "again:False"]
        );
    });
}

// inner: try: await sleep(10) except CancelledError as e: tr.append(("inner", e.args)); raise
// outer(i): try: await i except CancelledError as e: tr.append(("outer", e.args)); raise
// o.cancel("stop") -> [('inner', ('stop',)), ('outer', ('stop',))], both cancelled,
// cancelling() == 1 on each
#[test]
fn test_cancel_awaited_task_forwards_message() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let (t1, t2) = (tr.clone(), tr.clone());
            let inner = asyncio::create_task(async move {
                if let Err(e) = asyncio::sleep(LONG).await {
                    t1.push(format!("inner {:?}", e.message()));
                    return Err(e);
                }
                Ok(())
            });
            let inner_ref = inner.task_ref();
            let outer = asyncio::create_task(async move {
                match inner.await {
                    Err(TaskError::Cancelled(e)) => {
                        t2.push(format!("outer {:?}", e.message()));
                        Err(e)
                    }
                    _ => Ok(()),
                }
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            outer.cancel(Some("stop"));
            let outer_ref = outer.task_ref();
            assert!(outer.await.unwrap_err().is_cancelled());
            assert!(inner_ref.cancelled() && outer_ref.cancelled());
            assert_eq!((inner_ref.cancelling(), outer_ref.cancelling()), (1, 1));
        });
        assert_eq!(
            trace.get(),
            ["inner Some(\"stop\")", "outer Some(\"stop\")"]
        );
    });
}

// A cancellation on a task that awaits a cancelled task, caught by the awaiter: the
// awaiter ends normally (the token it received was dropped).
#[test]
fn awaiting_a_cancelled_task_and_catching_it_ends_normally() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let inner = asyncio::create_task(asyncio::sleep(LONG));
                inner.cancel(Some("inner only"));
                let outer = asyncio::create_task(async move {
                    match inner.await {
                        Err(TaskError::Cancelled(e)) => e.message().map(str::to_owned),
                        other => panic!("{other:?}"),
                    }
                });
                let r = outer.task_ref();
                assert_eq!(outer.await.unwrap().as_deref(), Some("inner only"));
                assert!(!r.cancelled());
            });
        }
    });
}

// fut = loop.create_future(); task awaits fut; fut.cancel() -> task gets CancelledError
#[test]
fn test_cancel_inner_future() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = asyncio::Future::<u32>::new();
                let f = fut.clone();
                // The error is kept as a value (a String in an `Option`): it was caught.
                let t =
                    asyncio::create_task(async move { Some(f.await.map_err(|e| e.to_string())) });
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                assert!(fut.cancel(Some("inner")));
                let r = t.task_ref();
                assert_eq!(
                    t.await.unwrap().unwrap().unwrap_err(),
                    "CancelledError: inner"
                );
                assert!(!r.cancelled());
            });
        }
    });
}

// task awaits fut; task.cancel(); fut.cancel() -> both cancelled
#[test]
fn test_cancel_both_task_and_inner_future() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = asyncio::Future::<u32>::new();
                let f = fut.clone();
                let started = event();
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    let v = f.await.map_err(|e| match e {
                        asyncio::TaskError::Cancelled(c) => c,
                        other => panic!("{other}"),
                    })?;
                    Ok::<_, CancelledError>(v)
                });
                started.await.unwrap();
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                assert!(t.cancel(None));
                fut.cancel(None);
                let r = t.task_ref();
                assert!(t.await.unwrap_err().is_cancelled());
                assert!(fut.cancelled() && r.cancelled());
            });
        }
    });
}

// test_task_cancel_waiter_future: cancelling a task waiting on a future cancels the future
#[test]
fn test_task_cancel_waiter_future() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = asyncio::Future::<()>::new();
                let f = fut.clone();
                let t = asyncio::create_task(async move {
                    f.await.map_err(|e| e.as_cancelled().unwrap().clone())
                });
                while !t.done() {
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                    if !fut.done() {
                        t.cancel(Some("waiter"));
                    }
                }
                let r = t.task_ref();
                assert!(
                    t.await.unwrap_err().is_cancelled(),
                    "propagated with the error value"
                );
                assert!(r.cancelled());
                assert!(fut.cancelled());
                assert_eq!(
                    fut.exception()
                        .unwrap()
                        .unwrap()
                        .as_cancelled()
                        .unwrap()
                        .message(),
                    Some("waiter")
                );
            });
        }
    });
}

#[test]
fn test_task_cancel_sleeping_task() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = event();
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    asyncio::sleep(LONG).await
                });
                started.await.unwrap();
                t.cancel(Some("wake up"));
                let err = t.await.unwrap_err();
                assert_eq!(cancel_msg(&err).as_deref(), Some("wake up"));
            });
            // The sleeping task's timer is freed with it.
        }
    });
}

/// A task awaiting a future the runtime knows nothing of cannot receive the
/// cancellation: it is cancelled by force, its future dropped.
#[test]
fn cancel_forces_tasks_awaiting_foreign_futures() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let drops = DropCount::default();
            let d = drops.clone();
            let err = rt(n).block_on(async move {
                let started = event();
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    let _token = d.token();
                    s.set_result(()).unwrap();
                    Foreign.await;
                    if true {
                        unreachable!("a foreign future never completes");
                    }
                });
                started.await.unwrap();
                assert!(t.cancel(Some("forced")));
                t.await.unwrap_err().untracked()
            });
            assert_eq!(cancel_msg(&err).as_deref(), Some("forced"));
            assert_eq!(drops.get(), 1, "the future was dropped exactly once");
        }
    });
}

/// `abort()` is tokio's semantics: no delivery, the future is dropped.
#[test]
fn abort_drops_the_future_without_delivery() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let caught = Arc::new(AtomicBool::new(false));
            let c = caught.clone();
            rt(n).block_on(async move {
                let started = event();
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    if asyncio::sleep(LONG).await.is_err() {
                        c.store(true, Ordering::SeqCst);
                    }
                });
                started.await.unwrap();
                t.abort();
                let err = t.await.unwrap_err();
                assert_eq!(cancel_msg(&err), None);
            });
            assert!(
                !caught.load(Ordering::SeqCst),
                "abort delivers nothing to the task"
            );
        }
    });
}

/// Two requests while the task waits: one delivery, the count says two.
#[test]
fn repeated_cancel_keeps_counting_and_is_delivered_once() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = event();
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    let first = asyncio::sleep(LONG).await;
                    // Caught; the next await point does not see a second delivery because
                    // both requests were made before the first delivery.
                    let second = asyncio::checkpoint().await;
                    (first.is_err(), second.is_err())
                });
                started.await.unwrap();
                assert!(t.cancel(Some("a")));
                assert!(t.cancel(Some("b")));
                assert_eq!(t.cancelling(), 2);
                let r = t.task_ref();
                assert_eq!(t.await.unwrap(), (true, false));
                assert_eq!(r.cancelling(), 2);
            });
        }
    });
}

/// `exception()` and `result()` follow asyncio: InvalidStateError while pending, the
/// CancelledError (with its message) once cancelled.
#[test]
fn test_cancel_exception_and_result_states() {
    util::deadline(|| {
        rt1().block_on(async {
            let t = asyncio::create_task(asyncio::sleep(LONG));
            assert!(t.exception().is_err(), "pending -> InvalidStateError");
            assert!(t.result().is_err(), "pending -> InvalidStateError");
            t.cancel(Some("bye"));
            let r = t.task_ref();
            let _ = t.await;
            let exc = r.exception().unwrap().unwrap();
            assert_eq!(cancel_msg(&exc).as_deref(), Some("bye"));
        });
    });
}

/// Cancel racing completion on many workers: every task ends exactly once, and
/// `cancel()` returns `false` only for tasks already done.
#[test]
fn cancel_racing_completion_ends_each_task_once() {
    util::deadline(|| {
        let rt = rt(2);
        let ended = Arc::new(AtomicUsize::new(0));
        let e = ended.clone();
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for i in 0..2000u32 {
                struct End(Arc<AtomicUsize>);
                impl Drop for End {
                    fn drop(&mut self) {
                        self.0.fetch_add(1, Ordering::SeqCst);
                    }
                }
                // Made outside the future: counted even if the task never runs.
                let end = End(e.clone());
                tasks.push(asyncio::create_task(async move {
                    let _end = end;
                    if i % 2 == 0 {
                        asyncio::sleep(Duration::ZERO).await?;
                    }
                    Ok::<_, CancelledError>(i)
                }));
            }
            let refs: Vec<_> = tasks.iter().map(|t| t.task_ref()).collect();
            let canceller = asyncio::get_running_loop().unwrap();
            let flipped = std::thread::spawn(move || {
                refs.iter().all(|t| {
                    let was_done = t.done();
                    let accepted = t.cancel(None);
                    assert!(accepted || t.done());
                    !was_done || !accepted
                })
            });
            let mut outcomes = (0, 0);
            for t in tasks {
                match t.await {
                    Ok(_) => outcomes.0 += 1,
                    Err(e) if e.is_cancelled() => outcomes.1 += 1,
                    other => panic!("{other:?}"),
                }
            }
            assert!(flipped.join().unwrap());
            assert_eq!(outcomes.0 + outcomes.1, 2000);
            drop(canceller);
        });
        assert_eq!(ended.load(Ordering::SeqCst), 2000);
    });
}
