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

// ---------------------------------------------------------------------------------------
// A pending cancel request meeting an await point (asyncio's `_must_cancel` in
// `Task.__step`). Each test mirrors a CPython 3.13 program kept above it; the trace is
// what `PYENV_VERSION=3.13.0 python script.py` printed, checked line by line on 1 worker.
// ---------------------------------------------------------------------------------------

/// Python's `e.args` of a `CancelledError`: `('msg',)` or `()`.
fn args(msg: Option<&str>) -> String {
    match msg {
        Some(m) => format!("('{m}',)"),
        None => "()".to_owned(),
    }
}

/// Python's `True` / `False`.
fn py(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// The cancellation inside an awaited future's `TaskError`.
fn future_cancelled(e: TaskError) -> CancelledError {
    task_cancelled(e)
}

/// The cancellation inside a `TaskError`.
fn task_cancelled(e: TaskError) -> CancelledError {
    match e {
        TaskError::Cancelled(c) => c,
        other => panic!("expected a cancellation, got {other:?}"),
    }
}

// Rule: the awaited future completed, the task was woken for it, and cancel() came before
// it resumed: the await raises CancelledError (the request), the value stays in the future.
//
// import asyncio
// async def main():
//     tr = []
//     fut = asyncio.get_running_loop().create_future()
//     async def waiter():
//         try:
//             tr.append(f"value {await fut}")
//         except asyncio.CancelledError as e:
//             tr.append(f"waiter cancelled {e.args}"); raise
//     t = asyncio.create_task(waiter())
//     await asyncio.sleep(0)
//     fut.set_result(1)
//     tr.append(f"cancel {t.cancel('late')}")
//     try: await t
//     except asyncio.CancelledError as e: tr.append(f"t cancelled {e.args}")
//     tr.append(f"fut.result {fut.result()} t.cancelled {t.cancelled()}")
//     print(tr)
// asyncio.run(main())
// -> ['cancel True', "waiter cancelled ('late',)", "t cancelled ('late',)",
//     'fut.result 1 t.cancelled True']
#[test]
fn cancel_after_awaited_future_completed_raises_at_the_await() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let fut = asyncio::Future::<u32>::new();
            let (f, tw) = (fut.clone(), tr.clone());
            let t = asyncio::create_task(async move {
                match f.await {
                    Ok(v) => {
                        tw.push(format!("value {v}"));
                        Ok(())
                    }
                    Err(e) => {
                        let c = future_cancelled(e);
                        tw.push(format!("waiter cancelled {}", args(c.message())));
                        Err(c)
                    }
                }
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            fut.set_result(1).unwrap();
            tr.push(format!("cancel {}", py(t.cancel(Some("late")))));
            let r = t.task_ref();
            if let Err(e) = t.await {
                tr.push(format!(
                    "t cancelled {}",
                    args(e.as_cancelled().unwrap().message())
                ));
            }
            let value = fut.result().unwrap().unwrap();
            tr.push(format!(
                "fut.result {value} t.cancelled {}",
                py(r.cancelled())
            ));
        });
        assert_eq!(
            trace.get(),
            [
                "cancel True",
                "waiter cancelled ('late',)",
                "t cancelled ('late',)",
                "fut.result 1 t.cancelled True",
            ]
        );
    });
}

