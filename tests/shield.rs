//! `shield` (docs/design.md §4.4): cancelling the task that awaits a shield raises
//! `CancelledError` there while the shielded task goes on; the shielded task's own
//! outcome (value, panic, cancellation) reaches the awaiter; nothing is left registered
//! on the shielded task.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_tasks.py` (`test_shield_*`,
//! `test_gather_shield`).

mod util;

use asyncio::test_util::{HandleTestExt, TaskRefTestExt};
use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asyncio::{CancelledError, TaskError, TaskRef, ALL_COMPLETED};
use util::{cancel_msg, rt, rt1, Trace, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

fn event<T: Send + 'static>() -> asyncio::Future<T> {
    asyncio::Future::new()
}

async fn all_done(tasks: &[TaskRef]) {
    asyncio::wait(tasks.to_vec(), None, ALL_COMPLETED)
        .await
        .unwrap();
}

/// A task that returns what `f` is set to (cancelling it cancels `f`).
fn waiting_on(f: &asyncio::Future<i32>) -> asyncio::Task<i32> {
    let f = f.clone();
    asyncio::create_task(f.into_future())
}

// inner = Future(); outer = shield(inner); inner.set_result(42); await outer -> 42
#[test]
fn test_shield_result() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = event::<i32>();
                let inner = waiting_on(&fut);
                let outer = asyncio::create_task(asyncio::shield(inner));
                fut.set_result(42).unwrap();
                assert_eq!(outer.await.unwrap(), 42);
            });
        }
    });
}

// inner.set_exception(RuntimeError('expected')) -> outer.exception() is exc
#[test]
fn test_shield_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = event::<()>();
                let f = fut.clone();
                let inner = asyncio::create_task(async move {
                    f.await.unwrap();
                    if true {
                        panic!("expected");
                    }
                });
                let outer = asyncio::create_task(async move { asyncio::shield(inner).await });
                fut.set_result(()).unwrap();
                match outer.await {
                    Err(TaskError::Panicked(p)) => assert_eq!(p.message(), "expected"),
                    other => panic!("{other:?}"),
                }
            });
        }
    });
}

// inner.cancel() -> outer.cancelled()
#[test]
fn test_shield_cancel_inner() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = event::<i32>();
                let inner = waiting_on(&fut);
                let inner_ref = inner.task_ref();
                let outer = asyncio::create_task(async move {
                    // Propagated: the inner task's cancellation cancels the awaiter.
                    let v = asyncio::shield(inner).await?;
                    Ok::<_, TaskError>(v)
                });
                inner_ref.cancel(Some("inner"));
                let outer_ref = outer.task_ref();
                let err: TaskError = outer.await.unwrap_err();
                assert_eq!(cancel_msg(&err).as_deref(), Some("inner"));
                assert!(outer_ref.cancelled());
                assert!(inner_ref.cancelled());
            });
        }
    });
}

// outer.cancel() -> outer.cancelled(); no callback left on the inner future
#[test]
fn test_shield_cancel_outer() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let fut = event::<i32>();
                let inner = waiting_on(&fut);
                let inner_ref = inner.task_ref();
                let started = event::<()>();
                let s = started.clone();
                let outer = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    let v = asyncio::shield(inner).await?;
                    Ok::<_, TaskError>(v)
                });
                started.await.unwrap();
                outer.cancel(Some("outer"));
                let outer_ref = outer.task_ref();
                let err = outer.await.unwrap_err();
                assert_eq!(cancel_msg(&err).as_deref(), Some("outer"));
                assert!(outer_ref.cancelled());
                assert!(!inner_ref.done(), "the shielded task goes on");
                assert_eq!(inner_ref.hooks(), 0, "nothing left on the inner task");
                fut.set_result(1).unwrap();
                all_done(std::slice::from_ref(&inner_ref)).await;
                assert!(!inner_ref.cancelled());
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// fut.set_result(42); run_until_complete(shield(fut)) -> 42
#[test]
fn test_shield_shortcut() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async { 42 });
                all_done(&[t.task_ref()]).await;
                assert_eq!(asyncio::shield(t).await.unwrap(), 42);
            });
        }
    });
}

