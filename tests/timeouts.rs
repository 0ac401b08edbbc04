//! `timeout` / `timeout_at` scopes (docs/design.md §4.4): on expiry the enclosing task is
//! cancelled and *that* cancellation becomes `TimeoutError` at the scope's exit; nested
//! scopes convert only their own; an outer cancellation is never converted; a body that
//! catches the cancellation returns its value; `reschedule`, `when`, `expired`;
//! `timeout_at`; a foreign never-ready body still times out; a `TaskGroup` inside keeps
//! its exception group; and a leak test: 100k scopes that time out and 100k that do not
//! leave no timer and no completion hook behind.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_timeouts.py`.

mod util;

use asyncio::test_util::{HandleTestExt, TaskRefTestExt};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use asyncio::{
    CancelledError, TaskGroup, TaskGroupError, TaskRef, TimeoutError, ALL_COMPLETED,
    FIRST_COMPLETED,
};
use util::{rt, rt1, Foreign, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

fn event<T: Send + 'static>() -> asyncio::Future<T> {
    asyncio::Future::new()
}

/// `async with timeout(0.01) as cm: await asyncio.sleep(10)` -> TimeoutError; cm.expired()
#[test]
fn test_timeout_basic() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::timeout(Some(Duration::from_millis(10)));
                let cm = t.handle();
                let r = t
                    .run(async {
                        asyncio::sleep(Duration::from_secs(10)).await?;
                        Ok::<_, CancelledError>(())
                    })
                    .await;
                assert_eq!(r, Err(TimeoutError::new()));
                assert!(cm.expired());
                let me = asyncio::current_task().unwrap();
                assert_eq!(me.cancelling(), 0);
                assert!(!me.cancelled());
            });
        }
    });
}

// deadline = loop.time() + 0.01; async with timeout_at(deadline) as cm: sleep(10)
// -> TimeoutError; cm.expired(); cm.when() == deadline
//
// `when()` is exactly the deadline given (seconds on the time() scale), and `deadline()`
// exactly the `Instant` given.
#[test]
fn test_timeout_at_basic() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let deadline = asyncio::time() + 0.01;
                let t = asyncio::timeout_at(deadline);
                let cm = t.handle();
                assert_eq!(cm.when(), Some(deadline), "before the scope is entered");
                let r = t.run(asyncio::sleep(Duration::from_secs(10))).await;
                assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                assert!(cm.expired());
                assert_eq!(cm.when(), Some(deadline));
                assert!(deadline <= asyncio::time(), "did not fire early");

                let deadline = Instant::now() + Duration::from_millis(10);
                let t = asyncio::timeout_at(deadline);
                let cm = t.handle();
                let r = t.run(asyncio::sleep(Duration::from_secs(10))).await;
                assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                assert!(cm.expired());
                assert_eq!(cm.deadline(), Some(deadline));
                let when = cm.when().expect("a deadline");
                assert!(when <= asyncio::time(), "when() is on the time() scale");
            });
        }
    });
}

