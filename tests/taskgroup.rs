//! `TaskGroup` (docs/design.md §4.4, 3.13 semantics): children's results; the first failure
//! (an `Err` value or a panic) cancels the siblings and the body; the group exits with an
//! `ExceptionGroup` listing every failure; cancelling the parent propagates; creating a
//! task in a finished or shutting-down group is an error; a child that swallows its
//! cancellation does not hang the group; `uncancel` keeps an outer `timeout` working;
//! nested groups; no hook or timer is left behind.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_taskgroups.py`.

mod util;

use asyncio::test_util::{HandleTestExt, TaskRefTestExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asyncio::{
    CancelledError, ExceptionGroup, TaskError, TaskGroup, TaskGroupError, TaskRef, TimeoutError,
    ALL_COMPLETED,
};
use util::{rt, rt1, Trace, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

fn event<T: Send + 'static>() -> asyncio::Future<T> {
    asyncio::Future::new()
}

async fn all_done(tasks: &[TaskRef]) {
    asyncio::wait(tasks.to_vec(), None, ALL_COMPLETED)
        .await
        .unwrap();
}

/// The errors of the tests: Python's exception classes. `Cancelled` carries the
/// cancellation itself (tracked), so that propagating it with `?` is a cancellation and
/// not a failure.
#[derive(Debug, Clone)]
enum E {
    Cancelled(#[allow(dead_code)] CancelledError),
    ZeroDivision,
    Value,
    Runtime,
    My,
    Group(Arc<ExceptionGroup>),
}

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for E {}

impl From<CancelledError> for E {
    fn from(c: CancelledError) -> Self {
        E::Cancelled(c)
    }
}

impl From<TaskGroupError> for E {
    fn from(e: TaskGroupError) -> Self {
        match e {
            TaskGroupError::Cancelled(c) => E::Cancelled(c),
            TaskGroupError::Failed(g) => E::Group(Arc::new(g)),
        }
    }
}

type Group = TaskGroup;
/// A value handed out of a task group's body.
type Slot<T> = Arc<std::sync::Mutex<Option<T>>>;
type Out<R> = Result<R, TaskGroupError>;

/// The kind of one failure: a panic, or the test error it raised.
fn kind(e: &TaskError) -> &'static str {
    match e {
        TaskError::Panicked(_) => "Panicked",
        TaskError::Cancelled(_) => "Cancelled",
        TaskError::Exception(x) => match x.downcast_ref::<E>() {
            Some(E::Cancelled(_)) => "Cancelled",
            Some(E::ZeroDivision) => "ZeroDivision",
            Some(E::Value) => "Value",
            Some(E::Runtime) => "Runtime",
            Some(E::My) => "My",
            Some(E::Group(_)) => "Group",
            None => panic!("an error of another type: {x:?}"),
        },
    }
}

/// `get_error_types(eg)`: the kinds of the failures, sorted and de-duplicated.
fn kinds(eg: &ExceptionGroup) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = eg.errors().iter().map(kind).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The exception group of a failed group, or a panic describing what came instead.
fn failed<R: std::fmt::Debug>(out: Out<R>) -> ExceptionGroup {
    match out {
        Err(TaskGroupError::Failed(eg)) => eg,
        other => panic!("expected an ExceptionGroup, got {other:?}"),
    }
}

/// The group outcome a runner task ended with: its value, or the `TaskGroupError` it
/// raised (as an exception, or as its cancellation).
fn group_outcome<R>(r: Result<R, TaskError>) -> Out<R> {
    r.map_err(|e| match e {
        TaskError::Cancelled(c) => TaskGroupError::Cancelled(c),
        TaskError::Exception(x) => match x.downcast_ref::<TaskGroupError>() {
            Some(g) => g.clone(),
            None => panic!("expected a TaskGroupError, got {x:?}"),
        },
        TaskError::Panicked(p) => panic!("the runner panicked: {p}"),
    })
}

fn nested(eg: &ExceptionGroup) -> &ExceptionGroup {
    match eg.errors()[0].downcast_ref::<E>() {
        Some(E::Group(g)) => g,
        other => panic!("expected a nested group, got {other:?}"),
    }
}

async fn sleep_then<T>(d: Duration, v: T) -> Result<T, E> {
    asyncio::sleep(d).await?;
    Ok(v)
}

async fn crash_after(d: Duration, e: E) -> Result<(), E> {
    asyncio::sleep(d).await?;
    Err(e)
}

/// `try: await sleep(10) finally: 1 / 0`
async fn crash_on_cancel() -> Result<(), E> {
    let _ = asyncio::sleep(LONG).await;
    Err(E::ZeroDivision)
}

/// Counts started tasks; `wait_for(n)` returns once `n` have started.
#[derive(Clone, Default)]
struct Started(Arc<(AtomicUsize, std::sync::Mutex<Vec<asyncio::Future<()>>>)>);

impl Started {
    fn start(&self) {
        self.0 .0.fetch_add(1, Ordering::SeqCst);
        for f in self.0 .1.lock().unwrap().drain(..) {
            let _ = f.set_result(());
        }
    }

    async fn wait_for(&self, n: usize) {
        while self.0 .0.load(Ordering::SeqCst) < n {
            let f = event::<()>();
            self.0 .1.lock().unwrap().push(f.clone());
            if self.0 .0.load(Ordering::SeqCst) >= n {
                break;
            }
            f.await.unwrap();
        }
    }
}

// async with TaskGroup() as g: t1 = g.create_task(foo1()); t2 = g.create_task(foo2())
// -> t1.result() == 42; t2.result() == 11
#[test]
fn test_taskgroup_01() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out: Out<_> = Group::run(|g| async move {
                    let t1 = g
                        .create_task(sleep_then(Duration::from_millis(2), 42))
                        .unwrap();
                    let t2 = g
                        .create_task(sleep_then(Duration::from_millis(4), 11))
                        .unwrap();
                    Ok::<_, E>((t1, t2))
                })
                .await;
                let (t1, t2) = out.unwrap();
                assert!(t1.done() && t2.done(), "the group waited for its children");
                assert_eq!(t1.await.unwrap(), 42);
                assert_eq!(t2.await.unwrap(), 11);
            });
        }
    });
}