// import asyncio
// async def main():
//     async def coro(): return 42
//     t = asyncio.create_task(coro())
//     await asyncio.sleep(0)
//     asyncio.current_task().cancel("pending")
//     print(await asyncio.shield(t))
//     try: await asyncio.sleep(0)
//     except asyncio.CancelledError as e: print("sleep raised", e.args)
// asyncio.run(main())
// -> 42 / sleep raised ('pending',)   (shield of a done task returns it: no suspension)
#[test]
fn test_shield_shortcut_with_pending_cancel() {
    util::deadline(|| {
        rt1().block_on(async {
            let t = asyncio::create_task(async { 42 });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            asyncio::current_task().unwrap().cancel(Some("pending"));
            let v = asyncio::shield(t).await.map_err(|e| e.untracked());
            assert_eq!(
                v.as_ref().ok(),
                Some(&42),
                "awaiting the shield of a done task does not suspend, so gives its result: {v:?}"
            );
            let err = asyncio::sleep(Duration::ZERO).await.unwrap_err();
            assert_eq!(err.message(), Some("pending"));
        });
    });
}

// async def inner(): await waiter; proof += 1
// async def outer(): await shield(inner()); proof += 100
// f = ensure_future(outer()); run_briefly; f.cancel() -> CancelledError;
// waiter.set_result(None); run_briefly -> proof == 1
#[test]
fn test_shield_effect() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let proof = Arc::new(AtomicUsize::new(0));
                let waiter = event::<()>();
                let started = event::<()>();
                let (p, w, s) = (proof.clone(), waiter.clone(), started.clone());
                let inner = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    w.await.unwrap();
                    p.fetch_add(1, Ordering::SeqCst);
                });
                let inner_ref = inner.task_ref();
                let p = proof.clone();
                let f = asyncio::create_task(async move {
                    asyncio::shield(inner).await?;
                    p.fetch_add(100, Ordering::SeqCst);
                    Ok::<_, TaskError>(())
                });
                started.await.unwrap();
                f.cancel(None);
                assert!(f.await.unwrap_err().is_cancelled());
                waiter.set_result(()).unwrap();
                all_done(&[inner_ref]).await;
                assert_eq!(proof.load(Ordering::SeqCst), 1);
            });
        }
    });
}

// parent = gather(child1, child2); outer = shield(parent); outer.cancel()
// -> outer.cancelled(); child1=1, child2=2 -> parent.result() == [1, 2]
#[test]
fn test_shield_gather() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (f1, f2) = (event::<i32>(), event::<i32>());
                let (c1, c2) = (waiting_on(&f1), waiting_on(&f2));
                let parent = asyncio::create_task(asyncio::gather(vec![c1, c2]));
                let parent_ref = parent.task_ref();
                let outer = asyncio::create_task(async move {
                    let _v = asyncio::shield(parent).await?;
                    Ok::<_, TaskError>(())
                });
                outer.cancel(None);
                let outer_ref = outer.task_ref();
                assert!(outer.await.unwrap_err().is_cancelled());
                assert!(outer_ref.cancelled());
                f1.set_result(1).unwrap();
                f2.set_result(2).unwrap();
                all_done(std::slice::from_ref(&parent_ref)).await;
                assert!(!parent_ref.cancelled());
                assert!(
                    parent_ref.exception().unwrap().is_none(),
                    "parent == [1, 2]"
                );
            });
        }
    });
}

// inner1 = shield(child1); inner2 = shield(child2); parent = gather(inner1, inner2)
// parent.cancel() -> inner1, inner2 cancelled; child1, child2 are not
#[test]
fn test_gather_shield() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (f1, f2) = (event::<i32>(), event::<i32>());
                let (c1, c2) = (waiting_on(&f1), waiting_on(&f2));
                let (r1, r2) = (c1.task_ref(), c2.task_ref());
                let inner1 = asyncio::create_task(asyncio::shield(c1));
                let inner2 = asyncio::create_task(asyncio::shield(c2));
                let (i1, i2) = (inner1.task_ref(), inner2.task_ref());
                let started = event::<()>();
                let s = started.clone();
                let parent = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    asyncio::gather(vec![inner1, inner2]).await
                });
                started.await.unwrap();
                parent.cancel(None);
                assert!(parent.await.unwrap_err().is_cancelled());
                all_done(&[i1.clone(), i2.clone()]).await;
                assert!(i1.cancelled() && i2.cancelled());
                assert!(
                    !r1.done() && !r2.done(),
                    "the shielded children are untouched"
                );
                f1.set_result(1).unwrap();
                f2.set_result(2).unwrap();
                all_done(&[r1.clone(), r2.clone()]).await;
                assert!(!r1.cancelled() && !r2.cancelled());
            });
        }
    });
}

