//! `wait_for` (docs/design.md §4.4, 3.12+ semantics on top of `timeout`): on expiry the awaited
//! task is cancelled and waited for, then `TimeoutError`; a value produced meanwhile
//! (the inner future caught the cancellation, or finished in a race) wins; a
//! cancellation of the awaiting task is not turned into a timeout and cancels the inner
//! task; zero and `None` timeouts; `wait_for` around `shield`.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_waitfor.py`.

mod util;

use asyncio::test_util::HandleTestExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asyncio::{CancelledError, TaskError, TaskRef, TimeoutError, ALL_COMPLETED};
use util::{rt, rt1, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);
/// A very small timeout: passes "timeout > 0" but has almost no effect.
const EPSILON: Duration = Duration::from_micros(100);

fn event<T: Send + 'static>() -> asyncio::Future<T> {
    asyncio::Future::new()
}

async fn all_done(tasks: &[TaskRef]) {
    asyncio::wait(tasks.to_vec(), None, ALL_COMPLETED)
        .await
        .unwrap();
}

/// A flag set when dropped: Python's `finally: running = False`.
struct Finally(Arc<AtomicBool>);

impl Drop for Finally {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// CPython's `SlowTask`: runs for `TASK_TIMEOUT`, ignoring cancel requests.
#[derive(Clone, Default)]
struct SlowTask {
    exited: Arc<AtomicBool>,
}

impl SlowTask {
    const TASK_TIMEOUT: Duration = Duration::from_millis(40);

    async fn run(self, started: Option<asyncio::Future<()>>) {
        let exit_at = Instant::now() + Self::TASK_TIMEOUT;
        if let Some(s) = started {
            s.set_result(()).unwrap();
        }
        loop {
            let now = Instant::now();
            if now >= exit_at {
                break;
            }
            // except CancelledError: pass
            let _ = asyncio::sleep(exit_at - now).await;
        }
        self.exited.store(true, Ordering::SeqCst);
    }
}

// waitfortask = create_task(wait_for(t.run(), t.TASK_TIMEOUT * 2)); await sleep(0)
// waitfortask.cancel(); await wait({waitfortask}) -> t.exited
#[test]
fn test_asyncio_wait_for_cancelled() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = SlowTask::default();
                let started = event::<()>();
                let wft = asyncio::create_task(asyncio::wait_for(
                    t.clone().run(Some(started.clone())),
                    Some(SlowTask::TASK_TIMEOUT * 2),
                ));
                started.await.unwrap();
                wft.cancel(None);
                let r = wft.task_ref();
                all_done(std::slice::from_ref(&r)).await;
                assert!(t.exited.load(Ordering::SeqCst));
                assert!(!r.cancelled(), "the body swallowed the cancellation");
            });
        }
    });
}

// try: await wait_for(t.run(), t.TASK_TIMEOUT / 2) except TimeoutError: pass
// -> t.exited (and, 3.12+: the body returned normally, so no TimeoutError)
#[test]
fn test_asyncio_wait_for_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = SlowTask::default();
                let r =
                    asyncio::wait_for(t.clone().run(None), Some(SlowTask::TASK_TIMEOUT / 2)).await;
                assert!(t.exited.load(Ordering::SeqCst));
                assert_eq!(
                    r,
                    Ok(()),
                    "the body caught the cancellation: its result wins"
                );
                let me = asyncio::current_task().unwrap();
                assert_eq!(me.cancelling(), 0);
                asyncio::sleep(Duration::ZERO)
                    .await
                    .expect("no cancellation left over");
            });
        }
    });
}