// t1 = g.create_task(foo1()); await sleep(0.15); t2 = g.create_task(foo2())
#[test]
fn test_taskgroup_02() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out: Out<_> = Group::run(|g| async move {
                    let t1 = g
                        .create_task(sleep_then(Duration::from_millis(2), 42))
                        .unwrap();
                    asyncio::sleep(Duration::from_millis(3)).await?;
                    let t2 = g
                        .create_task(sleep_then(Duration::from_millis(2), 11))
                        .unwrap();
                    Ok::<_, E>((t1, t2))
                })
                .await;
                let (t1, t2) = out.unwrap();
                assert_eq!(t1.await.unwrap(), 42);
                assert_eq!(t2.await.unwrap(), 11);
            });
        }
    });
}

// t1 = g.create_task(foo1()); await sleep(0.15); t1.cancel(); t2 = g.create_task(foo2())
// -> t1.cancelled(); t2.result() == 11
#[test]
fn test_taskgroup_03() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out: Out<_> = Group::run(|g| async move {
                    let t1 = g.create_task(sleep_then(LONG, 42)).unwrap();
                    asyncio::sleep(Duration::from_millis(1)).await?;
                    // Cancel t1 explicitly: everything else goes on as expected.
                    t1.cancel(None);
                    let t2 = g
                        .create_task(sleep_then(Duration::from_millis(2), 11))
                        .unwrap();
                    Ok::<_, E>((t1, t2))
                })
                .await;
                let (t1, t2) = out.unwrap();
                assert!(t1.cancelled());
                assert_eq!(t2.await.unwrap(), 11);
            });
        }
    });
}

// foo1: sleep(0.1); 1 / 0   foo2: try: sleep(1) except CancelledError: t2_cancel = True
// runner: async with TaskGroup() as g: g.create_task(foo1()); t2 = g.create_task(foo2())
//         NUM += 10
// -> ExceptionGroup {ZeroDivisionError}; NUM == 0; t2_cancel; t2.cancelled()
#[test]
fn test_taskgroup_04() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let trace = Trace::new();
                let tr = trace.clone();
                let runner = asyncio::create_task(async move {
                    let tr2 = tr.clone();
                    let out: Out<_> = Group::run(|g| async move {
                        g.create_task(crash_after(Duration::from_millis(1), E::ZeroDivision))
                            .unwrap();
                        let t2 = g
                            .create_task(async move {
                                if let Err(c) = asyncio::sleep(LONG).await {
                                    tr2.push("t2_cancel");
                                    return Err(E::from(c));
                                }
                                tr2.push("NUM += 1");
                                Ok(())
                            })
                            .unwrap();
                        Ok::<_, E>(t2)
                    })
                    .await;
                    if out.is_ok() {
                        tr.push("NUM += 10");
                    }
                    out
                });
                let runner_ref = runner.task_ref();
                let out = group_outcome(runner.await);
                let t2 = match &out {
                    Ok(t2) => panic!("expected an ExceptionGroup, t2 = {t2:?}"),
                    Err(_) => failed(out),
                };
                assert_eq!(kinds(&t2), ["ZeroDivision"]);
                assert_eq!(trace.get(), ["t2_cancel"]);
                assert!(!runner_ref.cancelled());
            });
        }
    });
}

// Three children fail, one sleeps; the body sleeps too: the sleeping child and the body
// are cancelled; the ExceptionGroup holds only ZeroDivisionErrors.
#[test]
fn test_cancel_children_on_child_error() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let trace = Trace::new();
                let tr = trace.clone();
                let runner = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|g| async move {
                        for _ in 0..3 {
                            g.create_task(crash_after(Duration::from_millis(1), E::ZeroDivision))
                                .unwrap();
                        }
                        let t2 = tr.clone();
                        g.create_task(async move {
                            if let Err(c) = asyncio::sleep(LONG).await {
                                t2.push("t2_cancel");
                                return Err(E::from(c));
                            }
                            Ok(())
                        })
                        .unwrap();
                        if let Err(c) = asyncio::sleep(LONG).await {
                            tr.push("runner_cancel");
                            return Err(E::from(c));
                        }
                        Ok(())
                    })
                    .await;
                    out
                });
                let eg = failed(group_outcome(runner.await));
                assert_eq!(kinds(&eg), ["ZeroDivision"]);
                // The three children can be racy when the host is busy: 1 to 3 of them.
                assert!((1..=3).contains(&eg.errors().len()), "{eg:?}");
                let mut t = trace.get();
                t.sort();
                assert_eq!(t, ["runner_cancel", "t2_cancel"]);
            });
        }
    });
}