// with assertRaises(TimeoutError) as cm:
//     async with asyncio.timeout(0.01):
//         try: 1/0
//         finally: await asyncio.sleep(1)
// e2 = cm.exception.__cause__ -> a CancelledError; e.__context__ is e2; e2.__cause__ is None
//
// import asyncio
// async def main():
//     async def body():
//         async with asyncio.timeout(0.01): await asyncio.sleep(1)
//     t = asyncio.create_task(body())
//     try: await t
//     except TimeoutError as e:
//         print(repr(e.__cause__), e.__cause__.__cause__, t.cancelled())
//     for d in (0.01, 0):
//         try: await asyncio.wait_for(asyncio.sleep(1), d)
//         except TimeoutError as e: print(d, repr(e.__cause__))
// asyncio.run(main())
// -> CancelledError() None False / 0.01 CancelledError() / 0 CancelledError()
//
// (Rust has no exception context: a panic cannot be "handled" while an await runs; the
// cause is what is mirrored.) The `TimeoutError` of every scope that converted has the
// `CancelledError` it replaced as its `source()`, untracked: a task that raises it ends
// with that error as its exception, not cancelled.
#[test]
fn test_timeout_exception_context() {
    use std::error::Error;
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    asyncio::timeout(Some(Duration::from_millis(10)))
                        .run(async {
                            asyncio::sleep(Duration::from_secs(1)).await?;
                            Ok::<_, CancelledError>(())
                        })
                        .await
                });
                let t_ref = t.task_ref();
                let err = t.await.expect_err("TimeoutError");
                assert!(
                    !t_ref.cancelled(),
                    "an untracked cause does not cancel the task"
                );
                let e = err.downcast_ref::<TimeoutError>().expect("a TimeoutError");
                let cause = e.source().expect("raise TimeoutError from exc");
                let cancelled = cause
                    .downcast_ref::<CancelledError>()
                    .expect("a CancelledError");
                assert_eq!(cancelled.message(), None);
                assert!(!cancelled.is_tracked());
                assert!(cause.source().is_none());
                assert_eq!(e.cancelled_error(), Some(cancelled));

                for d in [Duration::from_millis(10), Duration::ZERO] {
                    let e = asyncio::wait_for(asyncio::sleep(Duration::from_secs(1)), Some(d))
                        .await
                        .expect_err("TimeoutError");
                    let c = e.cancelled_error().expect("raise TimeoutError from exc");
                    assert!(!c.is_tracked());
                }

                // A TimeoutError that replaced nothing has no source.
                assert!(TimeoutError::new().source().is_none());
                // A foreign body the scope took its own cancellation back from: the same.
                let e = asyncio::timeout(Some(Duration::from_millis(5)))
                    .run(Foreign)
                    .await
                    .expect_err("TimeoutError");
                assert!(e.cancelled_error().is_some());
            });
        }
    });
}

// import asyncio
// async def main():
//     loop = asyncio.get_running_loop(); cancelled = False
//     deadline = loop.time() + 0.01
//     try:
//         async with asyncio.timeout_at(deadline) as cm1:
//             try:
//                 async with asyncio.timeout_at(deadline) as cm2:
//                     await asyncio.sleep(10)
//             except asyncio.CancelledError:
//                 cancelled = True; raise
//     except TimeoutError: print("outer TimeoutError")
//     print(cancelled, cm1.expired(), cm2.expired(), asyncio.current_task().cancelling())
// asyncio.run(main())
// -> outer TimeoutError / True True True 0
#[test]
fn test_nested_timeouts() {
    util::deadline(|| {
        rt1().block_on(async {
            let deadline = Instant::now() + Duration::from_millis(10);
            let cancelled = Arc::new(AtomicBool::new(false));
            let t1 = asyncio::timeout_at(deadline);
            let t2 = asyncio::timeout_at(deadline);
            let (cm1, cm2) = (t1.handle(), t2.handle());
            let c = cancelled.clone();
            let r = t1
                .run(async move {
                    match t2.run(asyncio::sleep(Duration::from_secs(10))).await {
                        Ok(Err(e)) => {
                            c.store(true, Ordering::SeqCst);
                            Err(e)
                        }
                        Ok(Ok(())) => Ok("slept"),
                        Err(TimeoutError { .. }) => Ok("the inner scope converted"),
                    }
                })
                .await;
            assert_eq!(r, Err(TimeoutError::new()), "only the topmost scope raises");
            assert!(cancelled.load(Ordering::SeqCst));
            assert!(cm1.expired() && cm2.expired());
            assert_eq!(asyncio::current_task().unwrap().cancelling(), 0);
        });
    });
}

// async with timeout(0.01):
//     try: await sleep(10) except CancelledError: cancelled = True; raise
// -> TimeoutError; cancelled
#[test]
fn test_waiter_cancelled() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let mut cancelled = false;
                let r = asyncio::timeout(Some(Duration::from_millis(10)))
                    .run(async {
                        if let Err(e) = asyncio::sleep(Duration::from_secs(10)).await {
                            cancelled = true;
                            return Err(e);
                        }
                        Ok(())
                    })
                    .await;
                assert_eq!(r, Err(TimeoutError::new()));
                assert!(cancelled);
            });
        }
    });
}

// async with timeout(10) as cm: await sleep(0.01)
// -> not cm.expired(); cm.when() > loop.time()
#[test]
fn test_timeout_not_called() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let t = asyncio::timeout(Some(Duration::from_secs(10)));
                let cm = t.handle();
                let r = t.run(asyncio::sleep(Duration::from_millis(5))).await;
                assert_eq!(r, Ok(Ok(())));
                let t1 = asyncio::time();
                assert!(!cm.expired());
                assert!(cm.when().unwrap() > t1);
                assert_eq!(handle.live_timers(), 0, "the scope's timer is cancelled");
            });
        }
    });
}