// fut = create_future(); fut.set_result('done'); await wait_for(fut, 0) -> 'done'
#[test]
fn test_wait_for_timeout_less_then_0_or_0_future_done() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = event::<&str>();
                fut.set_result("done").unwrap();
                let r = asyncio::wait_for(fut.clone(), Some(Duration::ZERO)).await;
                assert_eq!(r.unwrap().unwrap(), "done");
                assert!(fut.done());
                // The same with a done task.
                let t = asyncio::create_task(async { "done" });
                all_done(&[t.task_ref()]).await;
                let r = asyncio::wait_for(t, Some(Duration::ZERO)).await;
                assert_eq!(r.unwrap().unwrap(), "done");
            });
        }
    });
}

// async def foo(): foo_started = True
// with assertRaises(TimeoutError): await wait_for(foo(), 0)  -> foo_started is False
//
// asyncio 3.12+ wraps the coroutine in a task and cancels it before its first step, so it
// never starts. Here a plain future is the coroutine (a task and an `asyncio::Future` are
// not plain futures, see src/compose/awaitable.rs): it is dropped unpolled.
//
// import asyncio
// async def main():
//     q = asyncio.Queue(); q.put_nowait(1)
//     try: print(await asyncio.wait_for(q.get(), 0))
//     except TimeoutError as e: print('TimeoutError', q.qsize(), repr(e.__cause__))
// asyncio.run(main())
// -> TimeoutError 1 CancelledError()
#[test]
fn test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                // A queue's get() with an item ready: never started, the item stays.
                let q = asyncio::Queue::new(0);
                q.put_nowait(1).unwrap();
                let r = asyncio::wait_for(q.get(), Some(Duration::ZERO)).await;
                let e = r.expect_err("TimeoutError");
                assert_eq!(q.qsize(), 1, "get() took nothing");
                assert_eq!(e.cancelled_error(), Some(&CancelledError::new(None)));

                // A lock free to take: not taken.
                let lock = asyncio::Lock::new();
                let r = asyncio::wait_for(lock.acquire(), Some(Duration::ZERO)).await;
                assert!(r.is_err());
                assert!(!lock.locked());

                // foo(): the body's first await point receives the cancellation, the rest
                // never runs.
                let reached = Arc::new(AtomicBool::new(false));
                let re = reached.clone();
                let r = asyncio::wait_for(
                    async move {
                        asyncio::sleep(LONG).await?;
                        re.store(true, Ordering::SeqCst);
                        Ok::<_, CancelledError>(())
                    },
                    Some(Duration::ZERO),
                )
                .await;
                assert_eq!(r, Err(TimeoutError::new()));
                assert!(!reached.load(Ordering::SeqCst));

                // A body without any await point does not run either.
                let started = Arc::new(AtomicBool::new(false));
                let s = started.clone();
                let r = asyncio::wait_for(
                    async move { s.store(true, Ordering::SeqCst) },
                    Some(Duration::ZERO),
                )
                .await;
                let e = r.expect_err("TimeoutError");
                assert_eq!(e.cancelled_error(), Some(&CancelledError::new(None)));
                assert!(
                    !started.load(Ordering::SeqCst),
                    "the coroutine never started"
                );

                // Nothing is left pending for the task's next await point.
                let me = asyncio::current_task().unwrap();
                assert_eq!(me.cancelling(), 0);
                asyncio::sleep(Duration::ZERO)
                    .await
                    .expect("no cancellation left over");
            });
        }
    });
}