// foo: try: await sleep(5) except CancelledError: NUM += 1; raise
// runner: async with TaskGroup() as g: for _ in range(5): g.create_task(foo())
// r = create_task(runner()); await sleep(0.1); r.cancel() -> CancelledError; NUM == 5
#[test]
fn test_cancellation() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let num = Arc::new(AtomicUsize::new(0));
                let started = Started::default();
                let (nm, st) = (num.clone(), started.clone());
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|g| async move {
                        for _ in 0..5 {
                            let (nm, st) = (nm.clone(), st.clone());
                            g.create_task(async move {
                                st.start();
                                if let Err(c) = asyncio::sleep(LONG).await {
                                    nm.fetch_add(1, Ordering::SeqCst);
                                    return Err(E::from(c));
                                }
                                Ok(())
                            })
                            .unwrap();
                        }
                        Ok::<_, E>(())
                    })
                    .await;
                    out
                });
                started.wait_for(5).await;
                assert!(!r.done());
                r.cancel(None);
                let r_ref = r.task_ref();
                let err = r.await.unwrap_err();
                assert!(err.is_cancelled());
                assert!(r_ref.cancelled());
                assert_eq!(num.load(Ordering::SeqCst), 5);
            });
        }
    });
}

// As test_cancellation, the body also catching (NUM += 10) and re-raising -> NUM == 15
#[test]
fn test_taskgroup_07() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let num = Arc::new(AtomicUsize::new(0));
                let started = Started::default();
                let (nm, st) = (num.clone(), started.clone());
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|g| async move {
                        for _ in 0..5 {
                            let (nm, st) = (nm.clone(), st.clone());
                            g.create_task(async move {
                                st.start();
                                if let Err(c) = asyncio::sleep(LONG).await {
                                    nm.fetch_add(1, Ordering::SeqCst);
                                    return Err(E::from(c));
                                }
                                Ok(())
                            })
                            .unwrap();
                        }
                        st.start();
                        if let Err(c) = asyncio::sleep(LONG).await {
                            nm.fetch_add(10, Ordering::SeqCst);
                            return Err(E::from(c));
                        }
                        Ok(())
                    })
                    .await;
                    out
                });
                started.wait_for(6).await;
                r.cancel(None);
                assert!(r.await.unwrap_err().is_cancelled());
                assert_eq!(num.load(Ordering::SeqCst), 15);
            });
        }
    });
}

// foo: try: await sleep(10) finally: 1 / 0
// runner: 5 x g.create_task(foo()); await sleep(10)
// r = create_task(runner()); await sleep(0.1); r.cancel()
// -> `await r` raises ExceptionGroup {ZeroDivisionError} (r is not cancelled)
#[test]
fn test_taskgroup_08() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = Started::default();
                let st = started.clone();
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|g| async move {
                        for _ in 0..5 {
                            let st = st.clone();
                            g.create_task(async move {
                                st.start();
                                crash_on_cancel().await
                            })
                            .unwrap();
                        }
                        asyncio::sleep(LONG).await?;
                        Ok::<_, E>(())
                    })
                    .await;
                    out
                });
                let r_ref = r.task_ref();
                started.wait_for(5).await;
                r.cancel(None);
                let out = r.await.map_err(|e| e.untracked());
                assert!(
                    !r_ref.cancelled(),
                    "the task returning the ExceptionGroup must not end cancelled: {out:?}"
                );
                let eg = failed(group_outcome(out));
                assert_eq!(kinds(&eg), ["ZeroDivision"]);
                assert_eq!(eg.errors().len(), 5);
            });
        }
    });
}

// runner: t1 = g.create_task(foo1()); t2 = g.create_task(foo2()); await sleep(0.1); 1 / 0
// -> ExceptionGroup {ZeroDivisionError}; t1, t2 cancelled      (test_taskgroup_09)
// The same without the sleep                                  (test_taskgroup_10)
#[test]
fn test_taskgroup_09_10() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            for sleep_first in [true, false] {
                rt(n).block_on(async move {
                    let kids: Arc<std::sync::Mutex<Vec<TaskRef>>> = Arc::default();
                    let k = kids.clone();
                    let out: Out<()> = Group::run(|g| async move {
                        let t1 = g.create_task(sleep_then(LONG, 42)).unwrap();
                        let t2 = g.create_task(sleep_then(LONG, 11)).unwrap();
                        k.lock().unwrap().extend([t1.task_ref(), t2.task_ref()]);
                        if sleep_first {
                            asyncio::sleep(Duration::from_millis(1)).await?;
                        }
                        Err::<(), _>(E::ZeroDivision)
                    })
                    .await;
                    let eg = failed(out);
                    assert_eq!(kinds(&eg), ["ZeroDivision"]);
                    for t in kids.lock().unwrap().iter() {
                        assert!(t.cancelled());
                    }
                    let me = asyncio::current_task().unwrap();
                    assert_eq!(me.cancelling(), 0);
                    asyncio::sleep(Duration::ZERO).await.expect("not cancelled");
                });
            }
        }
    });
}