// async with timeout(None) as cm / timeout_at(None) as cm: await sleep(0.01)
// -> not cm.expired(); cm.when() is None
#[test]
fn test_timeout_disabled() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                for t in [asyncio::timeout(None), asyncio::timeout(None)] {
                    let cm = t.handle();
                    let r = t.run(asyncio::sleep(Duration::from_millis(5))).await;
                    assert_eq!(r, Ok(Ok(())));
                    assert!(!cm.expired());
                    assert_eq!(cm.when(), None);
                    assert_eq!(cm.deadline(), None);
                }
            });
        }
    });
}

// t0 = loop.time(); async with timeout(0) as cm: await sleep(10)
// -> TimeoutError; cm.expired(); t0 <= cm.when() <= t1
#[test]
fn test_timeout_zero() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t0 = asyncio::time();
                let t = asyncio::timeout(Some(Duration::ZERO));
                let cm = t.handle();
                let r = t.run(asyncio::sleep(Duration::from_secs(10))).await;
                let t1 = asyncio::time();
                assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                assert!(cm.expired());
                let when = cm.when().unwrap();
                assert!(t0 <= when && when <= t1, "{t0} <= {when} <= {t1}");
            });
        }
    });
}

// import asyncio
// async def main():
//     for d in (0, -11):
//         try:
//             async with asyncio.timeout(d) as cm:
//                 await asyncio.sleep(0)
//             print("no timeout")
//         except TimeoutError: print("TimeoutError", cm.expired())
// asyncio.run(main())
// -> TimeoutError True / TimeoutError True
// (test_timeout_zero_sleep_zero, test_timeout_in_the_past_sleep_zero)
#[test]
fn test_timeout_zero_sleep_zero() {
    util::deadline(|| {
        rt1().block_on(async {
            let past = Instant::now() - Duration::from_secs(11);
            for t in [
                asyncio::timeout(Some(Duration::ZERO)),
                asyncio::timeout_at(past),
            ] {
                let cm = t.handle();
                let r = t.run(asyncio::sleep(Duration::ZERO)).await;
                assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                assert!(cm.expired());
            }
        });
    });
}

// with assertRaises(KeyError): async with timeout(0.01) as cm: raise KeyError
// -> not cm.expired()
#[test]
fn test_foreign_exception_passed() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::timeout(Some(Duration::from_millis(10)));
                let cm = t.handle();
                let r = t.run(async { Err::<(), _>("KeyError") }).await;
                assert_eq!(r, Ok(Err("KeyError")));
                assert!(!cm.expired());
            });
        }
    });
}

// async def crash(): try: await sleep(1) finally: 1/0
// with assertRaises(ZeroDivisionError): async with timeout(0.01): await crash()
#[test]
fn test_foreign_exception_on_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                // The error as a value: it passes through the expired scope.
                let t = asyncio::timeout(Some(Duration::from_millis(10)));
                let cm = t.handle();
                let r = t
                    .run(async {
                        let _ = asyncio::sleep(Duration::from_secs(1)).await;
                        Err::<(), _>("ZeroDivisionError")
                    })
                    .await;
                assert_eq!(r, Ok(Err("ZeroDivisionError")));
                assert!(cm.expired());
                assert_eq!(asyncio::current_task().unwrap().cancelling(), 0);

                // As a panic: it fails the task.
                let t = asyncio::create_task(async {
                    asyncio::timeout(Some(Duration::from_millis(10)))
                        .run(async {
                            let _ = asyncio::sleep(Duration::from_secs(1)).await;
                            panic!("ZeroDivisionError");
                        })
                        .await
                });
                match t.await {
                    Err(asyncio::TaskError::Panicked(p)) => {
                        assert_eq!(p.message(), "ZeroDivisionError")
                    }
                    other => panic!("{other:?}"),
                }
            });
        }
    });
}

// with assertRaises(CancelledError):
//     async with timeout(10) as cm: current_task().cancel(); await sleep(10)
// -> not cm.expired()
#[test]
fn test_foreign_cancel_doesnt_timeout_if_not_expired() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::timeout(Some(Duration::from_secs(10)));
                let cm = t.handle();
                let r = t
                    .run(async {
                        asyncio::current_task().unwrap().cancel(None);
                        asyncio::sleep(Duration::from_secs(10)).await
                    })
                    .await;
                let inner = r.expect("not a TimeoutError");
                assert!(inner.is_err(), "the CancelledError propagates");
                drop(inner); // caught here, so that the test's main task goes on
                assert!(!cm.expired());
            });
        }
    });
}