// A cancellation while awaiting a shield inside a timeout scope leaves no hook on the
// shielded task and no timer.
#[test]
fn test_shield_cancel_outer_leaves_no_hooks_or_timers() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let fut = event::<i32>();
                let inner = waiting_on(&fut);
                let inner_ref = inner.task_ref();
                let started = event::<()>();
                let s = started.clone();
                let outer = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    let r = asyncio::wait_for(asyncio::shield(inner), Some(LONG)).await;
                    let _v = r.expect("no timeout")?;
                    Ok::<_, TaskError>(())
                });
                started.await.unwrap();
                outer.cancel(None);
                assert!(outer.await.unwrap_err().is_cancelled());
                assert_eq!(inner_ref.hooks(), 0);
                assert_eq!(handle.live_timers(), 0, "the scope's timer is gone");
                assert!(!inner_ref.done());
                fut.set_result(7).unwrap();
                all_done(&[inner_ref]).await;
            });
        }
    });
}

// The shielded task can be inspected and taken back.
#[test]
fn test_shield_into_inner() {
    util::deadline(|| {
        rt1().block_on(async {
            let t = asyncio::create_task(async {
                asyncio::sleep(Duration::from_millis(1)).await?;
                Ok::<_, CancelledError>(5)
            });
            let id = t.id();
            let s = asyncio::shield(t);
            assert_eq!(s.task().id(), id);
            let t = s.into_inner();
            assert_eq!(t.await.unwrap(), 5);
        });
    });
}

/// `True`/`False`, as Python prints a bool.
fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

// import asyncio
//
// async def main():
//     trace = []
//     async def inner():
//         trace.append("inner start")
//         await asyncio.sleep(0)
//         trace.append("inner done")
//         return 7
//     async def ticker():
//         for i in range(5):
//             trace.append(f"tick{i}")
//             await asyncio.sleep(0)
//     t = asyncio.create_task(inner())
//     k = asyncio.create_task(ticker())
//     r = await asyncio.shield(t)
//     trace.append(f"shield gave {r}")
//     await k
//     print(trace)
//
// asyncio.run(main())
// -> ['inner start', 'tick0', 'inner done', 'tick1', 'tick2', 'shield gave 7', 'tick3',
//     'tick4']
//
// Two hops after the inner task finishes: its done callback sets the outer future
// (after `tick1`), whose done callback wakes the awaiter (after `tick2`). Awaiting `t`
// directly would resume right after `tick1`.
#[test]
fn test_shield_resumes_two_hops_after_inner() {
    util::deadline(|| {
        let trace = rt1().block_on(async {
            let trace = Trace::new();
            let tr = trace.clone();
            let t = asyncio::create_task(async move {
                tr.push("inner start");
                asyncio::sleep(Duration::ZERO).await.unwrap();
                tr.push("inner done");
                7
            });
            let tr = trace.clone();
            let k = asyncio::create_task(async move {
                for i in 0..5 {
                    tr.push(format!("tick{i}"));
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                }
            });
            let r = asyncio::shield(t).await.unwrap();
            trace.push(format!("shield gave {r}"));
            k.await.unwrap();
            trace.get()
        });
        assert_eq!(
            trace,
            [
                "inner start",
                "tick0",
                "inner done",
                "tick1",
                "tick2",
                "shield gave 7",
                "tick3",
                "tick4"
            ]
        );
    });
}