// Same rule for an awaited task: its output stays in its handle (`result()` gives it).
//
// import asyncio
// async def main():
//     tr = []
//     async def inner():
//         await asyncio.sleep(0)
//         tr.append("inner returns"); return 5
//     async def outer():
//         try:
//             tr.append(f"value {await i}")
//         except asyncio.CancelledError as e:
//             tr.append(f"outer cancelled {e.args}"); raise
//     i = asyncio.create_task(inner())
//     o = asyncio.create_task(outer())
//     await asyncio.sleep(0)
//     await asyncio.sleep(0)
//     tr.append(f"inner done {i.done()}; cancel {o.cancel('late')}")
//     try: await o
//     except asyncio.CancelledError as e: tr.append(f"o cancelled {e.args}")
//     tr.append(f"i.result {i.result()} i.cancelled {i.cancelled()}")
//     print(tr)
// asyncio.run(main())
// -> ['inner returns', 'inner done True; cancel True', "outer cancelled ('late',)",
//     "o cancelled ('late',)", 'i.result 5 i.cancelled False']
#[test]
fn cancel_after_awaited_task_completed_raises_at_the_await() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let ti = tr.clone();
            let i = asyncio::create_task(async move {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                ti.push("inner returns");
                5u32
            });
            let i_ref = i.task_ref();
            // `main` keeps `i` in Python: the handle goes back once awaited.
            let slot = Arc::new(std::sync::Mutex::new(None));
            let (s, to) = (slot.clone(), tr.clone());
            let o = asyncio::create_task(async move {
                let mut i = i;
                let out = (&mut i).await;
                *s.lock().unwrap() = Some(i);
                match out {
                    Ok(v) => {
                        to.push(format!("value {v}"));
                        Ok(())
                    }
                    Err(e) => {
                        let c = task_cancelled(e);
                        to.push(format!("outer cancelled {}", args(c.message())));
                        Err(c)
                    }
                }
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            asyncio::sleep(Duration::ZERO).await.unwrap();
            tr.push(format!(
                "inner done {}; cancel {}",
                py(i_ref.done()),
                py(o.cancel(Some("late")))
            ));
            if let Err(e) = o.await {
                tr.push(format!(
                    "o cancelled {}",
                    args(e.as_cancelled().unwrap().message())
                ));
            }
            let i = slot.lock().unwrap().take().unwrap();
            let value = i.result().unwrap().unwrap();
            tr.push(format!(
                "i.result {value} i.cancelled {}",
                py(i.cancelled())
            ));
        });
        assert_eq!(
            trace.get(),
            [
                "inner returns",
                "inner done True; cancel True",
                "outer cancelled ('late',)",
                "o cancelled ('late',)",
                "i.result 5 i.cancelled False",
            ]
        );
    });
}

// Rule: the awaited future ended *cancelled* before the task resumed, and cancel() came
// meanwhile: the future's CancelledError is what the task gets, and it consumes the
// request (a task that catches it and returns ends normally).
//
// import asyncio
// async def main():
//     tr = []
//     fut = asyncio.get_running_loop().create_future()
//     async def waiter():
//         try:
//             await fut
//         except asyncio.CancelledError as e:
//             tr.append(f"waiter caught {e.args}")
//         tr.append("waiter returns"); return 7
//     t = asyncio.create_task(waiter())
//     await asyncio.sleep(0)
//     fut.cancel("inner")
//     tr.append(f"cancel {t.cancel('outer')}")
//     tr.append(f"result {await t} cancelled {t.cancelled()} cancelling {t.cancelling()}")
//     print(tr)
// asyncio.run(main())
// -> ['cancel True', "waiter caught ('inner',)", 'waiter returns',
//     'result 7 cancelled False cancelling 1']
#[test]
fn test_cancel_both_task_and_inner_future_catching() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let fut = asyncio::Future::<u32>::new();
            let (f, tw) = (fut.clone(), tr.clone());
            let t = asyncio::create_task(async move {
                if let Err(e) = f.await {
                    tw.push(format!(
                        "waiter caught {}",
                        args(future_cancelled(e).message())
                    ));
                }
                tw.push("waiter returns");
                7
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            fut.cancel(Some("inner"));
            tr.push(format!("cancel {}", py(t.cancel(Some("outer")))));
            let r = t.task_ref();
            let v = t.await.unwrap();
            tr.push(format!(
                "result {v} cancelled {} cancelling {}",
                py(r.cancelled()),
                r.cancelling()
            ));
        });
        assert_eq!(
            trace.get(),
            [
                "cancel True",
                "waiter caught ('inner',)",
                "waiter returns",
                "result 7 cancelled False cancelling 1",
            ]
        );
    });
}