// runner: async with TaskGroup(): async with TaskGroup() as g2:
//             5 x g2.create_task(foo()) (crash on cancel); await sleep(10)
// r.cancel() -> ExceptionGroup {ExceptionGroup {ZeroDivisionError}}
#[test]
fn test_taskgroup_11() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = Started::default();
                let st = started.clone();
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|_g1| async move {
                        Group::run(|g2| async move {
                            for _ in 0..5 {
                                let st = st.clone();
                                g2.create_task(async move {
                                    st.start();
                                    crash_on_cancel().await
                                })
                                .unwrap();
                            }
                            asyncio::sleep(LONG).await?;
                            Ok::<_, E>(())
                        })
                        .await?;
                        Ok::<_, E>(())
                    })
                    .await;
                    out
                });
                let r_ref = r.task_ref();
                started.wait_for(5).await;
                r.cancel(None);
                let out = r.await.map_err(|e| e.untracked());
                assert!(!r_ref.cancelled(), "r raises the ExceptionGroup: {out:?}");
                let eg = failed(group_outcome(out));
                assert_eq!(kinds(&eg), ["Group"]);
                assert_eq!(kinds(nested(&eg)), ["ZeroDivision"]);
            });
        }
    });
}

// crash_after(t): await sleep(t); raise ValueError(t)
// g1.create_task(crash_after(0.1)); nested g2.create_task(crash_after(10))
// -> ExceptionGroup {ValueError}                              (test_taskgroup_13)
#[test]
fn test_taskgroup_13() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let r = asyncio::create_task(async {
                    let out: Out<()> = Group::run(|g1| async move {
                        g1.create_task(crash_after(Duration::from_millis(1), E::Value))
                            .unwrap();
                        Group::run(|g2| async move {
                            g2.create_task(crash_after(LONG, E::Value)).unwrap();
                            Ok::<_, E>(())
                        })
                        .await?;
                        Ok::<_, E>(())
                    })
                    .await;
                    out
                });
                let r_ref = r.task_ref();
                let eg = failed(group_outcome(r.await));
                assert_eq!(kinds(&eg), ["Value"]);
                assert_eq!(eg.errors().len(), 1);
                assert!(!r_ref.cancelled());
            });
        }
    });
}

// g1.create_task(crash_after(10)); nested g2.create_task(crash_after(0.1))
// -> ExceptionGroup {ExceptionGroup {ValueError}}             (test_taskgroup_14)
#[test]
fn test_taskgroup_14() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let r = asyncio::create_task(async {
                    let out: Out<()> = Group::run(|g1| async move {
                        g1.create_task(crash_after(LONG, E::Value)).unwrap();
                        Group::run(|g2| async move {
                            g2.create_task(crash_after(Duration::from_millis(1), E::Value))
                                .unwrap();
                            Ok::<_, E>(())
                        })
                        .await?;
                        Ok::<_, E>(())
                    })
                    .await;
                    out
                });
                let eg = failed(group_outcome(r.await));
                assert_eq!(kinds(&eg), ["Group"]);
                assert_eq!(kinds(nested(&eg)), ["Value"]);
            });
        }
    });
}

// import asyncio
// async def main():
//     gate = asyncio.Event(); started = asyncio.Event()
//     async def crash_soon():
//         await gate.wait(); 1/0
//     async def runner():
//         async with asyncio.TaskGroup() as g1:
//             g1.create_task(crash_soon())
//             try:
//                 started.set(); await asyncio.sleep(10)
//             except asyncio.CancelledError:
//                 gate.set()
//                 await asyncio.sleep(10)
//                 raise
//     r = asyncio.create_task(runner())
//     await started.wait()
//     r.cancel()
//     try: await r
//     except ExceptionGroup as eg: print("EG", [type(e).__name__ for e in eg.exceptions], r.cancelled())
// asyncio.run(main())
// -> EG ['ZeroDivisionError'] False                           (test_taskgroup_15)
#[test]
fn test_taskgroup_15() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (gate, started) = (event::<()>(), event::<()>());
                let (gt, st) = (gate.clone(), started.clone());
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|g1| async move {
                        let gt2 = gt.clone();
                        g1.create_task(async move {
                            gt2.await
                                .map_err(|e| E::from(e.as_cancelled().unwrap().clone()))?;
                            Err::<(), _>(E::ZeroDivision)
                        })
                        .unwrap();
                        st.set_result(()).unwrap();
                        if asyncio::sleep(LONG).await.is_err() {
                            gt.set_result(()).unwrap();
                            asyncio::sleep(LONG).await?;
                        }
                        Ok::<_, E>(())
                    })
                    .await;
                    out
                });
                let r_ref = r.task_ref();
                started.await.unwrap();
                r.cancel(None);
                let out = r.await.map_err(|e| e.untracked());
                assert!(!r_ref.cancelled(), "r raises the ExceptionGroup: {out:?}");
                assert_eq!(kinds(&failed(group_outcome(out))), ["ZeroDivision"]);
            });
        }
    });
}

// runner: async with TaskGroup():
//             try: await sleep(10) except CancelledError: NUM += 10; raise
// r.cancel() -> CancelledError; NUM == 10                     (test_taskgroup_17)
#[test]
fn test_taskgroup_17() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let num = Arc::new(AtomicUsize::new(0));
                let started = event::<()>();
                let (nm, st) = (num.clone(), started.clone());
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|_g| async move {
                        st.set_result(()).unwrap();
                        if let Err(c) = asyncio::sleep(LONG).await {
                            nm.fetch_add(10, Ordering::SeqCst);
                            return Err(E::from(c));
                        }
                        Ok(())
                    })
                    .await;
                    out
                });
                started.await.unwrap();
                r.cancel(None);
                let r_ref = r.task_ref();
                assert!(r.await.unwrap_err().is_cancelled());
                assert!(r_ref.cancelled());
                assert_eq!(num.load(Ordering::SeqCst), 10);
            });
        }
    });
}

