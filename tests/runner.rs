//! `Runner` and `asyncio::run` (docs/design.md §4.5): run several futures on one runtime; at
//! the end every task still pending is cancelled and awaited, so its cleanup runs (also
//! cleanup that awaits), also when the main future panics; a leftover's unexpected panic
//! goes to the exception handler; `run` inside a running runtime is an error.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_runners.py`.

mod util;

use asyncio::test_util::HandleTestExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{Builder, Runner, TaskError, TaskRef};
use util::{panic_message, Foreign, Trace, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

fn runner(workers: usize) -> Runner {
    Runner::with_builder(Builder::new().worker_threads(workers)).unwrap()
}

/// A leftover task: sleeps "forever"; on cancellation records "cleanup" (after an await,
/// like a `finally` that awaits) and propagates.
fn leftover(trace: &Trace) -> asyncio::Task<()> {
    let tr = trace.clone();
    asyncio::create_task(async move {
        if let Err(c) = asyncio::sleep(LONG).await {
            // `finally:` with an await in it.
            asyncio::sleep(Duration::from_millis(1)).await.unwrap();
            tr.push("cleanup");
            return Err(c);
        }
        Ok(())
    })
}

// async def main(): await asyncio.sleep(0); return 42
// asyncio.run(main()) == 42
#[test]
fn test_asyncio_run_return() {
    util::deadline(|| {
        let v = asyncio::run(async {
            asyncio::sleep(Duration::ZERO).await.unwrap();
            42
        });
        assert_eq!(v, 42);
    });
}

// async def main(): await asyncio.sleep(0); raise ValueError('spam')
// with assertRaisesRegex(ValueError, 'spam'): asyncio.run(main())
#[test]
fn test_asyncio_run_raises() {
    util::deadline(|| {
        let r = std::panic::catch_unwind(|| {
            asyncio::run(async {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                panic!("spam");
            })
        });
        assert_eq!(panic_message(&*r.unwrap_err()), "spam");
    });
}

// async def main(): asyncio.run(main())
// -> RuntimeError 'cannot be called from a running'
#[test]
fn test_asyncio_run_from_running_loop() {
    util::deadline(|| {
        let r = std::panic::catch_unwind(|| {
            asyncio::run(async {
                asyncio::run(async { 1 });
            })
        });
        let msg = panic_message(&*r.unwrap_err());
        assert!(msg.contains("cannot be called from a running"), "{msg}");
    });
}

// async def leftover(): await asyncio.sleep(0.1)
// async def main(): lo_task = asyncio.create_task(leftover()); return 123
// asyncio.run(main()) == 123; lo_task.done()
//
// import asyncio
// lo = None; log = []
// async def leftover():
//     try: await asyncio.sleep(10)
//     finally: await asyncio.sleep(0.001); log.append("cleanup")
// async def main():
//     global lo
//     lo = asyncio.create_task(leftover()); await asyncio.sleep(0)
//     return 123
// print(asyncio.run(main()), log, lo.cancelled())
// -> 123 ['cleanup'] True
#[test]
fn test_asyncio_run_cancels_hanging_tasks() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        let (v, lo) = asyncio::run(async move {
            let lo = leftover(&tr).task_ref();
            asyncio::sleep(Duration::ZERO).await.unwrap();
            (123, lo)
        });
        assert_eq!(v, 123);
        assert!(lo.done() && lo.cancelled());
        assert_eq!(trace.get(), ["cleanup"], "its cleanup ran, awaits included");
    });
}

// async def leftover(): try: await sleep(0.1) except CancelledError: 1 / 0
// asyncio.run(main()) == 123; lo_task.done(); the exception handler is called with
// {'message': 'asyncio.run.*shutdown', 'task': lo_task, 'exception': ZeroDivisionError}
#[test]
fn test_asyncio_run_reports_hanging_tasks_errors() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let reports: Arc<Mutex<Vec<asyncio::ExceptionContext>>> = Arc::default();
            let rep = reports.clone();
            let runner = Runner::with_builder(
                Builder::new()
                    .worker_threads(n)
                    .exception_handler(move |ctx| rep.lock().unwrap().push(ctx.clone())),
            )
            .unwrap();
            let (v, lo) = runner.run(async {
                let lo = asyncio::create_task(async {
                    if asyncio::sleep(LONG).await.is_err() {
                        panic!("ZeroDivisionError");
                    }
                });
                let lo = lo.task_ref();
                asyncio::sleep(Duration::ZERO).await.unwrap();
                (123, lo)
            });
            assert_eq!(v, 123);
            runner.close();
            assert!(lo.done() && !lo.cancelled());
            let reports = reports.lock().unwrap();
            assert_eq!(reports.len(), 1, "{reports:?}");
            let ctx = &reports[0];
            assert!(
                ctx.message.contains("asyncio.run()") && ctx.message.contains("shutdown"),
                "{ctx}"
            );
            assert_eq!(ctx.task_id, Some(lo.id()));
            assert_eq!(
                ctx.exception.as_ref().map(|e| match e {
                    TaskError::Panicked(p) => p.message().to_owned(),
                    other => other.to_string(),
                }),
                Some("ZeroDivisionError".to_owned())
            );
        }
    });
}