// Same for an awaited task that ended cancelled; propagated, the task ends cancelled with
// the error it propagated.
//
// import asyncio
// async def main():
//     tr = []
//     async def inner():
//         await asyncio.sleep(0)
//         asyncio.current_task().cancel("inner")
//         await asyncio.sleep(0)
//     async def outer():
//         try:
//             await i
//         except asyncio.CancelledError as e:
//             tr.append(f"outer caught {e.args}"); raise
//     i = asyncio.create_task(inner())
//     o = asyncio.create_task(outer())
//     for _ in range(3):
//         await asyncio.sleep(0)
//     tr.append(f"inner cancelled {i.cancelled()}; cancel {o.cancel('outer')}")
//     try: await o
//     except asyncio.CancelledError as e: tr.append(f"o cancelled {e.args}")
//     print(tr)
// asyncio.run(main())
// -> ['inner cancelled True; cancel True', "outer caught ('inner',)", "o cancelled ('inner',)"]
#[test]
fn cancel_after_awaited_task_was_cancelled_is_consumed_by_its_cancellation() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let i = asyncio::create_task(async {
                asyncio::sleep(Duration::ZERO).await?;
                asyncio::current_task().unwrap().cancel(Some("inner"));
                asyncio::sleep(Duration::ZERO).await
            });
            let i_ref = i.task_ref();
            let to = tr.clone();
            let o = asyncio::create_task(async move {
                match i.await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let c = task_cancelled(e);
                        to.push(format!("outer caught {}", args(c.message())));
                        Err(c)
                    }
                }
            });
            for _ in 0..3 {
                asyncio::sleep(Duration::ZERO).await.unwrap();
            }
            tr.push(format!(
                "inner cancelled {}; cancel {}",
                py(i_ref.cancelled()),
                py(o.cancel(Some("outer")))
            ));
            if let Err(e) = o.await {
                tr.push(format!(
                    "o cancelled {}",
                    args(e.as_cancelled().unwrap().message())
                ));
            }
        });
        assert_eq!(
            trace.get(),
            [
                "inner cancelled True; cancel True",
                "outer caught ('inner',)",
                "o cancelled ('inner',)",
            ]
        );
    });
}

// A request the task made on itself is still pending when it awaits a task that ended
// cancelled (done: no suspension): that task's CancelledError is raised, and the request
// keeps its own message — delivered at the next await, or ending the task cancelled.
//
// import asyncio
// async def main():
//     tr = []
//     async def inner():
//         asyncio.current_task().cancel("inner")
//     async def a(i):
//         await asyncio.sleep(0)
//         asyncio.current_task().cancel("self")
//         try: await i
//         except asyncio.CancelledError as e: tr.append(f"a: await i raised {e.args}")
//         try: await asyncio.sleep(0)
//         except asyncio.CancelledError as e: tr.append(f"a: sleep(0) raised {e.args}")
//     async def b(i):
//         await asyncio.sleep(0)
//         asyncio.current_task().cancel("self")
//         try: await i
//         except asyncio.CancelledError as e: tr.append(f"b: await i raised {e.args}")
//         return "b returns"
//     i1 = asyncio.create_task(inner()); i2 = asyncio.create_task(inner())
//     ta = asyncio.create_task(a(i1)); tb = asyncio.create_task(b(i2))
//     await ta
//     try: await tb
//     except asyncio.CancelledError as e: tr.append(f"tb cancelled {e.args}")
//     print(tr)
// asyncio.run(main())
// -> ["a: await i raised ('inner',)", "b: await i raised ('inner',)",
//     "a: sleep(0) raised ('self',)", "tb cancelled ('self',)"]
#[test]
fn pending_request_keeps_its_message_past_an_awaited_cancellation() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let inner = || {
                asyncio::create_task(async {
                    asyncio::current_task().unwrap().cancel(Some("inner"));
                })
            };
            let (i1, i2) = (inner(), inner());
            let (t1, t2) = (tr.clone(), tr.clone());
            let a = asyncio::create_task(async move {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                asyncio::current_task().unwrap().cancel(Some("self"));
                if let Err(e) = i1.await {
                    t1.push(format!(
                        "a: await i raised {}",
                        args(cancel_msg(&e).as_deref())
                    ));
                }
                if let Err(e) = asyncio::sleep(Duration::ZERO).await {
                    t1.push(format!("a: sleep(0) raised {}", args(e.message())));
                }
            });
            let b = asyncio::create_task(async move {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                asyncio::current_task().unwrap().cancel(Some("self"));
                if let Err(e) = i2.await {
                    t2.push(format!(
                        "b: await i raised {}",
                        args(cancel_msg(&e).as_deref())
                    ));
                }
                "b returns"
            });
            a.await.unwrap();
            if let Err(e) = b.await {
                tr.push(format!("tb cancelled {}", args(cancel_msg(&e).as_deref())));
            }
        });
        assert_eq!(
            trace.get(),
            [
                "a: await i raised ('inner',)",
                "b: await i raised ('inner',)",
                "a: sleep(0) raised ('self',)",
                "tb cancelled ('self',)",
            ]
        );
    });
}