// async def outer(): with assertRaises(TimeoutError):
//                        async with timeout(0.001): await sleep(10)
// task = create_task(outer()); await task -> not task.cancelled(); task.done()
#[test]
fn test_outer_task_is_not_cancelled() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let task = asyncio::create_task(async {
                    let r = asyncio::timeout(Some(Duration::from_millis(1)))
                        .run(asyncio::sleep(Duration::from_secs(10)))
                        .await;
                    assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                });
                let r = task.task_ref();
                task.await.unwrap();
                assert!(!r.cancelled() && r.done());
            });
        }
    });
}

// with assertRaises(TimeoutError):
//     async with timeout(0.002):
//         with assertRaises(TimeoutError):   # not reached: CancelledError passes through
//             async with timeout(0.1):
//                 time.sleep(0.01)  # pretend we crunch some numbers
//                 await sleep(1)
#[test]
fn test_nested_timeouts_concurrent() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let r = asyncio::timeout(Some(Duration::from_millis(2)))
                    .run(async {
                        let inner = asyncio::timeout(Some(Duration::from_millis(100)))
                            .run(async {
                                std::thread::sleep(Duration::from_millis(10));
                                asyncio::sleep(Duration::from_secs(1)).await
                            })
                            .await;
                        // The inner scope did not expire: the cancellation passes through.
                        inner.expect("the inner scope does not convert")
                    })
                    .await;
                assert_eq!(r, Err(TimeoutError::new()));
            });
        }
    });
}

// with assertRaises(TimeoutError):
//     async with timeout(0.1):                     # (1)
//         with assertRaises(TimeoutError):
//             async with timeout(0.01):            # (2)
//                 time.sleep(0.1)  # the loop is busy
//                 await sleep(1)
//         await sleep(10)                          # interrupted by (1)
#[test]
fn test_nested_timeouts_loop_busy() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let r = asyncio::timeout(Some(Duration::from_millis(100)))
                    .run(async {
                        let inner = asyncio::timeout(Some(Duration::from_millis(10)))
                            .run(async {
                                std::thread::sleep(Duration::from_millis(100));
                                asyncio::sleep(Duration::from_secs(1)).await
                            })
                            .await;
                        match inner {
                            // (2) converted its own expiry; (1) then interrupts the sleep.
                            Err(TimeoutError { .. }) => {}
                            // Both expired while the loop was busy: only (1) converts.
                            Ok(r) => r?,
                        }
                        asyncio::sleep(Duration::from_secs(10)).await
                    })
                    .await;
                assert_eq!(r, Err(TimeoutError::new()));
                assert_eq!(asyncio::current_task().unwrap().cancelling(), 0);
            });
        }
    });
}

// async def f():
//     async with timeout_at(deadline1) as cm: fut.set_result(cm); await sleep(50)
// task = create_task(f()); cm = await fut
// cm.when() == deadline1; cm.reschedule(deadline2) -> when() == deadline2
// cm.reschedule(None) -> when() is None; task.cancel() -> CancelledError; not expired
//
// (deadline1 = loop.time() + 10: the exact seconds come back from when(); the same with
// `Instant`s through deadline().)
#[test]
fn test_reschedule() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            for seconds in [true, false] {
                let rt = rt(n);
                let handle = rt.handle().clone();
                rt.block_on(async move {
                    let fut = event::<asyncio::TimeoutHandle>();
                    let f = fut.clone();
                    let (at1, at2) = (asyncio::time() + 10.0, asyncio::time() + 30.0);
                    let deadline1 = Instant::now() + Duration::from_secs(10);
                    let deadline2 = deadline1 + Duration::from_secs(20);
                    let task = asyncio::create_task(async move {
                        let t = if seconds {
                            asyncio::timeout_at(at1)
                        } else {
                            asyncio::timeout_at(deadline1)
                        };
                        f.set_result(t.handle()).unwrap();
                        t.run(asyncio::sleep(Duration::from_secs(50))).await
                    });
                    let cm = fut.await.unwrap();
                    if seconds {
                        assert_eq!(cm.when(), Some(at1));
                        cm.reschedule_at(at2).unwrap();
                        assert_eq!(cm.when(), Some(at2));
                    } else {
                        assert_eq!(cm.deadline(), Some(deadline1));
                        cm.reschedule(Some(deadline2)).unwrap();
                        assert_eq!(cm.deadline(), Some(deadline2));
                        cm.reschedule_at(deadline1).unwrap();
                        assert_eq!(cm.deadline(), Some(deadline1));
                    }
                    cm.reschedule(None).unwrap();
                    assert_eq!(cm.when(), None);
                    task.cancel(None);
                    // The body's CancelledError propagated (not a TimeoutError): the task
                    // ends cancelled.
                    assert!(task.await.unwrap_err().is_cancelled());
                    assert!(!cm.expired());
                    assert_eq!(handle.live_timers(), 0);
                });
            }
        }
    });
}

