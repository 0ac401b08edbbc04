//! One exception model (docs/design.md §9): a task's exception is a panic or the `Err` of
//! its `Result` output, and every function sees both the same way — awaiting, `gather`,
//! `wait(FIRST_EXCEPTION)`, `as_completed`, `shield`, `TaskGroup`, `exception()`,
//! `ConcurrentFuture`, `Future::set_exception` and the exception handler ("... exception
//! was never retrieved"). The error keeps its type, Display and `source()` chain.
//!
//! Mirrors CPython 3.13 `test_tasks.py` / `test_futures.py` / `test_taskgroups.py`; the
//! Python program is kept as a comment where the outcome is not obvious.

mod util;

use std::error::Error as _;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{
    AsCompletedError, Builder, CancelledError, Exception, Runtime, TaskError, TaskGroup,
    TaskGroupError, FIRST_EXCEPTION,
};
use util::{rt, rt1, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

/// Python's `ZeroDivisionError`.
#[derive(Debug, PartialEq)]
struct ZeroDivision;

impl fmt::Display for ZeroDivision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("division by zero")
    }
}

impl std::error::Error for ZeroDivision {}

/// Python's `ValueError`, with an optional cause (`raise ValueError(..) from exc`).
#[derive(Debug)]
struct ValueError {
    what: &'static str,
    cause: Option<CancelledError>,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

impl std::error::Error for ValueError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_ref().map(|c| c as _)
    }
}

async fn raise_after(d: Duration) -> Result<u32, ZeroDivision> {
    asyncio::sleep(d).await.unwrap();
    Err(ZeroDivision)
}

fn exception_of(err: &TaskError) -> &Exception {
    match err {
        TaskError::Exception(e) => e,
        other => panic!("expected a raised error, got {other:?}"),
    }
}

/// A runtime whose exception handler records (message, exception) pairs.
type Reports = Arc<Mutex<Vec<(String, Option<TaskError>)>>>;

fn recording_runtime(workers: usize) -> (Runtime, Reports) {
    let reports = Reports::default();
    let log = reports.clone();
    let rt = Builder::new()
        .worker_threads(workers)
        .exception_handler(move |ctx| {
            log.lock()
                .unwrap()
                .push((ctx.message.clone(), ctx.exception.clone()))
        })
        .build()
        .unwrap();
    (rt, reports)
}

// async def coro(): raise ZeroDivisionError
// t = create_task(coro()); await t -> ZeroDivisionError; t.exception() is that error
#[test]
fn test_exception_class() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(raise_after(Duration::ZERO));
                let r = t.task_ref();
                let err = t.await.unwrap_err();
                assert!(err.is_exception() && err.is_failure() && !err.is_cancelled());
                assert_eq!(err.downcast_ref::<ZeroDivision>(), Some(&ZeroDivision));
                assert_eq!(err.to_string(), "division by zero");
                assert!(!r.cancelled());
                let again = r.exception().unwrap().unwrap();
                assert!(exception_of(&again).same_as(exception_of(&err)));
            });
        }
    });
}

// async def coro():
//     inner = create_task(sleep(10)); ...; loop.call_soon(inner.cancel, 'msg')
//     try: await inner
//     except CancelledError as ex: raise ValueError("cancelled") from ex
// -> the task raises ValueError (not cancelled); its __cause__ is CancelledError('msg')
#[test]
fn test_cancellation_exception_context() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    let inner = asyncio::create_task(asyncio::sleep(LONG));
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                    inner.cancel(Some("msg"));
                    match inner.await {
                        // `from ex`: the caught cancellation is kept as the cause, untracked
                        // (kept as a tracked token it would still cancel this task).
                        Err(TaskError::Cancelled(c)) => Err(ValueError {
                            what: "cancelled",
                            cause: Some(c.untracked()),
                        }),
                        other => panic!("{other:?}"),
                    }
                    .map(|()| 0u8)
                });
                let r = t.task_ref();
                let err = t.await.unwrap_err();
                assert!(!r.cancelled(), "the ValueError wins");
                let e = exception_of(&err);
                assert_eq!(e.to_string(), "cancelled");
                // The chain: TaskError -> (transparent) -> the ValueError's cause.
                let cause = err.source().expect("the cause is kept");
                let c = cause.downcast_ref::<CancelledError>().unwrap();
                assert_eq!(c.message(), Some("msg"));
                assert!(e.source().is_some());
                assert!(e.downcast_ref::<ValueError>().is_some());
            });
        }
    });
}