// Rule: an await that finds a request the task made on itself suspends for one loop
// iteration before the CancelledError is raised (asyncio's `__step` sees `_must_cancel`
// only once the coroutine yielded): tasks queued before it run first.
//
// import asyncio
// async def main():
//     tr = []
//     async def a():
//         asyncio.current_task().cancel("self")
//         tr.append("a cancels itself")
//         try: await asyncio.sleep(0)
//         except asyncio.CancelledError as e: tr.append(f"a sleep(0) raised {e.args}")
//     async def b():
//         tr.append("b runs")
//     ta = asyncio.create_task(a()); tb = asyncio.create_task(b())
//     await ta; await tb
//     print(tr)
// asyncio.run(main())
// -> ['a cancels itself', 'b runs', "a sleep(0) raised ('self',)"]
#[test]
fn test_cancel_current_task_sleep0_raises_one_iteration_later() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let (ta, tb) = (tr.clone(), tr.clone());
            let a = asyncio::create_task(async move {
                asyncio::current_task().unwrap().cancel(Some("self"));
                ta.push("a cancels itself");
                if let Err(e) = asyncio::sleep(Duration::ZERO).await {
                    ta.push(format!("a sleep(0) raised {}", args(e.message())));
                }
            });
            let b = asyncio::create_task(async move { tb.push("b runs") });
            a.await.unwrap();
            b.await.unwrap();
        });
        assert_eq!(
            trace.get(),
            ["a cancels itself", "b runs", "a sleep(0) raised ('self',)"]
        );
    });
}

// The same on a timed sleep (a future in asyncio, cancelled by `__step`).
//
// import asyncio
// async def main():
//     tr = []
//     async def a():
//         asyncio.current_task().cancel("self")
//         tr.append("a cancels itself")
//         try: await asyncio.sleep(3600)
//         except asyncio.CancelledError as e: tr.append(f"a sleep raised {e.args}")
//     async def b():
//         tr.append("b runs")
//     ta = asyncio.create_task(a()); tb = asyncio.create_task(b())
//     await ta; await tb
//     print(tr)
// asyncio.run(main())
// -> ['a cancels itself', 'b runs', "a sleep raised ('self',)"]
#[test]
fn test_cancel_current_task_sleep_raises_one_iteration_later() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        let rt = rt1();
        rt.block_on(async move {
            let (ta, tb) = (tr.clone(), tr.clone());
            let a = asyncio::create_task(async move {
                asyncio::current_task().unwrap().cancel(Some("self"));
                ta.push("a cancels itself");
                if let Err(e) = asyncio::sleep(LONG).await {
                    ta.push(format!("a sleep raised {}", args(e.message())));
                }
            });
            let b = asyncio::create_task(async move { tb.push("b runs") });
            a.await.unwrap();
            b.await.unwrap();
        });
        assert_eq!(rt.handle().live_timers(), 0, "the sleep's timer is gone");
        assert_eq!(
            trace.get(),
            ["a cancels itself", "b runs", "a sleep raised ('self',)"]
        );
    });
}

// On a pending future: `__step` cancels the future the coroutine yielded; the task is
// woken by that cancellation, one hop later.
//
// import asyncio
// async def main():
//     tr = []
//     fut = asyncio.get_running_loop().create_future()
//     async def a():
//         asyncio.current_task().cancel("self")
//         tr.append("a cancels itself")
//         try: await fut
//         except asyncio.CancelledError as e: tr.append(f"a await fut raised {e.args}")
//     async def b():
//         tr.append(f"b runs, fut.cancelled {fut.cancelled()}")
//     ta = asyncio.create_task(a()); tb = asyncio.create_task(b())
//     await ta; await tb
//     print(tr)
// asyncio.run(main())
// -> ['a cancels itself', 'b runs, fut.cancelled True', "a await fut raised ('self',)"]
#[test]
fn test_cancel_current_task_pending_future_is_cancelled_one_iteration_earlier() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let fut = asyncio::Future::<u32>::new();
            let (f, ta, tb, fb) = (fut.clone(), tr.clone(), tr.clone(), fut.clone());
            let a = asyncio::create_task(async move {
                asyncio::current_task().unwrap().cancel(Some("self"));
                ta.push("a cancels itself");
                if let Err(e) = f.await {
                    ta.push(format!(
                        "a await fut raised {}",
                        args(future_cancelled(e).message())
                    ));
                }
            });
            let b = asyncio::create_task(async move {
                tb.push(format!("b runs, fut.cancelled {}", py(fb.cancelled())))
            });
            a.await.unwrap();
            b.await.unwrap();
        });
        assert_eq!(
            trace.get(),
            [
                "a cancels itself",
                "b runs, fut.cancelled True",
                "a await fut raised ('self',)",
            ]
        );
    });
}