// A deadline moved earlier from inside the body makes the scope expire.
#[test]
fn test_reschedule_earlier_expires() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let t = asyncio::timeout(Some(LONG));
                let cm = t.handle();
                let r = t
                    .run(async move {
                        cm.reschedule_after(Some(Duration::from_millis(5))).unwrap();
                        asyncio::sleep(LONG).await
                    })
                    .await;
                assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// async with timeout(0.01) as cm: pass
// with assertRaisesRegex(RuntimeError, "finished"): cm.reschedule(0.02)
#[test]
fn test_timeout_finished() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::timeout(Some(Duration::from_millis(10)));
                let cm = t.handle();
                t.run(async {}).await.unwrap();
                let err = cm
                    .reschedule_after(Some(Duration::from_millis(20)))
                    .unwrap_err();
                assert!(err.to_string().contains("finished"), "{err}");
                assert!(!cm.expired());
            });
        }
    });
}

// with assertRaises(TimeoutError): async with timeout(0.01) as cm: await sleep(1)
// with assertRaisesRegex(RuntimeError, "expired"): cm.reschedule(0.02)
#[test]
fn test_timeout_expired() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::timeout(Some(Duration::from_millis(10)));
                let cm = t.handle();
                let r = t.run(asyncio::sleep(Duration::from_secs(1))).await;
                assert!(r.is_err());
                let err = cm
                    .reschedule_after(Some(Duration::from_millis(20)))
                    .unwrap_err();
                assert!(err.to_string().contains("expired"), "{err}");
            });
        }
    });
}

// async with timeout(0.01) as cm:
//     with assertRaises(CancelledError): await sleep(1)
//     with assertRaisesRegex(RuntimeError, "expiring"): cm.reschedule(0.02)
// (the block then exits normally)
#[test]
fn test_timeout_expiring() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::timeout(Some(Duration::from_millis(10)));
                let cm = t.handle();
                let c = cm.clone();
                let r = t
                    .run(async move {
                        assert!(asyncio::sleep(Duration::from_secs(1)).await.is_err());
                        let err = c
                            .reschedule_after(Some(Duration::from_millis(20)))
                            .unwrap_err();
                        assert!(err.to_string().contains("expiring"), "{err}");
                        "exited normally"
                    })
                    .await;
                assert_eq!(r, Ok("exited normally"));
                assert!(cm.expired());
            });
        }
    });
}

// cm = timeout(0.01); await await_without_task(cm.__aenter__()) -> RuntimeError "task"
#[test]
fn test_timeout_without_task() {
    util::deadline(|| {
        let mut scope = Box::pin(asyncio::timeout(Some(Duration::from_millis(10))).run(async {}));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Poll<_> = scope.as_mut().poll(&mut cx);
        }));
        let err = r.expect_err("a timeout must be awaited inside a task");
        let msg = err
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| err.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(msg.contains("task"), "{msg}");
    });
}