// import asyncio
// class MyExc(Exception): pass
// async def main():
//     NUM = 0
//     started = asyncio.Event()
//     async def runner():
//         nonlocal NUM
//         async with asyncio.TaskGroup():
//             try:
//                 started.set()
//                 await asyncio.sleep(10)
//             except asyncio.CancelledError:
//                 NUM += 10
//                 raise MyExc
//     r = asyncio.create_task(runner())
//     await started.wait()
//     r.cancel()
//     try: await r
//     except ExceptionGroup as eg: print("EG", [type(e).__name__ for e in eg.exceptions], r.cancelled(), NUM)
// asyncio.run(main())
// -> EG ['MyExc'] False 10                                    (test_taskgroup_18)
#[test]
fn test_taskgroup_18() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let num = Arc::new(AtomicUsize::new(0));
                let started = event::<()>();
                let (nm, st) = (num.clone(), started.clone());
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|_g| async move {
                        st.set_result(()).unwrap();
                        if asyncio::sleep(LONG).await.is_err() {
                            nm.fetch_add(10, Ordering::SeqCst);
                            // This isn't a good idea, but we have to support this weird case.
                            return Err(E::My);
                        }
                        Ok(())
                    })
                    .await;
                    out
                });
                let r_ref = r.task_ref();
                started.await.unwrap();
                r.cancel(None);
                let out = r.await.map_err(|e| e.untracked());
                assert_eq!(num.load(Ordering::SeqCst), 10);
                assert!(!r_ref.cancelled(), "r raises the ExceptionGroup: {out:?}");
                assert_eq!(kinds(&failed(group_outcome(out))), ["My"]);
            });
        }
    });
}

// crash_soon: sleep(0.1); 1 / 0     nested: try: await sleep(10) finally: raise MyExc
// runner: g.create_task(crash_soon()); await nested()
// -> ExceptionGroup {MyExc, ZeroDivisionError}                (test_taskgroup_19)
#[test]
fn test_taskgroup_19() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out: Out<()> = Group::run(|g| async move {
                    g.create_task(crash_after(Duration::from_millis(1), E::ZeroDivision))
                        .unwrap();
                    // nested(): try: await sleep(10) finally: raise MyExc
                    let _ = asyncio::sleep(LONG).await;
                    Err(E::My)
                })
                .await;
                let eg = failed(out);
                assert_eq!(kinds(&eg), ["My", "ZeroDivision"]);
                // Children's failures first, then the body's.
                assert!(matches!(eg.errors()[1].downcast_ref::<E>(), Some(E::My)));
                assert_eq!(asyncio::current_task().unwrap().cancelling(), 0);
            });
        }
    });
}

fn my_base_exc() -> Result<(), E> {
    panic!("MyBaseExc")
}

// crash_soon: sleep(0.1); raise MyBaseExc     nested: try: sleep(10) finally: raise TypeError
// -> BaseExceptionGroup {MyBaseExc, TypeError}                (test_taskgroup_21a)
// A child's panic is a failure like any other.
#[test]
fn test_taskgroup_21a() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out: Out<()> = Group::run(|g| async move {
                    g.create_task(async {
                        asyncio::sleep(Duration::from_millis(1)).await?;
                        my_base_exc()
                    })
                    .unwrap();
                    let _ = asyncio::sleep(LONG).await;
                    Err(E::Runtime)
                })
                .await;
                let eg = failed(out);
                assert_eq!(kinds(&eg), ["Panicked", "Runtime"]);
                match &eg.errors()[0] {
                    TaskError::Panicked(p) => assert_eq!(p.message(), "MyBaseExc"),
                    other => panic!("{other:?}"),
                }
            });
        }
    });
}

// runner: g.create_task(foo1()); g.create_task(foo2())
// r = create_task(runner()); await sleep(0.05); r.cancel() -> CancelledError
#[test]
fn test_taskgroup_22() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = Started::default();
                let st = started.clone();
                let kids: Arc<std::sync::Mutex<Vec<TaskRef>>> = Arc::default();
                let k = kids.clone();
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|g| async move {
                        for v in [42, 11] {
                            let st = st.clone();
                            let t = g
                                .create_task(async move {
                                    st.start();
                                    sleep_then(LONG, v).await
                                })
                                .unwrap();
                            k.lock().unwrap().push(t.task_ref());
                        }
                        Ok::<_, E>(())
                    })
                    .await;
                    out
                });
                started.wait_for(2).await;
                r.cancel(None);
                assert!(r.await.unwrap_err().is_cancelled());
                for t in kids.lock().unwrap().iter() {
                    assert!(t.cancelled());
                }
            });
        }
    });
}

// root(g): await sleep(0.1); g.create_task(coro1(0.1)); g.create_task(coro1(0.2))
// runner: async with TaskGroup() as g: g.create_task(root(g))  -> completes
#[test]
fn test_taskgroup_24() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let created: Arc<std::sync::Mutex<Vec<TaskRef>>> = Arc::default();
                let c = created.clone();
                let out: Out<()> = Group::run(|g| async move {
                    let g2 = g.clone();
                    g.create_task(async move {
                        asyncio::sleep(Duration::from_millis(1)).await?;
                        for d in [1, 2] {
                            let t = g2
                                .create_task(sleep_then(Duration::from_millis(d), ()))
                                .unwrap();
                            c.lock().unwrap().push(t.task_ref());
                        }
                        Ok::<_, E>(())
                    })
                    .unwrap();
                    Ok::<_, E>(())
                })
                .await;
                out.unwrap();
                let created = created.lock().unwrap();
                assert_eq!(created.len(), 2);
                for t in created.iter() {
                    assert!(
                        t.done() && !t.cancelled(),
                        "the group waited for late children"
                    );
                }
            });
        }
    });
}