// import asyncio
// async def main():
//     loop = asyncio.get_running_loop()
//     f = loop.create_future(); f.set_exception(ValueError('x'))
//     try: await asyncio.wait_for(f, 0)
//     except ValueError as e: print('done fut exc', repr(e))
//     f = loop.create_future(); f.cancel('m')
//     try: await asyncio.wait_for(f, 0)
//     except asyncio.CancelledError as e: print('cancelled fut', repr(e))
//     async def catcher():
//         try: await asyncio.sleep(10)
//         except asyncio.CancelledError: return 42
//     t = asyncio.create_task(catcher()); await asyncio.sleep(0)
//     print('catcher', await asyncio.wait_for(t, 0))
//     t = asyncio.create_task(catcher())
//     try: await asyncio.wait_for(t, 0)
//     except TimeoutError: print('unstarted task -> TimeoutError', t.cancelled())
// asyncio.run(main())
// -> done fut exc ValueError('x') / cancelled fut CancelledError('m') / catcher 42 /
//    unstarted task -> TimeoutError True
//
// (The timeout <= 0 path: `if fut.done(): return fut.result()`, else cancel and wait, then
// the task's result, or `TimeoutError from` its CancelledError.)
#[test]
fn test_wait_for_timeout_less_then_0_or_0_done_or_pending_outcomes() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async move {
                let me = asyncio::current_task().unwrap();
                // A done future with an exception: the exception.
                let f = event::<()>();
                f.set_exception(std::io::Error::other("x")).unwrap();
                match asyncio::wait_for(f, Some(Duration::ZERO)).await {
                    Ok(Err(TaskError::Exception(e))) => assert_eq!(e.to_string(), "x"),
                    other => panic!("expected ValueError('x'), got {other:?}"),
                }

                // A cancelled future: its CancelledError, not a TimeoutError.
                let f = event::<()>();
                f.cancel(Some("m"));
                match asyncio::wait_for(f, Some(Duration::ZERO)).await {
                    Ok(Err(TaskError::Cancelled(c))) => {
                        assert_eq!(c.message(), Some("m"));
                        assert!(c.is_tracked(), "it propagates: CancelledError('m')");
                    }
                    other => panic!("expected CancelledError('m'), got {other:?}"),
                }
                assert_eq!(me.cancelling(), 0);

                // A started task that catches the cancellation: its value.
                let started = event::<()>();
                let s = started.clone();
                let catcher = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    match asyncio::sleep(Duration::from_secs(10)).await {
                        Ok(()) => 0,
                        Err(_) => 42,
                    }
                });
                started.await.unwrap();
                let r = asyncio::wait_for(catcher, Some(Duration::ZERO)).await;
                assert_eq!(r.unwrap().unwrap(), 42);

                if n > 1 {
                    // Another worker may start a new task at once: the rest is about
                    // asyncio's order.
                    return;
                }
                // A task not started yet: cancelled before its first step, TimeoutError.
                let ran = Arc::new(AtomicBool::new(false));
                let r2 = ran.clone();
                let t = asyncio::create_task(async move {
                    r2.store(true, Ordering::SeqCst);
                    asyncio::sleep(Duration::from_secs(10)).await
                });
                let t_ref = t.task_ref();
                let e = asyncio::wait_for(t, Some(Duration::ZERO))
                    .await
                    .expect_err("TimeoutError");
                assert!(t_ref.cancelled());
                assert!(!ran.load(Ordering::SeqCst), "never started");
                assert!(e.cancelled_error().is_some(), "raise TimeoutError from exc");
                assert_eq!(me.cancelling(), 0);
                asyncio::sleep(Duration::ZERO)
                    .await
                    .expect("no cancellation left over");
            });
        }
    });
}

/// `foo()` of `test_wait_for_timeout_less_then_0_or_0` / `test_wait_for`.
fn foo_task(
    started: &asyncio::Future<()>,
    running: &Arc<AtomicBool>,
) -> asyncio::Task<&'static str> {
    let (s, r) = (started.clone(), running.clone());
    asyncio::create_task(async move {
        r.store(true, Ordering::SeqCst);
        let _finally = Finally(r);
        s.set_result(()).unwrap();
        asyncio::sleep(LONG).await?;
        Ok::<_, CancelledError>("done")
    })
}