#[derive(Debug, Clone)]
enum GroupErr {
    Cancelled(#[allow(dead_code)] CancelledError),
    ZeroDivision,
    Value,
}

impl std::fmt::Display for GroupErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for GroupErr {}

impl From<CancelledError> for GroupErr {
    fn from(c: CancelledError) -> Self {
        GroupErr::Cancelled(c)
    }
}

// import asyncio
// async def main():
//     async def task():
//         try: await asyncio.sleep(2)
//         finally: 1/0
//     try:
//         async with asyncio.timeout(0.01):
//             async with asyncio.TaskGroup() as tg:
//                 tg.create_task(task())
//                 try: raise ValueError
//                 finally: await asyncio.sleep(1)
//     except* ZeroDivisionError as eg: print("EG", [type(e).__name__ for e in eg.exceptions])
//     me = asyncio.current_task()
//     print(me.cancelling()); await asyncio.sleep(0); print("not cancelled")
// asyncio.run(main())
// -> EG ['ZeroDivisionError'] / 0 / not cancelled
#[test]
fn test_timeout_taskgroup() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let r = asyncio::timeout(Some(Duration::from_millis(10)))
                    .run(TaskGroup::run(|tg: TaskGroup| async move {
                        tg.create_task(async {
                            let _ = asyncio::sleep(Duration::from_secs(2)).await;
                            Err::<(), _>(GroupErr::ZeroDivision)
                        })
                        .unwrap();
                        // try: raise ValueError finally: await sleep(1)
                        asyncio::sleep(Duration::from_secs(1)).await?;
                        Err::<(), _>(GroupErr::Value)
                    }))
                    .await;
                match r {
                    Ok(Err(TaskGroupError::Failed(eg))) => {
                        assert_eq!(eg.errors().len(), 1, "{eg:?}");
                        assert!(matches!(
                            eg.errors()[0].downcast_ref::<GroupErr>(),
                            Some(GroupErr::ZeroDivision)
                        ));
                    }
                    other => panic!("expected the exception group, got {other:?}"),
                }
                let me = asyncio::current_task().unwrap();
                assert_eq!(me.cancelling(), 0);
                asyncio::sleep(Duration::ZERO)
                    .await
                    .expect("no cancellation left pending");
            });
        }
    });
}

// try: current_task().cancel(); await sleep(1)
// except CancelledError: pass
// finally: with assertRaises(TimeoutError): async with timeout(0.0): await sleep(1)
#[test]
fn test_timeout_after_cancellation() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                asyncio::current_task().unwrap().cancel(None);
                assert!(asyncio::sleep(Duration::from_secs(1)).await.is_err());
                let r = asyncio::timeout(Some(Duration::ZERO))
                    .run(asyncio::sleep(Duration::from_secs(1)))
                    .await;
                assert_eq!(r.map(|_| ()), Err(TimeoutError::new()));
                assert_eq!(asyncio::current_task().unwrap().cancelling(), 1);
            });
        }
    });
}

// try: current_task().cancel(); await sleep(1)
// except CancelledError: pass
// finally: with assertRaises(CancelledError):
//              async with timeout(1.0): current_task().cancel(); await sleep(2)
#[test]
fn test_cancel_in_timeout_after_cancellation() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                asyncio::current_task().unwrap().cancel(None);
                assert!(asyncio::sleep(Duration::from_secs(1)).await.is_err());
                let r = asyncio::timeout(Some(Duration::from_secs(1)))
                    .run(async {
                        asyncio::current_task().unwrap().cancel(None);
                        asyncio::sleep(Duration::from_secs(2)).await
                    })
                    .await;
                let inner = r.expect("a CancelledError, not a TimeoutError");
                assert!(inner.is_err());
            });
        }
    });
}