// async def main(): lazyboy = asyncio.create_task(spin()); raise FancyExit
// with assertRaises(FancyExit): asyncio.run(main())  -> lazyboy.done()
#[test]
fn test_asyncio_run_closes_gens_after_hanging_tasks_errors() {
    util::deadline(|| {
        let trace = Trace::new();
        let lazyboy: Arc<Mutex<Option<TaskRef>>> = Arc::default();
        let (tr, lb) = (trace.clone(), lazyboy.clone());
        let r = std::panic::catch_unwind(move || {
            asyncio::run(async move {
                let t = leftover(&tr);
                *lb.lock().unwrap() = Some(t.task_ref());
                asyncio::sleep(Duration::ZERO).await.unwrap();
                panic!("FancyExit");
            })
        });
        assert_eq!(panic_message(&*r.unwrap_err()), "FancyExit");
        let lazyboy = lazyboy.lock().unwrap().take().unwrap();
        assert!(lazyboy.done() && lazyboy.cancelled());
        assert_eq!(trace.get(), ["cleanup"]);
    });
}

// with asyncio.Runner() as runner: runner.run(f()) == 'done'; loop = runner.get_loop()
// -> afterwards loop.is_closed()
#[test]
fn test_run() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let runner = runner(n);
            let f = || async {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                "done"
            };
            assert_eq!(runner.run(f()), "done");
            assert_eq!(runner.run(f()), "done");
            let handle = runner.handle().clone();
            assert_eq!(handle.num_workers(), n);
            assert!(!handle.is_closed());
            runner.close();
            assert!(handle.is_closed());
        }
    });
}

// runner = asyncio.Runner(); runner.close() -> loop.is_closed(); dropping works the same
// (test_explicit_close, test_double_close: here close() consumes the runner, and
// dropping an open runner closes it).
#[test]
fn test_explicit_close() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let trace = Trace::new();
            let tr = trace.clone();
            let runner = runner(n);
            let handle = runner.handle().clone();
            let lo = runner.run(async move {
                let lo = leftover(&tr).task_ref();
                asyncio::sleep(Duration::ZERO).await.unwrap();
                lo
            });
            drop(runner);
            assert!(handle.is_closed());
            assert!(lo.cancelled(), "dropping the runner cancels the leftovers");
            assert_eq!(trace.get(), ["cleanup"]);
        }
    });
}

// Several runs share one runtime: a task created in one run is still there, and can be
// completed and awaited, in the next.
#[test]
#[allow(clippy::async_yields_async)] // the first run returns the task on purpose
fn test_runner_tasks_survive_between_runs() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let runner = runner(n);
            let gate = asyncio::Future::<u32>::new_on(runner.handle());
            let g = gate.clone();
            let task = runner.run(async move {
                asyncio::create_task(async move {
                    let v = g.await?;
                    Ok::<_, TaskError>(v * 2)
                })
            });
            assert!(!task.done());
            let v = runner.run(async move {
                gate.set_result(21).unwrap();
                task.await.unwrap()
            });
            assert_eq!(v, 42);
            runner.close();
        }
    });
}

// close() waits for leftovers whose cleanup takes a while, and for those that swallow
// the cancellation and finish later; one stuck on a foreign future is cancelled by
// force; none is left pending.
#[test]
fn test_runner_close_waits_for_cleanup() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let trace = Trace::new();
            let tr = trace.clone();
            let runner = runner(n);
            let tasks = runner.run(async move {
                let a = leftover(&tr).task_ref();
                let tr2 = tr.clone();
                let b = asyncio::create_task(async move {
                    // Swallows the cancellation, works a little more, returns normally.
                    let _ = asyncio::sleep(LONG).await;
                    for _ in 0..3 {
                        asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                    }
                    tr2.push("swallowed");
                })
                .task_ref();
                let c = asyncio::create_task(Foreign).task_ref();
                asyncio::sleep(Duration::ZERO).await.unwrap();
                vec![a, b, c]
            });
            let handle = runner.handle().clone();
            runner.close();
            let mut t = trace.get();
            t.sort();
            assert_eq!(t, ["cleanup", "swallowed"]);
            assert!(tasks[0].cancelled());
            assert!(tasks[1].done() && !tasks[1].cancelled());
            assert!(tasks[2].cancelled());
            assert_eq!(handle.registered_tasks(), 0);
        }
    });
}