/// The same with the caught cancellation kept *tracked* as the cause: a tracked token of the
/// task alive in its output ends it cancelled (docs/design.md §4.2), with the token's
/// message, and the `ValueError` is dropped. No asyncio counterpart: the difference that
/// makes `exc.untracked()` necessary for `raise X from exc` (docs/asyncio-differences.md).
#[test]
fn raise_from_a_tracked_cancellation_ends_the_task_cancelled() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    let inner = asyncio::create_task(asyncio::sleep(LONG));
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                    inner.cancel(Some("msg"));
                    match inner.await {
                        Err(TaskError::Cancelled(c)) => Err(ValueError {
                            what: "cancelled",
                            cause: Some(c),
                        }),
                        other => panic!("{other:?}"),
                    }
                    .map(|()| 0u8)
                });
                let r = t.task_ref();
                let err = t.await.unwrap_err();
                assert!(r.cancelled(), "the tracked token wins: {err:?}");
                assert_eq!(err.as_cancelled().unwrap().message(), Some("msg"));
            });
        }
    });
}

// async def t():
//     try: await sleep(10)
//     except CancelledError: raise CancelledError("other")
// task.cancel("first"); await task -> CancelledError('other'); task.cancelled() is True
// async def u(): raise CancelledError("self-made")  -> cancelled, cancelling() == 0
#[test]
fn task_raising_a_new_cancelled_error_ends_cancelled_with_its_message() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    match asyncio::sleep(LONG).await {
                        // The Rust way: return a new CancelledError as the task's `Err`.
                        Err(_first) => Err(CancelledError::new(Some("other"))),
                        Ok(()) => Ok(()),
                    }
                });
                asyncio::sleep(Duration::ZERO).await.unwrap();
                t.cancel(Some("first"));
                let r = t.task_ref();
                let err = t.await.unwrap_err();
                assert_eq!(err.as_cancelled().unwrap().message(), Some("other"));
                assert!(r.cancelled());
                let again = r.exception().unwrap().unwrap();
                assert_eq!(again.as_cancelled().unwrap().message(), Some("other"));

                let u = asyncio::create_task(async {
                    Err::<(), _>(CancelledError::new(Some("self-made")))
                });
                let ur = u.task_ref();
                let err = u.await.unwrap_err();
                assert_eq!(err.as_cancelled().unwrap().message(), Some("self-made"));
                assert!(ur.cancelled());
                assert_eq!(ur.cancelling(), 0);
            });
        }
    });
}

// async def raises(): current_task().cancel(); raise ValueError("v")
// async def returns(): current_task().cancel(); return 1
// -> raises: not cancelled, exception ValueError('v'); returns: cancelled
#[test]
fn a_raised_exception_wins_over_a_pending_cancel_request() {
    util::deadline(|| {
        rt1().block_on(async {
            let raises = asyncio::create_task(async {
                asyncio::current_task().unwrap().cancel(None);
                Err::<u8, _>(ValueError {
                    what: "v",
                    cause: None,
                })
            });
            let returns = asyncio::create_task(async {
                asyncio::current_task().unwrap().cancel(None);
                1u8
            });
            let (a, b) = (raises.task_ref(), returns.task_ref());
            asyncio::sleep(Duration::ZERO).await.unwrap();
            assert!(!a.cancelled());
            let e = a.exception().unwrap().unwrap();
            assert_eq!(exception_of(&e).to_string(), "v");
            assert!(b.cancelled());
        });
    });
}

// fut = gather(a, b, ...); b.set_exception(exc) -> fut.exception() is exc
#[test]
fn test_one_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let a = asyncio::create_task(async { 1u32 });
                let b = asyncio::create_task(raise_after(Duration::ZERO));
                let c = asyncio::create_task(asyncio::sleep_with(LONG, 3u32));
                let c_ref = c.task_ref();
                let err = asyncio::gather3(a, b, c).await.unwrap_err();
                assert_eq!(err.downcast_ref::<ZeroDivision>(), Some(&ZeroDivision));
                assert!(!c_ref.done(), "the other children keep running");
                c_ref.cancel(None);
            });
        }
    });
}