// On a shield: the outer future is cancelled, the awaiter raises one hop later, the
// inner task goes on.
//
// import asyncio
// async def main():
//     tr = []
//     fut = asyncio.get_running_loop().create_future()
//     async def inner():
//         await fut; tr.append("inner done"); return 1
//     async def a(i):
//         asyncio.current_task().cancel("self")
//         tr.append("a cancels itself")
//         try: await asyncio.shield(i)
//         except asyncio.CancelledError as e: tr.append(f"a shield raised {e.args}")
//     async def b():
//         tr.append("b runs")
//     i = asyncio.create_task(inner())
//     ta = asyncio.create_task(a(i)); tb = asyncio.create_task(b())
//     await ta; await tb
//     fut.set_result(None)
//     tr.append(f"inner result {await i}")
//     print(tr)
// asyncio.run(main())
// -> ['a cancels itself', 'b runs', "a shield raised ('self',)", 'inner done',
//     'inner result 1']
#[test]
fn test_cancel_current_task_shield_raises_one_iteration_later() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let fut = event();
            let (f, ti, ta, tb) = (fut.clone(), tr.clone(), tr.clone(), tr.clone());
            let i = asyncio::create_task(async move {
                f.await.unwrap();
                ti.push("inner done");
                1
            });
            // `a` hands the shielded task back (`main` keeps `i` in Python).
            #[allow(clippy::async_yields_async)]
            let a = asyncio::create_task(async move {
                asyncio::current_task().unwrap().cancel(Some("self"));
                ta.push("a cancels itself");
                let mut shield = asyncio::shield(i);
                if let Err(e) = (&mut shield).await {
                    ta.push(format!(
                        "a shield raised {}",
                        args(cancel_msg(&e).as_deref())
                    ));
                }
                shield.into_inner()
            });
            let b = asyncio::create_task(async move { tb.push("b runs") });
            let i = a.await.unwrap();
            b.await.unwrap();
            fut.set_result(()).unwrap();
            tr.push(format!("inner result {}", i.await.unwrap()));
        });
        assert_eq!(
            trace.get(),
            [
                "a cancels itself",
                "b runs",
                "a shield raised ('self',)",
                "inner done",
                "inner result 1",
            ]
        );
    });
}

// On a pending task: `__step` forwards the request to it (it is cancelled, and so is the
// future it awaits); the awaiter sees its cancellation.
//
// import asyncio
// async def main():
//     tr = []
//     fut = asyncio.get_running_loop().create_future()
//     async def nested():
//         try: await fut
//         except asyncio.CancelledError as e: tr.append(f"nested raised {e.args}"); raise
//     async def a():
//         n = asyncio.create_task(nested())
//         await asyncio.sleep(0)
//         asyncio.current_task().cancel("self")
//         tr.append("a cancels itself")
//         try: await n
//         except asyncio.CancelledError as e: tr.append(f"a await nested raised {e.args}")
//     async def b():
//         await asyncio.sleep(0)
//         tr.append("b runs")
//     ta = asyncio.create_task(a()); tb = asyncio.create_task(b())
//     await ta; await tb
//     tr.append(f"fut cancelled {fut.cancelled()}")
//     print(tr)
// asyncio.run(main())
// -> ['a cancels itself', 'b runs', "nested raised ('self',)",
//     "a await nested raised ('self',)", 'fut cancelled True']
#[test]
fn test_cancel_awaited_task() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let fut = event();
            let (f, ta, tb) = (fut.clone(), tr.clone(), tr.clone());
            let a = asyncio::create_task(async move {
                let tn = ta.clone();
                let n = asyncio::create_task(async move {
                    if let Err(e) = f.await {
                        let c = future_cancelled(e);
                        tn.push(format!("nested raised {}", args(c.message())));
                        return Err(c);
                    }
                    Ok(())
                });
                asyncio::sleep(Duration::ZERO).await.unwrap();
                asyncio::current_task().unwrap().cancel(Some("self"));
                ta.push("a cancels itself");
                if let Err(e) = n.await {
                    ta.push(format!(
                        "a await nested raised {}",
                        args(cancel_msg(&e).as_deref())
                    ));
                }
            });
            let b = asyncio::create_task(async move {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                tb.push("b runs");
            });
            a.await.unwrap();
            b.await.unwrap();
            tr.push(format!("fut cancelled {}", py(fut.cancelled())));
        });
        assert_eq!(
            trace.get(),
            [
                "a cancels itself",
                "b runs",
                "nested raised ('self',)",
                "a await nested raised ('self',)",
                "fut cancelled True",
            ]
        );
    });
}