// for timeout in [0, -1]: fut = create_task(foo()); await started
// with assertRaises(TimeoutError): await wait_for(fut, timeout)
// -> fut.done(), fut.cancelled(), foo_running is False
#[test]
fn test_wait_for_timeout_less_then_0_or_0() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            for past in [false, true] {
                rt(n).block_on(async move {
                    let started = event::<()>();
                    let running = Arc::new(AtomicBool::new(false));
                    let fut = foo_task(&started, &running);
                    let fut_ref = fut.task_ref();
                    started.await.unwrap();
                    let r = if past {
                        let when = Instant::now() - Duration::from_secs(1);
                        asyncio::timeout_at(when).run(fut).await
                    } else {
                        asyncio::wait_for(fut, Some(Duration::ZERO)).await
                    };
                    assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                    assert!(fut_ref.done() && fut_ref.cancelled());
                    assert!(!running.load(Ordering::SeqCst), "its cleanup ran");
                });
            }
        }
    });
}

// fut = create_task(foo()); with assertRaises(TimeoutError): await wait_for(fut, 0.1)
// -> fut.done(), fut.cancelled(), foo_running is False
#[test]
fn test_wait_for() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let started = event::<()>();
                let running = Arc::new(AtomicBool::new(false));
                let fut = foo_task(&started, &running);
                let fut_ref = fut.task_ref();
                let r = asyncio::wait_for(fut, Some(Duration::from_millis(10))).await;
                assert_eq!(r.as_ref().map(|_| ()), Err(&TimeoutError::new()));
                // raise TimeoutError from exc: the task's CancelledError, untracked.
                let cause = r.unwrap_err().cancelled_error().cloned().expect("a cause");
                assert!(!cause.is_tracked());
                assert!(fut_ref.done() && fut_ref.cancelled());
                assert!(!running.load(Ordering::SeqCst));
                assert_eq!(asyncio::current_task().unwrap().cancelling(), 0);
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// res = await wait_for(coro(), timeout=None) -> 'done'
#[test]
fn test_wait_for_blocking() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let r = asyncio::wait_for(async { "done" }, None).await;
                assert_eq!(r, Ok("done"));
            });
        }
    });
}

// fut = create_future(); task = wait_for(fut, timeout=0.2)
// loop.call_soon(fut.set_result, "ok"); await task -> "ok"
#[test]
fn test_wait_for_race_condition() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = event::<&str>();
                let f = fut.clone();
                asyncio::call_soon(move || f.set_result("ok").unwrap());
                let r = asyncio::wait_for(fut, Some(Duration::from_millis(200))).await;
                assert_eq!(r.unwrap().unwrap(), "ok");
            });
        }
    });
}

// async def inner():
//     with assertRaises(CancelledError): await asyncio.sleep(1)
//     return 1
// await wait_for(inner(), timeout=.01) -> 1
#[test]
fn test_wait_for_cancellation_race_condition() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let inner = async {
                    assert!(asyncio::sleep(Duration::from_secs(1)).await.is_err());
                    1
                };
                let r = asyncio::wait_for(inner, Some(Duration::from_millis(10))).await;
                assert_eq!(r, Ok(1));
            });
        }
    });
}

/// `inner()` of the `waits_for_task_cancellation` tests: on cancellation it sleeps
/// `EPSILON` before re-raising; `task_done` is its `finally`.
fn slow_to_cancel(task_done: &Arc<AtomicBool>, started: &asyncio::Future<()>) -> asyncio::Task<()> {
    let (d, s) = (task_done.clone(), started.clone());
    asyncio::create_task(async move {
        s.set_result(()).unwrap();
        let r = match asyncio::sleep(Duration::from_secs(10)).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = asyncio::sleep(EPSILON).await;
                Err(e)
            }
        };
        d.store(true, Ordering::SeqCst);
        r
    })
}