// gather(a, b, return_exceptions=True) -> [1, ZeroDivisionError()]
#[test]
fn test_return_exceptions() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let a = asyncio::create_task(async { Ok::<u32, ZeroDivision>(1) });
                let b = asyncio::create_task(raise_after(Duration::ZERO));
                let out = asyncio::gather(vec![a, b])
                    .return_exceptions()
                    .await
                    .unwrap();
                assert_eq!(*out[0].as_ref().unwrap(), 1);
                let err = out[1].as_ref().unwrap_err();
                assert!(err.downcast_ref::<ZeroDivision>().is_some());
            });
        }
    });
}

// done, pending = await wait([a, b], return_when=FIRST_EXCEPTION): b raises at once
// -> done == {b}, pending == {a}
#[test]
fn test_wait_first_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let a = asyncio::create_task(asyncio::sleep(LONG));
                let b = asyncio::create_task(raise_after(Duration::from_millis(1)));
                let (ar, br) = (a.task_ref(), b.task_ref());
                let (done, pending) =
                    asyncio::wait(vec![ar.clone(), br.clone()], None, FIRST_EXCEPTION)
                        .await
                        .unwrap();
                assert_eq!(done, vec![br.clone()]);
                assert_eq!(pending, vec![ar.clone()]);
                assert!(br.exception().unwrap().unwrap().is_exception());
                ar.cancel(None);
            });
        }
    });
}

// for f in as_completed([b]): await f -> ZeroDivisionError
#[test]
fn test_as_completed_raising_child() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let b = asyncio::create_task(raise_after(Duration::ZERO));
                let mut it = asyncio::as_completed(vec![b], None);
                match it.next().await {
                    Some(Err(AsCompletedError::Task(e))) => {
                        assert!(e.downcast_ref::<ZeroDivision>().is_some())
                    }
                    other => panic!("{other:?}"),
                }
                assert!(it.next().await.is_none());
            });
        }
    });
}

// inner raises -> await shield(inner) raises the same exception
#[test]
fn test_shield_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let inner = asyncio::create_task(raise_after(Duration::from_millis(1)));
                let err = asyncio::shield(inner).await.unwrap_err();
                assert!(err.downcast_ref::<ZeroDivision>().is_some());
            });
        }
    });
}

// future = run_coroutine_threadsafe(coro_raising(), loop)
// future.result() -> raises; future.exception() is that exception
#[test]
fn test_run_coroutine_threadsafe_with_exception() {
    util::deadline(|| {
        let rt = rt(2);
        let fut = asyncio::run_coroutine_threadsafe(raise_after(Duration::ZERO), rt.handle());
        match fut.result(None) {
            Err(asyncio::ConcurrentError::Exception(e)) => assert!(e.is::<ZeroDivision>()),
            other => panic!("{other:?}"),
        }
        let e = fut.exception(None).unwrap().unwrap();
        assert!(e.downcast_ref::<ZeroDivision>().is_some());
    });
}

// async with TaskGroup() as tg: tg.create_task(raises_zero()); tg.create_task(raises_value())
// -> ExceptionGroup [ZeroDivisionError, ValueError]: children of different error types
#[test]
fn test_taskgroup_children_raise_different_types() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out = TaskGroup::run(|tg| async move {
                    // Both raise in their first step: the first failure cancels the group's
                    // other children, so neither may await anything before raising.
                    tg.create_task(async { Err::<u32, _>(ZeroDivision) })
                        .unwrap();
                    tg.create_task(async {
                        Err::<(), _>(ValueError {
                            what: "bad",
                            cause: None,
                        })
                    })
                    .unwrap();
                })
                .await;
                let Err(TaskGroupError::Failed(eg)) = out else {
                    panic!("expected an exception group, got {out:?}")
                };
                assert_eq!(eg.errors().len(), 2);
                assert_eq!(eg.matching::<ZeroDivision>().count(), 1);
                assert_eq!(eg.matching::<ValueError>().count(), 1);
            });
        }
    });
}

// The body raises: `Err(e)` out of the body is a failure of the group like a child's.
#[test]
fn test_taskgroup_body_raises() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out = TaskGroup::run(|tg| async move {
                    let child = tg.create_task(asyncio::sleep(LONG)).unwrap();
                    Err::<(), _>(ZeroDivision).map(|()| child)
                })
                .await;
                let Err(TaskGroupError::Failed(eg)) = out else {
                    panic!("expected an exception group")
                };
                assert_eq!(eg.matching::<ZeroDivision>().count(), 1);
            });
        }
    });
}