/// Counts the polls of a future (the steps of the task that runs it).
struct CountPolls<F> {
    inner: std::pin::Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: std::future::Future> std::future::Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

// Rule: `cancel()` on the running task only records the request; it schedules nothing.
// Withdrawn at once with `uncancel()`, it leaves no trace: `a` runs two steps, as
// asyncio's `__step` does (one up to `await fut`, one when `fut` is set).
//
// import asyncio
// async def main():
//     tr = []
//     fut = asyncio.get_running_loop().create_future()
//     async def a():
//         t = asyncio.current_task()
//         t.cancel("self"); tr.append(f"uncancel {t.uncancel()}")
//         tr.append(f"value {await fut}")
//     async def b():
//         await asyncio.sleep(0)
//         tr.append("b sets"); fut.set_result(1)
//     ta = asyncio.create_task(a()); tb = asyncio.create_task(b())
//     await ta; await tb
//     print(tr)
// asyncio.run(main())
// -> ['uncancel 0', 'b sets', 'value 1']
#[test]
fn cancel_of_the_running_task_schedules_nothing() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        rt1().block_on(async move {
            let fut = asyncio::Future::<u32>::new();
            let (f, fb, ta, tb) = (fut.clone(), fut.clone(), tr.clone(), tr.clone());
            let a = asyncio::create_task(CountPolls {
                inner: Box::pin(async move {
                    let me = asyncio::current_task().unwrap();
                    me.cancel(Some("self"));
                    ta.push(format!("uncancel {}", me.uncancel()));
                    ta.push(format!("value {}", f.await.unwrap()));
                }),
                polls: p,
            });
            let b = asyncio::create_task(async move {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                tb.push("b sets");
                fb.set_result(1).unwrap();
            });
            a.await.unwrap();
            b.await.unwrap();
        });
        assert_eq!(trace.get(), ["uncancel 0", "b sets", "value 1"]);
        assert_eq!(polls.load(Ordering::SeqCst), 2, "a spurious step of `a`");
    });
}

/// A first `cancel()` without a message, on a task that has used none of its asyncio
/// fields (it sleeps: no waiter), is counted in the task's state word instead
/// (docs/design.md §3.2). It must count like any other request: `cancelling()` sees it at
/// once, a second request adds to it, `uncancel()` takes both back and the task, never
/// asked, returns its value (one worker: nothing runs between the calls). CPython 3.13:
///
/// ```python
/// t = asyncio.create_task(body())        # sleeps 1 ms, returns 7
/// print(t.cancel(), t.cancelling())      # True 1
/// print(t.cancel("second"), t.cancelling())  # True 2
/// print(t.uncancel(), t.uncancel())      # 1 0
/// print(await t)                         # 7
/// ```
#[test]
fn first_request_without_message_counts_like_any_other() {
    util::deadline(|| {
        rt1().block_on(async {
            let t = asyncio::create_task(async {
                asyncio::sleep(Duration::from_millis(1)).await.map(|()| 7)
            });
            assert!(t.cancel(None));
            assert_eq!(t.cancelling(), 1);
            assert!(t.cancel(Some("second")));
            assert_eq!(t.cancelling(), 2);
            assert_eq!((t.uncancel(), t.uncancel()), (1, 0));
            assert_eq!(t.await.unwrap(), 7);
        });
    });
}

/// The same request delivered, on one worker and two: the sleeping task ends cancelled
/// with no message, `cancelling()` stays 1, and a request to the done task is refused
/// (CPython 3.13: `True 1`, then `cancelled () 1 False`).
#[test]
fn first_request_without_message_is_delivered() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(asyncio::sleep(LONG));
                let r = t.task_ref();
                asyncio::sleep(Duration::ZERO).await.unwrap();
                assert!(t.cancel(None));
                assert_eq!(t.cancelling(), 1);
                let e = t.await.unwrap_err();
                assert_eq!(e.as_cancelled().unwrap().message(), None);
                assert_eq!(r.cancelling(), 1);
                assert!(!r.cancel(None), "a done task refuses");
            });
        }
    });
}