// inner: try: await sleep(10) except CancelledError: await sleep(_EPSILON); raise
//        finally: task_done = True
// with assertRaises(TimeoutError): await wait_for(inner_task, timeout=_EPSILON)
// -> task_done
#[test]
fn test_wait_for_waits_for_task_cancellation() {
    util::deadline(|| {
        for timeout in [EPSILON, Duration::ZERO] {
            for n in WORKER_COUNTS {
                rt(n).block_on(async move {
                    let task_done = Arc::new(AtomicBool::new(false));
                    let started = event::<()>();
                    let inner = slow_to_cancel(&task_done, &started);
                    let inner_ref = inner.task_ref();
                    started.await.unwrap();
                    let r = asyncio::wait_for(inner, Some(timeout)).await;
                    assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                    assert!(
                        task_done.load(Ordering::SeqCst),
                        "waited for the cancellation"
                    );
                    assert!(inner_ref.cancelled());
                });
            }
        }
    });
}

// The `_w_timeout_0` variant: the wait_for runs inside another coroutine.
// async def foo(): inner_task = create_task(inner()); await sleep(_EPSILON)
//                  await wait_for(inner_task, timeout=0)
// with assertRaises(TimeoutError): await foo()  -> task_done
#[test]
fn test_wait_for_waits_for_task_cancellation_w_timeout_0() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let task_done = Arc::new(AtomicBool::new(false));
                let d = task_done.clone();
                let foo = asyncio::create_task(async move {
                    let started = event::<()>();
                    let inner = slow_to_cancel(&d, &started);
                    asyncio::sleep(EPSILON).await.unwrap();
                    started.await.unwrap();
                    asyncio::wait_for(inner, Some(Duration::ZERO))
                        .await
                        .map(|_| ())
                });
                let err = foo.await.unwrap_err();
                assert!(err.downcast_ref::<TimeoutError>().is_some(), "{err:?}");
                assert!(task_done.load(Ordering::SeqCst));
            });
        }
    });
}

// async def inner(): try: await sleep(0.2) finally: raise FooException
// await wait_for(inner_task, timeout=_EPSILON) -> FooException
#[test]
fn test_wait_for_reraises_exception_during_cancellation() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = event::<()>();
                let s = started.clone();
                let inner = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    let _ = asyncio::sleep(Duration::from_millis(200)).await;
                    if true {
                        panic!("FooException");
                    }
                });
                started.await.unwrap();
                let r: Result<Result<(), TaskError>, TimeoutError> =
                    asyncio::wait_for(inner, Some(EPSILON)).await;
                match r {
                    Ok(Err(TaskError::Panicked(p))) => assert_eq!(p.message(), "FooException"),
                    other => panic!("expected FooException, got {other:?}"),
                }
            });
        }
    });
}

// import asyncio
// async def main():
//     loop = asyncio.get_running_loop()
//     for timeout in (None, 60.0):
//         async def blocking():
//             await loop.create_future()
//         task = asyncio.create_task(blocking())
//         wait = asyncio.create_task(asyncio.wait_for(task, timeout))
//         loop.call_soon(wait.cancel)
//         try: await wait
//         except asyncio.CancelledError: print("wait cancelled", task.cancelled())
// asyncio.run(main())
// -> wait cancelled True / wait cancelled True   (issue #23219)
#[test]
fn test_cancel_wait_for() {
    util::deadline(|| {
        for timeout in [None, Some(Duration::from_secs(60))] {
            let rt = rt1();
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let task = asyncio::create_task(async {
                    event::<()>().await?;
                    Ok::<_, TaskError>(())
                });
                let task_ref = task.task_ref();
                let wait = asyncio::create_task(async move {
                    let r = asyncio::wait_for(task, timeout).await;
                    r.expect("not a timeout")?;
                    Ok::<_, TaskError>(())
                });
                let w = wait.task_ref();
                asyncio::call_soon(move || {
                    w.cancel(None);
                });
                assert!(wait.await.unwrap_err().is_cancelled(), "wait cancelled");
                assert!(
                    task_ref.cancelled(),
                    "cancelling the wait_for cancels the task"
                );
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// async def return_42():
//     try: await asyncio.sleep(10)
//     except asyncio.CancelledError: return 42
// res = await wait_for(return_42(), timeout=0.1) -> 42
#[test]
fn test_wait_for_cancel_suppressed() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let return_42 = async {
                    match asyncio::sleep(Duration::from_secs(10)).await {
                        Ok(()) => 0,
                        Err(_) => 42,
                    }
                };
                let r = asyncio::wait_for(return_42, Some(Duration::from_millis(10))).await;
                assert_eq!(r, Ok(42));
                assert_eq!(asyncio::current_task().unwrap().cancelling(), 0);
            });
        }
    });
}