// fut.set_exception(ZeroDivisionError()); await fut -> ZeroDivisionError;
// fut.exception() is that exception
#[test]
fn test_future_set_exception_is_the_same_model() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = asyncio::Future::<u32>::new();
                fut.set_exception(ZeroDivision).unwrap();
                let err = fut.clone().await.unwrap_err();
                assert!(err.downcast_ref::<ZeroDivision>().is_some());
                let again = fut.exception().unwrap().unwrap();
                assert!(exception_of(&again).same_as(exception_of(&err)));
                // A task awaiting it and propagating (`?`) raises the same exception.
                let f = fut.clone();
                // A task that awaits the future, not the future as the task.
                #[allow(clippy::redundant_async_block)]
                let t = asyncio::create_task(async move { f.await });
                let e = t.await.unwrap_err();
                assert!(exception_of(&e).same_as(exception_of(&err)));
                // An `Exception` made from any error, and a panic, keep their kind.
                let any = asyncio::Future::<()>::new();
                any.set_exception(Exception::msg("anything")).unwrap();
                assert_eq!(any.exception().unwrap().unwrap().to_string(), "anything");
            });
        }
    });
}

// A failed task dropped with its exception never looked at: "Task exception was never
// retrieved" (asyncio's Task.__del__), once, with the exception.
#[test]
fn test_task_exception_never_retrieved() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let (rt, reports) = recording_runtime(n);
            rt.block_on(async {
                let t = asyncio::create_task(raise_after(Duration::ZERO));
                t.wait_done().await.unwrap();
                drop(t);
                // Retrieved ones are not reported.
                let seen = asyncio::create_task(raise_after(Duration::ZERO));
                assert!(seen.await.is_err());
            });
            drop(rt);
            let reports = reports.lock().unwrap();
            assert_eq!(reports.len(), 1, "{reports:?}");
            assert_eq!(reports[0].0, "Task exception was never retrieved");
            let e = reports[0].1.as_ref().unwrap();
            assert!(e.downcast_ref::<ZeroDivision>().is_some());
        }
    });
}

// fut.set_exception(RuntimeError()); del fut -> "Future exception was never retrieved"
// (test_futures: test_tb_logger_exception_unretrieved / _retrieved / _result_retrieved)
#[test]
fn test_future_exception_never_retrieved() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let (rt, reports) = recording_runtime(n);
            rt.block_on(async {
                let unretrieved = asyncio::Future::<u32>::new();
                unretrieved.set_exception(ZeroDivision).unwrap();
                drop(unretrieved);

                let retrieved = asyncio::Future::<u32>::new();
                retrieved.set_exception(ZeroDivision).unwrap();
                assert!(retrieved.exception().unwrap().is_some());
                drop(retrieved);

                let result_retrieved = asyncio::Future::<u32>::new();
                result_retrieved.set_exception(ZeroDivision).unwrap();
                assert!(result_retrieved.result().unwrap().is_err());
                drop(result_retrieved);

                let awaited = asyncio::Future::<u32>::new();
                awaited.set_exception(ZeroDivision).unwrap();
                assert!(awaited.clone().await.is_err());
                drop(awaited);

                let cancelled = asyncio::Future::<u32>::new();
                cancelled.cancel(None);
                drop(cancelled);

                let with_result = asyncio::Future::<u32>::new();
                with_result.set_result(1).unwrap();
                drop(with_result);
            });
            drop(rt);
            let reports = reports.lock().unwrap();
            assert_eq!(reports.len(), 1, "{reports:?}");
            assert_eq!(reports[0].0, "Future exception was never retrieved");
            let e = reports[0].1.as_ref().unwrap();
            assert!(e.downcast_ref::<ZeroDivision>().is_some());
        }
    });
}

/// `Value` keeps a `Result` as a plain value: nothing is raised.
#[test]
fn value_keeps_a_result_as_a_value() {
    util::deadline(|| {
        rt1().block_on(async {
            let t = asyncio::create_task(async { asyncio::Value(Err::<u8, _>(ZeroDivision)) });
            let r = t.task_ref();
            let asyncio::Value(out) = t.await.unwrap();
            assert_eq!(out, Err(ZeroDivision));
            assert!(r.exception().unwrap().is_none());
        });
    });
}