// hydra(g): nhydras += 1; await sleep(0.01); g.create_task(hydra(g)) x 2
// hercules(): while nhydras < 10: await sleep(0.015); 1 / 0
// -> ExceptionGroup {ZeroDivisionError}; nhydras >= 10        (test_taskgroup_25)
#[test]
fn test_taskgroup_25() {
    util::deadline(|| {
        /// hydra(g): nhydras += 1; await sleep; g.create_task(hydra(g)) twice.
        fn hydra(g: &Group, n: &Arc<AtomicUsize>) -> Result<(), asyncio::RuntimeError> {
            let (g2, n2) = (g.clone(), n.clone());
            g.create_task(async move {
                n2.fetch_add(1, Ordering::SeqCst);
                asyncio::sleep(Duration::from_millis(1)).await?;
                for _ in 0..2 {
                    if hydra(&g2, &n2).is_err() {
                        break; // the group is shutting down
                    }
                }
                Ok::<_, E>(())
            })
            .map(drop)
        }
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let nhydras = Arc::new(AtomicUsize::new(0));
                let nh = nhydras.clone();
                let out: Out<()> = Group::run(|g| async move {
                    hydra(&g, &nh).unwrap();
                    g.create_task(async move {
                        while nh.load(Ordering::SeqCst) < 10 {
                            asyncio::sleep(Duration::from_millis(1)).await?;
                        }
                        Err::<(), _>(E::ZeroDivision)
                    })
                    .unwrap();
                    Ok::<_, E>(())
                })
                .await;
                assert_eq!(kinds(&failed(out)), ["ZeroDivision"]);
                assert!(nhydras.load(Ordering::SeqCst) >= 10);
            });
        }
    });
}

// coro1: sleep(0.001); 1 / 0
// coro2(g): try: await sleep(1) except CancelledError:
//               with assertRaises(RuntimeError): g.create_task(coro1())
// -> ExceptionGroup {ZeroDivisionError}
#[test]
fn test_taskgroup_no_create_task_after_failure() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let refused = Trace::new();
                let rf = refused.clone();
                let out: Out<()> = Group::run(|g| async move {
                    g.create_task(crash_after(Duration::from_millis(1), E::ZeroDivision))
                        .unwrap();
                    let g2 = g.clone();
                    g.create_task(async move {
                        if asyncio::sleep(LONG).await.is_err() {
                            match g2.create_task(crash_after(Duration::ZERO, E::ZeroDivision)) {
                                Err(e) => rf.push(e.to_string()),
                                Ok(_) => rf.push("created"),
                            }
                        }
                        Ok::<_, E>(())
                    })
                    .unwrap();
                    Ok::<_, E>(())
                })
                .await;
                assert_eq!(kinds(&failed(out)), ["ZeroDivision"]);
                let refused = refused.get();
                assert_eq!(refused.len(), 1);
                assert!(refused[0].contains("shutting down"), "{refused:?}");
            });
        }
    });
}

// tg = TaskGroup(); async with tg: pass
// with assertRaisesRegex(RuntimeError, "is finished"): tg.create_task(coro)
#[test]
fn test_taskgroup_finished() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out: Out<Group> = Group::run(|g| async move { Ok::<_, E>(g.clone()) }).await;
                let tg = out.unwrap();
                let polled = Arc::new(AtomicUsize::new(0));
                let p = polled.clone();
                let err = tg
                    .create_task(async move {
                        p.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, E>(())
                    })
                    .unwrap_err();
                assert!(err.to_string().contains("finished"), "{err}");
                asyncio::sleep(Duration::ZERO).await.unwrap();
                assert_eq!(polled.load(Ordering::SeqCst), 0, "the future never runs");
            });
        }
    });
}

// try: async with TaskGroup() as tg: tg.create_task(raise_after(0.0, RuntimeError))
// except* RuntimeError: pass
// -> current_task().cancelling() == 0                         (test_cancelling_level_preserved)
#[test]
fn test_cancelling_level_preserved() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let out: Out<()> = Group::run(|g| async move {
                    g.create_task(crash_after(Duration::ZERO, E::Runtime))
                        .unwrap();
                    Ok::<_, E>(())
                })
                .await;
                assert_eq!(kinds(&failed(out)), ["Runtime"]);
                let me = asyncio::current_task().unwrap();
                assert_eq!(me.cancelling(), 0);
                asyncio::sleep(Duration::ZERO).await.expect("not cancelled");
            });
        }
    });
}