// import asyncio
//
// async def main():
//     for uncancel in (False, True):
//         trace = []
//         loop = asyncio.get_running_loop()
//         fut = loop.create_future()
//         async def inner():
//             await fut
//             trace.append("inner done")
//             return 1
//         t = asyncio.create_task(inner())
//         async def awaiter():
//             try:
//                 r = await asyncio.shield(t)
//                 trace.append(f"awaiter got {r}")
//             except asyncio.CancelledError as e:
//                 trace.append(f"awaiter cancelled {e.args} "
//                              f"cancelling={asyncio.current_task().cancelling()}")
//         a = asyncio.create_task(awaiter())
//         await asyncio.sleep(0)
//         fut.set_result(None)
//         trace.append(f"cancel {a.cancel('stop')}")
//         if uncancel:
//             trace.append(f"uncancel {a.uncancel()}")
//         await a
//         await asyncio.sleep(0)
//         trace.append(f"a.cancelled={a.cancelled()} t.result={t.result()}")
//         print(trace)
//
// asyncio.run(main())
// -> ['cancel True', 'inner done', "awaiter cancelled ('stop',) cancelling=1",
//     'a.cancelled=False t.result=1']
//    ['cancel True', 'uncancel 0', 'inner done', "awaiter cancelled ('stop',) cancelling=0",
//     'a.cancelled=False t.result=1']
//
// The cancel cancels the outer future at once: the inner task, woken before the awaiter,
// finishes first, and an `uncancel()` before the awaiter runs withdraws nothing.
#[test]
fn test_shield_cancel_then_inner_finishes_or_uncancel() {
    util::deadline(|| {
        for uncancel in [false, true] {
            let trace = rt1().block_on(async move {
                let trace = Trace::new();
                let fut = event::<()>();
                let (tr, f) = (trace.clone(), fut.clone());
                let t = asyncio::create_task(async move {
                    f.await.unwrap();
                    tr.push("inner done");
                    1
                });
                let t_ref = t.task_ref();
                let tr = trace.clone();
                let a = asyncio::create_task(async move {
                    match asyncio::shield(t).await {
                        Ok(r) => tr.push(format!("awaiter got {r}")),
                        Err(e) => {
                            let me = asyncio::current_task().unwrap();
                            tr.push(format!(
                                "awaiter cancelled ('{}',) cancelling={}",
                                cancel_msg(&e).unwrap(),
                                me.cancelling()
                            ));
                        }
                    }
                });
                asyncio::sleep(Duration::ZERO).await.unwrap();
                fut.set_result(()).unwrap();
                trace.push(format!("cancel {}", py_bool(a.cancel(Some("stop")))));
                if uncancel {
                    trace.push(format!("uncancel {}", a.uncancel()));
                }
                let a_ref = a.task_ref();
                a.await.unwrap();
                asyncio::sleep(Duration::ZERO).await.unwrap();
                trace.push(format!(
                    "a.cancelled={} t.result={}",
                    py_bool(a_ref.cancelled()),
                    // The handle went with the shield: `t` returned (1).
                    if t_ref.exception().unwrap().is_none() {
                        "1"
                    } else {
                        "?"
                    }
                ));
                trace.get()
            });
            let mut expected = vec!["cancel True"];
            if uncancel {
                expected.push("uncancel 0");
            }
            expected.push("inner done");
            expected.push(if uncancel {
                "awaiter cancelled ('stop',) cancelling=0"
            } else {
                "awaiter cancelled ('stop',) cancelling=1"
            });
            expected.push("a.cancelled=False t.result=1");
            assert_eq!(trace, expected, "uncancel={uncancel}");
        }
    });
}

// import asyncio
//
// async def main():
//     trace = []
//     async def inner():
//         await asyncio.sleep(0)
//         trace.append("inner done")
//         return 1
//     async def ticker():
//         for i in range(4):
//             trace.append(f"tick{i}")
//             await asyncio.sleep(0)
//     t = asyncio.create_task(inner())
//     async def awaiter():
//         asyncio.current_task().cancel("self")
//         try:
//             await asyncio.shield(t)
//         except asyncio.CancelledError as e:
//             trace.append(f"awaiter cancelled {e.args}")
//     a = asyncio.create_task(awaiter())
//     k = asyncio.create_task(ticker())
//     await a
//     await k
//     trace.append(f"t cancelled: {t.cancelled()}")
//     print(trace)
//
// asyncio.run(main())
// -> ['tick0', 'inner done', "awaiter cancelled ('self',)", 'tick1', 'tick2', 'tick3',
//     't cancelled: False']
//
// A cancel requested during the step that reaches the shield cancels the outer future
// (asyncio's `__step` cancels the future the coroutine yields), not the inner task; the
// awaiter receives it one hop later, before the inner's result could reach it.
#[test]
fn test_shield_cancel_requested_in_the_same_step() {
    util::deadline(|| {
        let trace = rt1().block_on(async {
            let trace = Trace::new();
            let tr = trace.clone();
            let t = asyncio::create_task(async move {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                tr.push("inner done");
                1
            });
            let t_ref = t.task_ref();
            let tr = trace.clone();
            let a = asyncio::create_task(async move {
                asyncio::current_task().unwrap().cancel(Some("self"));
                if let Err(e) = asyncio::shield(t).await {
                    tr.push(format!(
                        "awaiter cancelled ('{}',)",
                        cancel_msg(&e).unwrap()
                    ));
                }
            });
            let tr = trace.clone();
            let k = asyncio::create_task(async move {
                for i in 0..4 {
                    tr.push(format!("tick{i}"));
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                }
            });
            a.await.unwrap();
            k.await.unwrap();
            trace.push(format!("t cancelled: {}", py_bool(t_ref.cancelled())));
            trace.get()
        });
        assert_eq!(
            trace,
            [
                "tick0",
                "inner done",
                "awaiter cancelled ('self',)",
                "tick1",
                "tick2",
                "tick3",
                "t cancelled: False"
            ]
        );
    });
}