// The scope's own cancel is delivered to a body awaiting a future foreign to the
// runtime, which cannot receive it: the scope still ends with TimeoutError, and the task
// goes on uncancelled.
#[test]
fn test_timeout_foreign_never_ready_future() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let t = asyncio::timeout(Some(Duration::from_millis(5)));
                let cm = t.handle();
                let r = t.run(Foreign).await;
                assert_eq!(r, Err(TimeoutError::new()));
                assert!(cm.expired());
                let me = asyncio::current_task().unwrap();
                assert_eq!(me.cancelling(), 0);
                asyncio::sleep(Duration::ZERO).await.expect("not cancelled");
                // Nested: the inner scope expires around the foreign future, the outer not.
                let r = asyncio::timeout(Some(LONG))
                    .run(asyncio::wait_for(Foreign, Some(Duration::from_millis(5))))
                    .await;
                assert_eq!(r, Ok(Err(TimeoutError::new())));
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// A cancellation from outside the task is never turned into TimeoutError, even when the
// scope expired too.
// import asyncio
// async def main():
//     got = asyncio.get_running_loop().create_future()
//     gate = asyncio.get_running_loop().create_future()
//     async def body():
//         async with asyncio.timeout(0.005) as cm:
//             try: await asyncio.sleep(10)
//             except asyncio.CancelledError: got.set_result(None)
//             await gate
//     t = asyncio.create_task(body())
//     await got
//     t.cancel("outer")
//     try: await t
//     except asyncio.CancelledError as e: print("CancelledError", e.args)
//     except TimeoutError: print("TimeoutError")
// asyncio.run(main())
// -> CancelledError ('outer',)
#[test]
fn test_timeout_outer_cancel_not_converted() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                // Not expired: plain propagation.
                let started = event::<()>();
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    asyncio::timeout(Some(LONG))
                        .run(async move {
                            s.set_result(()).unwrap();
                            asyncio::sleep(LONG).await
                        })
                        .await
                        .expect("not a TimeoutError")
                });
                started.await.unwrap();
                t.cancel(Some("outer"));
                let err = t.await.unwrap_err();
                assert_eq!(err.as_cancelled().unwrap().message(), Some("outer"));

                // Expired, and cancelled from outside as well.
                let (got, gate) = (event::<()>(), event::<()>());
                let (g, gt) = (got.clone(), gate.clone());
                let t = asyncio::create_task(async move {
                    asyncio::timeout(Some(Duration::from_millis(5)))
                        .run(async move {
                            if asyncio::sleep(Duration::from_secs(10)).await.is_err() {
                                g.set_result(()).unwrap();
                            }
                            gt.await
                        })
                        .await
                });
                got.await.unwrap();
                t.cancel(Some("outer"));
                match t.await {
                    Err(e) => assert_eq!(e.as_cancelled().unwrap().message(), Some("outer")),
                    Ok(r) => panic!("expected CancelledError('outer'), got {r:?}"),
                }
            });
        }
    });
}

// A body that catches the scope's cancellation and returns a value returns that value
// (the 3.12+ rule), and leaves the task uncancelled.
#[test]
fn test_timeout_cancel_suppressed_returns_value() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::timeout(Some(Duration::from_millis(5)));
                let cm = t.handle();
                let r = t
                    .run(async {
                        match asyncio::sleep(LONG).await {
                            Ok(()) => 0,
                            Err(_caught) => 42,
                        }
                    })
                    .await;
                assert_eq!(r, Ok(42));
                assert!(cm.expired());
                let me = asyncio::current_task().unwrap();
                assert_eq!(me.cancelling(), 0);
                asyncio::sleep(Duration::ZERO).await.expect("not cancelled");
            });
        }
    });
}