// inner_task = create_task(inner())  (returns 'done' at once)
// async def wait_for_coro(): await wait_for(inner_task, timeout=100); await sleep(1)
//                            reached_end = True
// task = create_task(wait_for_coro()); await sleep(0); task.cancel()
// -> CancelledError; inner_task.done(); await inner_task == 'done'; not reached_end
#[test]
fn test_wait_for_issue86296() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let inner = asyncio::create_task(async { "done" });
                let inner_ref = inner.task_ref();
                let reached_end = Arc::new(AtomicBool::new(false));
                let after_wait_for = event::<()>();
                let (re, a) = (reached_end.clone(), after_wait_for.clone());
                let task = asyncio::create_task(async move {
                    let v = asyncio::wait_for(inner, Some(Duration::from_secs(100))).await;
                    assert_eq!(v.unwrap().unwrap(), "done");
                    a.set_result(()).unwrap();
                    asyncio::sleep(Duration::from_secs(1)).await?;
                    re.store(true, Ordering::SeqCst);
                    Ok::<_, CancelledError>(())
                });
                after_wait_for.await.unwrap();
                task.cancel(None);
                assert!(task.await.unwrap_err().is_cancelled());
                assert!(inner_ref.done() && !inner_ref.cancelled());
                assert!(!reached_end.load(Ordering::SeqCst));
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// task = create_task(coro())  (sleeps 0.01, returns 'done')
// with assertRaises(TimeoutError): await wait_for(shield(task), timeout=0)
// -> task not done, not cancelled; later done
#[test]
fn test_zero_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let gate = event::<()>();
                let g = gate.clone();
                let task = asyncio::create_task(async move {
                    g.await?;
                    Ok::<_, TaskError>("done")
                });
                let task_ref = task.task_ref();
                let r = asyncio::wait_for(asyncio::shield(task), Some(Duration::ZERO)).await;
                assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                assert!(!task_ref.done() && !task_ref.cancelled());
                assert_eq!(task_ref.cancelling(), 0);
                gate.set_result(()).unwrap();
                all_done(std::slice::from_ref(&task_ref)).await;
                assert!(!task_ref.cancelled());
            });
        }
    });
}

// task = create_task(coro()); await wait_for(shield(task), timeout=None)
// -> task.done(); await task == "done"
#[test]
fn test_none_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let task = asyncio::create_task(async {
                    asyncio::sleep(Duration::from_millis(5)).await?;
                    Ok::<_, CancelledError>("done")
                });
                let r = asyncio::wait_for(asyncio::shield(task), None).await;
                assert_eq!(r.unwrap().unwrap(), "done");
            });
        }
    });
}

// with assertRaises(TimeoutError): await wait_for(shield(task), timeout=0.01)
// -> task not done, not cancelled; await task == "done"
#[test]
fn test_shielded_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let gate = event::<()>();
                let g = gate.clone();
                let task = asyncio::create_task(async move {
                    g.await?;
                    Ok::<_, TaskError>("done")
                });
                let task_ref = task.task_ref();
                let r =
                    asyncio::wait_for(asyncio::shield(task), Some(Duration::from_millis(10))).await;
                assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                assert!(!task_ref.done() && !task_ref.cancelled());
                gate.set_result(()).unwrap();
                all_done(std::slice::from_ref(&task_ref)).await;
                assert!(
                    task_ref.exception().unwrap().is_none(),
                    "await task == 'done'"
                );
            });
        }
    });
}