// import asyncio
//
// async def main():
//     trace = []
//     loop = asyncio.get_running_loop()
//     fut = loop.create_future()
//     async def inner():
//         await fut
//         trace.append("inner done")
//         return 5
//     t = asyncio.create_task(inner())
//     async def awaiter():
//         try:
//             r = await asyncio.shield(t)
//             trace.append(f"a got {r}")
//         except asyncio.CancelledError as e:
//             trace.append(f"a raised {e.args}")
//             raise
//     a = asyncio.create_task(awaiter())
//     await asyncio.sleep(0)
//     fut.set_result(None)
//     await asyncio.sleep(0)  # inner finishes; its done callback is scheduled
//     await asyncio.sleep(0)  # the callback has set the outer; the awaiter is scheduled
//     trace.append(f"outer set: {a._fut_waiter.done()}")
//     trace.append(f"cancel {a.cancel('late')}")
//     try:
//         await a
//     except asyncio.CancelledError:
//         pass
//     trace.append(f"a.cancelled={a.cancelled()} t.result={t.result()}")
//     print(trace)
//
// asyncio.run(main())
// -> ['inner done', 'outer set: True', 'cancel True', "a raised ('late',)",
//     'a.cancelled=True t.result=5']
//
// The cancel lands once the outer future is set (the inner finished, the awaiter is
// scheduled but has not resumed): the outer refuses it, so it stays pending on the
// awaiter, and `__step` throws it in at `await outer` instead of sending the result
// (rule C.2). The inner task keeps its result. (`outer set` has no Rust counterpart: the
// Rust trace leaves that line out.)
#[test]
fn test_shield_cancel_after_outer_set_raises_at_the_shield() {
    util::deadline(|| {
        let trace = rt1().block_on(async {
            let trace = Trace::new();
            let fut = event::<()>();
            let (tr, f) = (trace.clone(), fut.clone());
            let t = asyncio::create_task(async move {
                f.await.unwrap();
                tr.push("inner done");
                5
            });
            let t_ref = t.task_ref();
            let tr = trace.clone();
            let a = asyncio::create_task(async move {
                match asyncio::shield(t).await {
                    Ok(r) => {
                        tr.push(format!("a got {r}"));
                        Ok(())
                    }
                    Err(e) => {
                        tr.push(format!("a raised ('{}',)", cancel_msg(&e).unwrap()));
                        Err(e)
                    }
                }
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            fut.set_result(()).unwrap();
            asyncio::sleep(Duration::ZERO).await.unwrap(); // inner finishes
            asyncio::sleep(Duration::ZERO).await.unwrap(); // the outer is set
            trace.push(format!("cancel {}", py_bool(a.cancel(Some("late")))));
            let a_ref = a.task_ref();
            let _ = a.await;
            trace.push(format!(
                "a.cancelled={} t.result={}",
                py_bool(a_ref.cancelled()),
                // The handle went with the shield: `t` returned (5) if it neither
                // raised nor was cancelled.
                if !t_ref.cancelled() && t_ref.exception().unwrap().is_none() {
                    "5"
                } else {
                    "?"
                }
            ));
            trace.get()
        });
        assert_eq!(
            trace,
            [
                "inner done",
                "cancel True",
                "a raised ('late',)",
                "a.cancelled=True t.result=5"
            ]
        );
    });
}