// import asyncio
// async def main():
//     async def raise_after(t, e):
//         await asyncio.sleep(t); raise e()
//     try:
//         async with asyncio.TaskGroup() as outer_tg:
//             try:
//                 async with asyncio.TaskGroup() as inner_tg:
//                     inner_tg.create_task(raise_after(0, RuntimeError))
//                     outer_tg.create_task(raise_after(0, ValueError))
//             except* RuntimeError as eg:
//                 print("inner", [type(e).__name__ for e in eg.exceptions])
//             print("after inner", asyncio.current_task().cancelling())
//     except* ValueError as eg:
//         print("outer", [type(e).__name__ for e in eg.exceptions])
//     print("after outer", asyncio.current_task().cancelling())
//     await asyncio.sleep(0); print("not cancelled")
// asyncio.run(main())
// -> inner ['RuntimeError'] / after inner 1 / outer ['ValueError'] / after outer 0 /
//    not cancelled
#[test]
fn test_nested_groups_both_cancelled() {
    util::deadline(|| {
        rt1().block_on(async {
            let trace = Trace::new();
            let tr = trace.clone();
            let out: Out<()> = Group::run(|outer_tg| async move {
                let inner: Out<()> = Group::run(|inner_tg| async move {
                    inner_tg
                        .create_task(crash_after(Duration::ZERO, E::Runtime))
                        .unwrap();
                    outer_tg
                        .create_task(crash_after(Duration::ZERO, E::Value))
                        .unwrap();
                    Ok::<_, E>(())
                })
                .await;
                match inner {
                    Err(TaskGroupError::Failed(eg)) => tr.push(format!("inner {:?}", kinds(&eg))),
                    other => panic!("RuntimeError not raised: {other:?}"),
                }
                let me = asyncio::current_task().unwrap();
                tr.push(format!("after inner {}", me.cancelling()));
                Ok::<_, E>(())
            })
            .await;
            trace.push(format!("outer {:?}", kinds(&failed(out))));
            let me = asyncio::current_task().unwrap();
            trace.push(format!("after outer {}", me.cancelling()));
            if asyncio::sleep(Duration::ZERO).await.is_ok() {
                trace.push("not cancelled");
            }
            assert_eq!(
                trace.get(),
                [
                    "inner [\"Runtime\"]",
                    "after inner 1",
                    "outer [\"Value\"]",
                    "after outer 0",
                    "not cancelled"
                ]
            );
        });
    });
}

// import asyncio
// async def main():
//     event = asyncio.Event()
//     async def raise_error():
//         event.set(); await asyncio.sleep(0); raise RuntimeError()
//     async def inner():
//         try:
//             async with asyncio.TaskGroup() as tg:
//                 tg.create_task(raise_error())
//                 await asyncio.sleep(1)
//                 print("not reached")
//         except* RuntimeError:
//             print("except*", asyncio.current_task().cancelling())
//         print("after", asyncio.current_task().cancelling())
//         await asyncio.sleep(1)
//         print("not reached 2")
//     t = asyncio.create_task(inner())
//     await event.wait()
//     print("before cancel", t.cancelling())
//     t.cancel()
//     print("after cancel", t.cancelling())
//     try: await t
//     except asyncio.CancelledError: print("cancelled", t.cancelled())
// asyncio.run(main())
// -> before cancel 0 / after cancel 1 / except* 1 / after 1 / cancelled True
#[test]
fn test_error_and_cancel() {
    util::deadline(|| {
        rt1().block_on(async {
            let trace = Trace::new();
            let tr = trace.clone();
            let ev = event::<()>();
            let e2 = ev.clone();
            let t = asyncio::create_task(async move {
                let out: Out<()> = Group::run(|tg| async move {
                    tg.create_task(async move {
                        e2.set_result(()).unwrap();
                        asyncio::sleep(Duration::ZERO).await?;
                        Err::<(), _>(E::Runtime)
                    })
                    .unwrap();
                    asyncio::sleep(Duration::from_secs(1)).await?;
                    if true {
                        panic!("sleep in group should have been cancelled");
                    }
                    Ok::<(), E>(())
                })
                .await;
                let me = asyncio::current_task().unwrap();
                match out {
                    Err(TaskGroupError::Failed(eg)) if kinds(&eg) == ["Runtime"] => {
                        tr.push(format!("except* {}", me.cancelling()))
                    }
                    other => panic!("{other:?}"),
                }
                tr.push(format!("after {}", me.cancelling()));
                asyncio::sleep(Duration::from_secs(1)).await?;
                tr.push("not reached 2");
                Ok::<_, CancelledError>(())
            });
            ev.await.unwrap();
            trace.push(format!("before cancel {}", t.cancelling()));
            t.cancel(None);
            trace.push(format!("after cancel {}", t.cancelling()));
            let t_ref = t.task_ref();
            if t.await.unwrap_err().is_cancelled() {
                trace.push(format!("cancelled {}", t_ref.cancelled()));
            }
            assert_eq!(
                trace.get(),
                [
                    "before cancel 0",
                    "after cancel 1",
                    "except* 1",
                    "after 1",
                    "cancelled true"
                ]
            );
        });
    });
}

// A child that swallows its cancellation (and finishes) does not hang the group: the
// group exits once it is done, and it is not a failure.
#[test]
fn test_taskgroup_child_swallows_cancel() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let swallowed = Arc::new(AtomicUsize::new(0));
                let s = swallowed.clone();
                let out: Out<()> = Group::run(|g| async move {
                    g.create_task(async move {
                        if asyncio::sleep(LONG).await.is_err() {
                            // Caught; a little cleanup that awaits, then a normal return.
                            asyncio::sleep(Duration::from_millis(1)).await?;
                            s.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok::<_, E>(())
                    })
                    .unwrap();
                    g.create_task(crash_after(Duration::from_millis(1), E::Value))
                        .unwrap();
                    Ok::<_, E>(())
                })
                .await;
                let eg = failed(out);
                assert_eq!(kinds(&eg), ["Value"]);
                assert_eq!(
                    eg.errors().len(),
                    1,
                    "the swallowing child is not a failure"
                );
                assert_eq!(swallowed.load(Ordering::SeqCst), 1);
            });
        }
    });
}