/// 100,000 `wait_for`/`timeout` scopes that time out and 100,000 that do not, spread over
/// many concurrent tasks: afterwards no timer is registered and no completion hook is
/// left on the tasks involved.
#[test]
fn test_timeout_scopes_leave_no_timers_or_hooks() {
    util::deadline(|| {
        const N: usize = 100_000;
        const TASKS: usize = 500;
        const PER_TASK: usize = N / TASKS;
        let start = Instant::now();
        let rt = rt(2);
        let handle = rt.handle().clone();
        let (expired, completed) = rt.block_on(async move {
            // A task that never finishes while the scopes run: each scope watches it.
            let gate = event::<()>();
            let g = gate.clone();
            let blocker = asyncio::create_task(async move { g.await.is_ok() });
            let blocker_ref = blocker.task_ref();
            let sampled: Arc<std::sync::Mutex<Vec<TaskRef>>> = Arc::default();
            let expired = Arc::new(AtomicUsize::new(0));
            let completed = Arc::new(AtomicUsize::new(0));

            // Scopes that time out.
            let workers: Vec<_> = (0..TASKS)
                .map(|w| {
                    let (b, s, e) = (blocker_ref.clone(), sampled.clone(), expired.clone());
                    asyncio::create_task(async move {
                        for i in 0..PER_TASK {
                            // Half expire through a timer, half through call_soon.
                            let d = if i % 2 == 0 {
                                Duration::from_millis(1)
                            } else {
                                Duration::ZERO
                            };
                            let r = match i % 4 {
                                // wait_for a task: it is cancelled and waited for.
                                0 | 1 => {
                                    let child = asyncio::create_task(async {
                                        asyncio::sleep(LONG).await?;
                                        Ok::<_, CancelledError>(())
                                    });
                                    if i % 50 == 0 {
                                        s.lock().unwrap().push(child.task_ref());
                                    }
                                    asyncio::wait_for(child, Some(d)).await.map(|_| ())
                                }
                                // timeout around a wait on the blocker (a completion hook).
                                2 => asyncio::timeout(Some(d))
                                    .run(asyncio::wait(vec![b.clone()], None, ALL_COMPLETED))
                                    .await
                                    .map(|_| ()),
                                // timeout around a sleep (the body's own timer).
                                _ => asyncio::timeout(Some(d))
                                    .run(asyncio::sleep(LONG))
                                    .await
                                    .map(|_| ()),
                            };
                            assert_eq!(r, Err(TimeoutError::new()), "worker {w} scope {i}");
                            e.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            asyncio::gather(workers).await.unwrap();

            // Scopes that do not time out.
            let done_task = asyncio::create_task(async { 1 });
            let done_ref = done_task.task_ref();
            let workers: Vec<_> = (0..TASKS)
                .map(|w| {
                    let (b, d, s, c) = (
                        blocker_ref.clone(),
                        done_ref.clone(),
                        sampled.clone(),
                        completed.clone(),
                    );
                    asyncio::create_task(async move {
                        for i in 0..PER_TASK {
                            let ok = match i % 4 {
                                0 => {
                                    let child = asyncio::create_task(async { 7 });
                                    if i % 50 == 0 {
                                        s.lock().unwrap().push(child.task_ref());
                                    }
                                    asyncio::wait_for(child, Some(LONG)).await.is_ok()
                                }
                                1 => asyncio::timeout(Some(LONG))
                                    .run(asyncio::sleep(Duration::ZERO))
                                    .await
                                    .is_ok(),
                                // A wait that returns early: its hook on the blocker goes.
                                2 => asyncio::timeout(Some(LONG))
                                    .run(asyncio::wait(
                                        vec![b.clone(), d.clone()],
                                        None,
                                        FIRST_COMPLETED,
                                    ))
                                    .await
                                    .is_ok(),
                                _ => asyncio::wait_for(async { 3 }, Some(LONG)).await.is_ok(),
                            };
                            assert!(ok, "worker {w} scope {i}");
                            c.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            asyncio::gather(workers).await.unwrap();

            let handle = asyncio::get_running_loop().unwrap();
            assert_eq!(handle.live_timers(), 0, "no timer left registered");
            assert_eq!(blocker_ref.hooks(), 0, "no hook left on the blocker");
            assert_eq!(done_ref.hooks(), 0);
            let sampled = std::mem::take(&mut *sampled.lock().unwrap());
            assert!(sampled.len() >= 2 * N / 200);
            for t in &sampled {
                assert!(t.done());
                assert_eq!(t.hooks(), 0);
            }
            assert_eq!(asyncio::current_task().unwrap().cancelling(), 0);
            gate.set_result(()).unwrap();
            assert!(blocker.await.unwrap());
            (
                expired.load(Ordering::SeqCst),
                completed.load(Ordering::SeqCst),
            )
        });
        assert_eq!((expired, completed), (N, N));
        assert_eq!(handle.live_timers(), 0);
        println!(
            "{N} expired + {N} completed scopes in {:.2?}",
            start.elapsed()
        );
    });
}

// On several workers, a cancel from another thread that lands while an expired scope
// takes its own cancellation from a foreign body (which cannot receive it) must be
// propagated as a CancelledError (or, landing later, cancel the task), never panic.
#[test]
fn test_timeout_foreign_body_outer_cancel_race() {
    util::deadline(|| {
        const ROUNDS: usize = 3000;
        let rt = rt(2);
        let handle = rt.handle().clone();
        let mut panics = Vec::new();
        for round in 0..ROUNDS {
            let task = handle.create_task(async {
                asyncio::timeout(Some(Duration::ZERO))
                    .run(Foreign)
                    .await
                    .is_err()
            });
            for _ in 0..(round % 64) * 8 {
                std::hint::spin_loop();
            }
            task.cancel(Some("outer"));
            match rt.block_on(async move { task.await.map_err(|e| e.untracked()) }) {
                Ok(timed_out) => assert!(timed_out),
                Err(asyncio::TaskError::Cancelled(_)) => {}
                Err(asyncio::TaskError::Panicked(p)) => {
                    panics.push((round, p.message().to_owned()))
                }
                Err(asyncio::TaskError::Exception(e)) => panics.push((round, e.to_string())),
            }
        }
        assert!(
            panics.is_empty(),
            "{} panics: {:?}",
            panics.len(),
            &panics[..panics.len().min(3)]
        );
    });
}