// An outer timeout around a TaskGroup still gives TimeoutError (the group uses
// uncancel() the 3.11+ way), whether it expires in the body or while the group waits
// for its children; afterwards the task is not cancelled.
#[test]
fn test_taskgroup_inside_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                for body_waits in [true, false] {
                    let kids: Arc<std::sync::Mutex<Vec<TaskRef>>> = Arc::default();
                    let k = kids.clone();
                    let r = asyncio::timeout(Some(Duration::from_millis(5)))
                        .run(Group::run(|g| async move {
                            for _ in 0..3 {
                                let t = g.create_task(sleep_then(LONG, ())).unwrap();
                                k.lock().unwrap().push(t.task_ref());
                            }
                            if body_waits {
                                asyncio::sleep(LONG).await?;
                            }
                            Ok::<_, E>(())
                        }))
                        .await;
                    assert!(
                        matches!(r, Err(TimeoutError { .. })),
                        "body_waits={body_waits}: {r:?}"
                    );
                    for t in kids.lock().unwrap().iter() {
                        assert!(t.cancelled());
                        assert_eq!(t.hooks(), 0);
                    }
                    let me = asyncio::current_task().unwrap();
                    assert_eq!(me.cancelling(), 0);
                    asyncio::sleep(Duration::ZERO).await.expect("not cancelled");
                    assert_eq!(handle.live_timers(), 0);
                }
            });
        }
    });
}

// A cancellation of the task running a group leaves no hook on the children and no
// timer once the group has exited.
#[test]
fn test_taskgroup_parent_cancel_leaves_no_hooks_or_timers() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let started = Started::default();
                let st = started.clone();
                let kids: Arc<std::sync::Mutex<Vec<TaskRef>>> = Arc::default();
                let k = kids.clone();
                let r = asyncio::create_task(async move {
                    let out: Out<()> = Group::run(|g| async move {
                        for _ in 0..4 {
                            let st = st.clone();
                            let t = g
                                .create_task(async move {
                                    st.start();
                                    sleep_then(LONG, ()).await
                                })
                                .unwrap();
                            k.lock().unwrap().push(t.task_ref());
                        }
                        asyncio::timeout(Some(LONG))
                            .run(asyncio::sleep(LONG))
                            .await
                            .expect("no timeout")?;
                        Ok::<_, E>(())
                    })
                    .await;
                    out
                });
                started.wait_for(4).await;
                r.cancel(Some("shutdown"));
                let err = r.await.unwrap_err();
                assert_eq!(err.as_cancelled().unwrap().message(), Some("shutdown"));
                let kids = kids.lock().unwrap().clone();
                all_done(&kids).await;
                for t in &kids {
                    assert!(t.cancelled());
                    assert_eq!(t.hooks(), 0);
                }
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// import asyncio
// async def main():
//     asyncio.current_task().cancel("pending")
//     async with asyncio.TaskGroup() as tg:
//         pass
//     print("group exited normally")
//     try: await asyncio.sleep(0)
//     except asyncio.CancelledError as e: print("sleep raised", e.args)
// asyncio.run(main())
// -> group exited normally / sleep raised ('pending',)
// (a group with no child left to wait for does not suspend at its exit)
#[test]
fn test_taskgroup_no_children_with_pending_cancel() {
    util::deadline(|| {
        rt1().block_on(async {
            asyncio::current_task().unwrap().cancel(Some("pending"));
            let out: Out<u8> = Group::run(|_tg| async { Ok::<_, E>(5) }).await;
            let out = out.map_err(|e| match e {
                TaskGroupError::Cancelled(c) => format!("Cancelled({:?})", c.message()),
                TaskGroupError::Failed(eg) => format!("{eg:?}"),
            });
            assert_eq!(out, Ok(5), "the group exits normally");
            let err = asyncio::sleep(Duration::ZERO).await.unwrap_err();
            assert_eq!(err.message(), Some("pending"));
        });
    });
}

// Eager children (the runtime's eager task factory): one that finishes in its first
// step gives its result; one that fails in its first step fails the group at once.
// async with TaskGroup() as tg:  (loop.set_task_factory(asyncio.eager_task_factory))
//     a = tg.create_task(ok()); tg.create_task(fail()); await sleep(10)
// -> ExceptionGroup {ValueError}; a.result() == 1
#[test]
fn test_taskgroup_eager_children() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = asyncio::Builder::new()
                .worker_threads(n)
                .eager_tasks(true)
                .build()
                .unwrap();
            rt.block_on(async {
                let a: Slot<asyncio::Task<u8>> = Arc::default();
                let a2 = a.clone();
                let out: Out<()> = Group::run(|tg| async move {
                    let t = tg.create_task(async { Ok::<_, E>(1u8) }).unwrap();
                    assert!(t.done(), "finished in its eager step");
                    *a2.lock().unwrap() = Some(t);
                    tg.create_task(async { Err::<(), _>(E::Value) }).unwrap();
                    asyncio::sleep(LONG).await?;
                    Ok::<_, E>(())
                })
                .await;
                assert_eq!(kinds(&failed(out)), ["Value"]);
                let a = a.lock().unwrap().take().unwrap();
                assert_eq!(a.result().unwrap().unwrap(), 1);
            });
        }
    });
}
