//! `gather` (docs/design.md §4.4): results in argument order; by default the first failure is
//! raised to the awaiter while the other children keep running; `return_exceptions`
//! returns every outcome in place (untracked); cancelling the awaiting task cancels every
//! child and the gather ends cancelled; a child cancelled on its own is a
//! `CancelledError` (or an outcome in place); empty input; the typed tuple forms
//! `gather2`..`gather8`; no completion hook or timer is left behind.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_tasks.py` (`GatherTestsBase`,
//! `FutureGatherTests`, `CoroutineGatherTests`, `test_cancel_gather_1/2`).

mod util;

use asyncio::test_util::{HandleTestExt, TaskRefTestExt};
use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asyncio::{CancelledError, Task, TaskError, TaskRef, ALL_COMPLETED};
use util::{cancel_msg, rt, rt1, Trace, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

/// An event between tasks: an `asyncio::Future` set once.
fn event<T: Send + 'static>() -> asyncio::Future<T> {
    asyncio::Future::new()
}

/// A child that returns what `f` is set to; a negative value makes it panic (the
/// "exception"); cancelling it (or `f`) propagates the cancellation.
async fn child(f: asyncio::Future<i32>) -> Result<i32, TaskError> {
    let v = f.await?;
    if v < 0 {
        panic!("child failed with {v}");
    }
    Ok(v)
}

/// A child task of the tests: `child()` run as a task.
type Child = Task<i32>;

/// `n` futures and a child task waiting on each.
fn children(n: usize) -> (Vec<asyncio::Future<i32>>, Vec<Child>) {
    let futs: Vec<_> = (0..n).map(|_| event::<i32>()).collect();
    let tasks = futs
        .iter()
        .map(|f| asyncio::create_task(child(f.clone())))
        .collect();
    (futs, tasks)
}

/// Waits until every task in `tasks` is done, without consuming them.
async fn all_done(tasks: &[TaskRef]) {
    asyncio::wait(tasks.to_vec(), None, ALL_COMPLETED)
        .await
        .unwrap();
}

fn refs<T>(tasks: &[Task<T>]) -> Vec<TaskRef> {
    tasks.iter().map(|t| t.task_ref()).collect()
}

fn hooks(tasks: &[TaskRef]) -> Vec<usize> {
    tasks.iter().map(TaskRefTestExt::hooks).collect()
}

// a, b, c = futures; fut = gather(a, b, c); b.set_result(1); a.set_result(2)
// -> not done; c.set_result(3) -> [2, 1, 3]
fn check_success(return_exceptions: bool) {
    for n in WORKER_COUNTS {
        rt(n).block_on(async move {
            let (futs, tasks) = children(3);
            let r = refs(&tasks);
            let g = asyncio::create_task(async move {
                if return_exceptions {
                    let all = asyncio::gather(tasks).return_exceptions().await.unwrap();
                    all.into_iter().map(Result::unwrap).collect()
                } else {
                    asyncio::gather(tasks).await.unwrap()
                }
            });
            futs[1].set_result(1).unwrap();
            futs[0].set_result(2).unwrap();
            all_done(&r[..2]).await;
            assert!(!g.done(), "the gather waits for every child");
            futs[2].set_result(3).unwrap();
            assert_eq!(g.await.unwrap(), vec![2, 1, 3], "argument order");
        });
    }
}

#[test]
fn test_success() {
    util::deadline(|| {
        check_success(false);
    });
}

#[test]
fn test_result_exception_success() {
    util::deadline(|| {
        check_success(true);
    });
}

// a..e = futures; fut = gather(a, b, c, d, e); a.set_result(1); b.set_exception(exc)
// -> fut.exception() is exc; then c.set_result(3); d.cancel(); e.set_exception(..)
// "does nothing" to the gather.
#[test]
fn test_one_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (futs, tasks) = children(5);
                let r = refs(&tasks);
                let g = asyncio::create_task(async move {
                    Some(asyncio::gather(tasks).await.map_err(|e| e.untracked()))
                });
                futs[0].set_result(1).unwrap();
                futs[1].set_result(-1).unwrap();
                let err = g.await.unwrap().unwrap().unwrap_err();
                match err {
                    TaskError::Panicked(p) => assert_eq!(p.message(), "child failed with -1"),
                    other => panic!("expected b's panic, got {other:?}"),
                }
                // The other children keep running, and nothing of the gather is left on them.
                for t in &r[2..] {
                    assert!(!t.done() && !t.cancelled());
                }
                assert_eq!(hooks(&r), [0; 5], "no completion hook left behind");
                futs[2].set_result(3).unwrap();
                futs[3].cancel(None);
                futs[4].set_result(-5).unwrap();
                all_done(&r[2..]).await;
                assert!(r[3].cancelled());
                assert!(r[4].exception().unwrap().unwrap().is_panic());
                assert_eq!(hooks(&r), [0; 5]);
            });
        }
    });
}

// a, b, c, d = futures; fut = gather(a, b, c, d, return_exceptions=True)
// b=1, c=exc, a=3 -> not done; d=exc2 -> [3, 1, exc, exc2]
#[test]
fn test_return_exceptions() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (futs, tasks) = children(4);
                let r = refs(&tasks);
                let g = asyncio::create_task(asyncio::gather(tasks).return_exceptions());
                futs[1].set_result(1).unwrap();
                futs[2].set_result(-2).unwrap();
                futs[0].set_result(3).unwrap();
                all_done(&r[..3]).await;
                assert!(!g.done(), "return_exceptions waits for every child");
                futs[3].set_result(-4).unwrap();
                let out = g.await.unwrap();
                assert_eq!(out.len(), 4);
                assert_eq!(*out[0].as_ref().unwrap(), 3);
                assert_eq!(*out[1].as_ref().unwrap(), 1);
                for (i, msg) in [(2, "child failed with -2"), (3, "child failed with -4")] {
                    match &out[i] {
                        Err(TaskError::Panicked(p)) => assert_eq!(p.message(), msg),
                        other => panic!("slot {i}: {other:?}"),
                    }
                }
            });
        }
    });
}

// a..e = futures; fut = gather(a, b, c, d, e); a.set_result(1); b.cancel()
// -> fut done, not cancelled, fut.exception() is a CancelledError
#[test]
fn test_one_cancellation() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (futs, tasks) = children(5);
                let r = refs(&tasks);
                let g = asyncio::create_task(async move {
                    // Caught: the collector goes on and returns normally (the error is
                    // kept as a value, inside an `Option`).
                    Some(match asyncio::gather(tasks).await {
                        Err(e) => Err(e.untracked()),
                        Ok(v) => Ok(v.len()),
                    })
                });
                futs[0].set_result(1).unwrap();
                r[1].cancel(Some("b"));
                let g_ref = g.task_ref();
                let err = g.await.unwrap().unwrap().unwrap_err();
                assert_eq!(cancel_msg(&err).as_deref(), Some("b"));
                assert!(
                    !g_ref.cancelled(),
                    "the collector caught the CancelledError"
                );
                assert!(!r[2].done(), "the other children keep running");
                assert_eq!(hooks(&r), [0; 5]);
                futs[2].set_result(3).unwrap();
                futs[3].cancel(None);
                futs[4].set_result(5).unwrap();
                all_done(&r[2..]).await;
            });
        }
    });
}

// A child cancelled on its own reaches the awaiter as a CancelledError it tracks:
// propagated (`raise`), the awaiter ends cancelled with the child's message.
#[test]
fn test_one_cancellation_propagated_cancels_the_awaiter() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (_futs, tasks) = children(2);
                let r = refs(&tasks);
                let g = asyncio::create_task(async move {
                    asyncio::gather(tasks).await?;
                    Ok::<_, TaskError>(())
                });
                r[0].cancel(Some("on its own"));
                let err = g.await.unwrap_err();
                assert_eq!(cancel_msg(&err).as_deref(), Some("on its own"));
                r[1].cancel(None);
                all_done(&r).await;
            });
        }
    });
}

// a..f = futures; fut = gather(a, b, c, d, e, f, return_exceptions=True)
// a=1, b=zde, c.cancel() -> not done; d=3, e.cancel(), f=rte
// -> [1, zde, CancelledError, 3, CancelledError, rte]; the collector is not cancelled.
#[test]
fn test_result_exception_one_cancellation() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (futs, tasks) = children(6);
                let r = refs(&tasks);
                let g = asyncio::create_task(async move {
                    // Returned as values: the cancellations in place are untracked.
                    asyncio::gather(tasks).return_exceptions().await
                });
                futs[0].set_result(1).unwrap();
                futs[1].set_result(-1).unwrap();
                r[2].cancel(Some("c"));
                all_done(&r[..3]).await;
                assert!(!g.done());
                futs[3].set_result(3).unwrap();
                r[4].cancel(Some("e"));
                futs[5].set_result(-6).unwrap();
                let g_ref = g.task_ref();
                let out = g.await.unwrap();
                assert!(
                    !g_ref.cancelled(),
                    "outcomes collected as values do not cancel"
                );
                assert_eq!(*out[0].as_ref().unwrap(), 1);
                assert!(out[1].as_ref().unwrap_err().is_panic());
                assert_eq!(
                    cancel_msg(out[2].as_ref().unwrap_err()).as_deref(),
                    Some("c")
                );
                assert!(!out[2]
                    .as_ref()
                    .unwrap_err()
                    .as_cancelled()
                    .unwrap()
                    .is_tracked());
                assert_eq!(*out[3].as_ref().unwrap(), 3);
                assert_eq!(
                    cancel_msg(out[4].as_ref().unwrap_err()).as_deref(),
                    Some("e")
                );
                assert!(out[5].as_ref().unwrap_err().is_panic());
            });
        }
    });
}

// import asyncio
// async def main():
//     proof = 0
//     waiter = asyncio.get_running_loop().create_future()
//     async def inner():
//         nonlocal proof
//         await waiter; proof += 1
//     c1 = asyncio.create_task(inner()); c2 = asyncio.create_task(inner())
//     async def outer():
//         nonlocal proof
//         await asyncio.gather(c1, c2); proof += 100
//     f = asyncio.create_task(outer())
//     await asyncio.sleep(0)
//     print(f.cancel())
//     try: await f
//     except asyncio.CancelledError: print("outer cancelled", f.cancelled())
//     print(waiter.cancelled(), c1.cancelled(), c2.cancelled(), proof)
// asyncio.run(main())
// -> True / outer cancelled True / True True True 0
#[test]
fn test_cancellation_broadcast() {
    util::deadline(|| {
        let rt = rt1();
        let handle = rt.handle().clone();
        rt.block_on(async move {
            let proof = Arc::new(AtomicUsize::new(0));
            let waiter = event::<()>();
            let inner = |p: Arc<AtomicUsize>, w: asyncio::Future<()>| async move {
                w.await?;
                p.fetch_add(1, Ordering::SeqCst);
                Ok::<_, TaskError>(())
            };
            let c1 = asyncio::create_task(inner(proof.clone(), waiter.clone()));
            let c2 = asyncio::create_task(inner(proof.clone(), waiter.clone()));
            let r = vec![c1.task_ref(), c2.task_ref()];
            let p = proof.clone();
            let f = asyncio::create_task(async move {
                let _both = asyncio::gather2(c1, c2).await?;
                p.fetch_add(100, Ordering::SeqCst);
                Ok::<_, TaskError>(())
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            assert!(f.cancel(None));
            let f_ref = f.task_ref();
            assert!(f.await.unwrap_err().is_cancelled());
            assert!(f_ref.cancelled());
            assert!(waiter.cancelled());
            assert!(r[0].cancelled() && r[1].cancelled());
            asyncio::sleep(Duration::ZERO).await.unwrap();
            assert_eq!(proof.load(Ordering::SeqCst), 0);
            assert_eq!(hooks(&r), [0, 0], "no completion hook left on the children");
            assert_eq!(handle.live_timers(), 0);
        });
    });
}

// The same on several workers, with children sleeping (timers) and a cancel that can
// land at any moment: children end cancelled, the gather ends cancelled, and neither
// hooks nor timers are left behind.
#[test]
fn test_cancellation_broadcast_leaves_no_hooks_or_timers() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let started = event::<()>();
                let kids: Vec<_> = (0..4)
                    .map(|i| {
                        let s = started.clone();
                        asyncio::create_task(async move {
                            if i == 0 {
                                s.set_result(()).unwrap();
                            }
                            asyncio::sleep(LONG).await?;
                            Ok::<_, CancelledError>(i)
                        })
                    })
                    .collect();
                let r = refs(&kids);
                let f = asyncio::create_task(async move { asyncio::gather(kids).await });
                started.await.unwrap();
                f.cancel(Some("stop"));
                let f_ref = f.task_ref();
                let err = f.await.unwrap_err();
                assert_eq!(cancel_msg(&err).as_deref(), Some("stop"));
                assert!(f_ref.cancelled());
                // Whether the cancel was forwarded to the children (the outer task was
                // suspended in the gather) or delivered at the gather (it was still running),
                // nothing may stay registered on them; cancel them to finish.
                for t in &r {
                    t.cancel(None);
                }
                all_done(&r).await;
                assert_eq!(hooks(&r), [0; 4]);
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// Issue 32684: the gather is cancelled even when every child swallows the cancellation
// and returns a value, with return_exceptions too.
// import asyncio
// async def main():
//     async def kid(i):
//         try: await asyncio.sleep(10)
//         except asyncio.CancelledError: return i
//     ks = [asyncio.create_task(kid(i)) for i in range(3)]
//     async def outer(): return await asyncio.gather(*ks, return_exceptions=True)
//     f = asyncio.create_task(outer())
//     await asyncio.sleep(0)
//     f.cancel("m")
//     try: print(await f)
//     except asyncio.CancelledError as e: print("cancelled", e.args, [k.result() for k in ks])
// asyncio.run(main())
// -> cancelled () [0, 1, 2]     (the same with return_exceptions=False)
// (asyncio builds this CancelledError from the last child, which was not cancelled, so
// the message is lost; here it is the gather's: `m`.)
#[test]
fn test_gather_cancelled_even_if_children_swallow_cancel() {
    util::deadline(|| {
        for return_exceptions in [true, false] {
            rt1().block_on(async move {
                let kids: Vec<_> = (0..3)
                    .map(|i| {
                        asyncio::create_task(async move {
                            let _ = asyncio::sleep(LONG).await;
                            i
                        })
                    })
                    .collect();
                let r = refs(&kids);
                let f = asyncio::create_task(async move {
                    if return_exceptions {
                        asyncio::gather(kids).return_exceptions().await?;
                    } else {
                        asyncio::gather(kids).await?;
                    }
                    Ok::<_, TaskError>(())
                });
                asyncio::sleep(Duration::ZERO).await.unwrap();
                f.cancel(Some("m"));
                let err = f.await.unwrap_err();
                assert!(err.is_cancelled());
                for t in &r {
                    assert!(t.done() && !t.cancelled(), "children returned their values");
                }
            });
        }
    });
}

// import asyncio
// async def main():
//     async def child():
//         try: await asyncio.sleep(10)
//         except asyncio.CancelledError: print("child cancelled"); raise
//     c = asyncio.create_task(child())
//     await asyncio.sleep(0)
//     asyncio.current_task().cancel("self")
//     try: await asyncio.gather(c)
//     except asyncio.CancelledError as e: print("gather raised", e.args)
//     await asyncio.sleep(0)
//     print("child cancelled:", c.cancelled())
// asyncio.run(main())
// -> child cancelled / gather raised ('self',) / child cancelled: True
//
// A cancellation requested while the awaiting task runs (here by itself) is pending when
// it reaches the gather; asyncio cancels the gather's children with it.
#[test]
fn test_gather_pending_self_cancel_cancels_children() {
    util::deadline(|| {
        rt1().block_on(async {
            let trace = Trace::new();
            let tr = trace.clone();
            let c = asyncio::create_task(async move {
                if let Err(e) = asyncio::sleep(LONG).await {
                    tr.push("child cancelled");
                    return Err(e);
                }
                Ok(())
            });
            let c_ref = c.task_ref();
            asyncio::sleep(Duration::ZERO).await.unwrap();
            let tr = trace.clone();
            let outer = asyncio::create_task(async move {
                asyncio::current_task().unwrap().cancel(Some("self"));
                if let Err(e) = asyncio::gather(vec![c]).await {
                    tr.push(format!("gather raised {:?}", cancel_msg(&e)));
                }
                let _ = asyncio::sleep(Duration::ZERO).await;
            });
            outer.await.unwrap();
            if !c_ref.done() {
                // The child was left running: finish it so the test fails instead of hanging.
                c_ref.cancel(Some("cleanup"));
                all_done(std::slice::from_ref(&c_ref)).await;
            }
            assert_eq!(
                trace.get(),
                ["child cancelled", "gather raised Some(\"self\")"],
                "the pending cancellation must reach the gather's children"
            );
            assert!(c_ref.cancelled());
        });
    });
}

// On several workers, a `cancel()` from another thread racing with the awaiting task's
// first poll of the gather must still cancel the children (asyncio: a cancel during the
// step that yields the gather cancels the gather). Repeated to hit the window between
// the gather registering its completion hooks and registering itself as the waiter.
#[test]
fn test_gather_cancel_racing_first_poll_cancels_children() {
    util::deadline(|| {
        const ROUNDS: usize = 1000;
        let rt = rt(2);
        let handle = rt.handle().clone();
        let mut missed = 0;
        for _ in 0..ROUNDS {
            let gate = asyncio::Future::<()>::new_on(&handle);
            let g = gate.clone();
            let kid = handle.create_task(async move {
                g.await?;
                Ok::<_, TaskError>(())
            });
            let kid_ref = kid.task_ref();
            let outer = handle.create_task(async move { asyncio::gather(vec![kid]).await });
            // This thread is not a worker: cancel as soon as the gather is being polled.
            while kid_ref.hooks() == 0 && !outer.done() {
                std::hint::spin_loop();
            }
            outer.cancel(None);
            let outcome = rt.block_on(async move { outer.await.map_err(|e| e.untracked()) });
            assert!(outcome.is_err(), "the gather ends cancelled");
            if !kid_ref.cancelled() {
                missed += 1;
                // Finish the orphan.
                gate.set_result(()).unwrap();
                rt.block_on(async move { all_done(std::slice::from_ref(&kid_ref)).await });
            }
        }
        assert_eq!(
            missed, 0,
            "{missed} of {ROUNDS} cancels of a task entering a gather left its children running"
        );
    });
}

// fut = create_future()
// async def create():
//     async def child_coro(): return await fut
//     ... gather(child_coro()) awaited by a task
// fut.add_done_callback(lambda _: gather_task.cancel()); fut.set_result(42)
//
// import asyncio
// async def main():
//     fut = asyncio.get_running_loop().create_future()
//     async def child_coro(): return await fut
//     child = asyncio.create_task(child_coro())
//     async def gatherer(): return await asyncio.gather(child)
//     g = asyncio.create_task(gatherer())
//     await asyncio.sleep(0)
//     res = []
//     fut.add_done_callback(lambda _: res.append(g.cancel()))
//     fut.set_result(42)
//     try: print(await g)
//     except asyncio.CancelledError: print("gatherer cancelled")
//     print(res, g.cancelled(), child.cancelled(), child.result())
// asyncio.run(main())
// -> gatherer cancelled / [True] True False 42
//
// (CPython's test cancels the `_GatheringFuture` itself, which refuses once its children
// are done; here the gather is awaited by a task, as in the script.)
#[test]
fn test_cancel_gather_1() {
    util::deadline(|| {
        rt1().block_on(async {
            let fut = event::<i32>();
            let f = fut.clone();
            let child = asyncio::create_task(f.into_future());
            let child_ref = child.task_ref();
            let g = asyncio::create_task(async move { asyncio::gather(vec![child]).await });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            let res = Arc::new(std::sync::Mutex::new(Vec::new()));
            let (res2, g_ref) = (res.clone(), g.task_ref());
            fut.add_done_callback(move |_| res2.lock().unwrap().push(g_ref.cancel(None)));
            fut.set_result(42).unwrap();
            let g_ref = g.task_ref();
            assert!(g.await.unwrap_err().is_cancelled(), "gatherer cancelled");
            assert_eq!(*res.lock().unwrap(), [true]);
            assert!(g_ref.cancelled());
            assert!(!child_ref.cancelled());
            assert!(
                child_ref.exception().unwrap().is_none(),
                "the child returned 42"
            );
        });
    });
}

// async def test():
//     while True: await asyncio.gather(asyncio.sleep(0.05), return_exceptions=True) ...
// qwe = create_task(test()); await sleep(0.2); qwe.cancel(*args); await qwe
// -> CancelledError with exc.args == expected_args
#[test]
fn test_cancel_gather_2() {
    util::deadline(|| {
        for msg in [None, Some("my message")] {
            for n in WORKER_COUNTS {
                let err = rt(n).block_on(async move {
                    let started = event::<()>();
                    let s = started.clone();
                    let qwe = asyncio::create_task(async move {
                        for i in 0..100_000u32 {
                            let t = asyncio::create_task(asyncio::sleep(Duration::from_millis(1)));
                            asyncio::gather(vec![t]).return_exceptions().await?;
                            if i == 0 {
                                s.set_result(()).unwrap();
                            }
                        }
                        Ok::<_, CancelledError>(())
                    });
                    started.await.unwrap();
                    qwe.cancel(msg);
                    qwe.await.unwrap_err().untracked()
                });
                assert_eq!(cancel_msg(&err).as_deref(), msg, "workers={n}");
            }
        }
    });
}

// gather() -> [] (test_constructor_empty_sequence_use_running_loop)
//
// import asyncio
// async def main():
//     asyncio.current_task().cancel("x")
//     print(await asyncio.gather())
//     try: await asyncio.sleep(0)
//     except asyncio.CancelledError as e: print("sleep raised", e.args)
// asyncio.run(main())
// -> [] / sleep raised ('x',)   (awaiting a done gather does not suspend)
#[test]
fn test_constructor_empty_sequence_use_running_loop() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let v = asyncio::gather(Vec::<Task<u8>>::new()).await.unwrap();
                assert!(v.is_empty());
                let v = asyncio::gather(Vec::<Task<u8>>::new())
                    .return_exceptions()
                    .await
                    .unwrap();
                assert!(v.is_empty());
                asyncio::current_task().unwrap().cancel(Some("x"));
                let v = asyncio::gather(Vec::<Task<u8>>::new()).await.unwrap();
                assert!(v.is_empty());
                let err = asyncio::sleep(Duration::ZERO).await.unwrap_err();
                assert_eq!(err.message(), Some("x"));
            });
        }
    });
}

// Typed forms: tuples of 2..8 heterogeneous tasks, results in argument order.
#[test]
fn test_gather_typed_tuples() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                macro_rules! t {
                    ($e:expr) => {
                        asyncio::create_task(async move {
                            asyncio::sleep(Duration::ZERO).await.unwrap();
                            $e
                        })
                    };
                }
                let r2 = asyncio::gather2(t!(1u8), t!("two")).await.unwrap();
                assert_eq!(r2, (1, "two"));
                let r3 = asyncio::gather3(t!(1u8), t!("two"), t!(3.0f64))
                    .await
                    .unwrap();
                assert_eq!(r3, (1, "two", 3.0));
                let r4 = asyncio::gather4(t!(1u8), t!("two"), t!(3.0f64), t!('4'))
                    .await
                    .unwrap();
                assert_eq!(r4, (1, "two", 3.0, '4'));
                let r5 = asyncio::gather5(t!(1u8), t!("two"), t!(3.0f64), t!('4'), t!(5i64))
                    .await
                    .unwrap();
                assert_eq!(r5, (1, "two", 3.0, '4', 5));
                let r6 = asyncio::gather6(
                    t!(1u8),
                    t!("two"),
                    t!(3.0f64),
                    t!('4'),
                    t!(5i64),
                    t!(String::from("six")),
                )
                .await
                .unwrap();
                assert_eq!(r6, (1, "two", 3.0, '4', 5, "six".to_owned()));
                let r7 = asyncio::gather7(
                    t!(1u8),
                    t!("two"),
                    t!(3.0f64),
                    t!('4'),
                    t!(5i64),
                    t!(String::from("six")),
                    t!(vec![7u16]),
                )
                .await
                .unwrap();
                assert_eq!(r7.6, vec![7]);
                let r8 = asyncio::gather8(
                    t!(1u8),
                    t!("two"),
                    t!(3.0f64),
                    t!('4'),
                    t!(5i64),
                    t!(String::from("six")),
                    t!(vec![7u16]),
                    t!(Some(8u32)),
                )
                .await
                .unwrap();
                assert_eq!((r8.0, r8.1, r8.7), (1, "two", Some(8)));

                // The tuple forms with return_exceptions: every outcome in place.
                let bad = asyncio::create_task(async {
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                    if true {
                        panic!("third failed");
                    }
                });
                let (a, b, c) = asyncio::gather3(t!(1u8), t!("two"), bad)
                    .return_exceptions()
                    .await
                    .unwrap();
                assert_eq!((a.unwrap(), b.unwrap()), (1, "two"));
                let () = match c {
                    Err(TaskError::Panicked(p)) => assert_eq!(p.message(), "third failed"),
                    other => panic!("{other:?}"),
                };

                // And the default mode raises the failure.
                let bad = asyncio::create_task(async {
                    if true {
                        panic!("second failed")
                    }
                });
                let err = asyncio::gather2(t!(1u8), bad).await.unwrap_err();
                assert!(err.is_panic());
            });
        }
    });
}

// async def inner(f): await f; raise RuntimeError('should not be ignored')
// await gather(inner(a), inner(b)); a then b set -> outer raises a's error and b's
// later exception is marked retrieved (no "exception was never retrieved" log).
//
// import asyncio, gc
// async def main():
//     loop = asyncio.get_running_loop()
//     reports = []
//     loop.set_exception_handler(lambda l, ctx: reports.append(ctx["message"]))
//     a = loop.create_future(); b = loop.create_future()
//     async def inner(f):
//         await f
//         raise RuntimeError('should not be ignored')
//     ta = asyncio.create_task(inner(a)); tb = asyncio.create_task(inner(b))
//     async def outer(): await asyncio.gather(ta, tb)
//     o = asyncio.create_task(outer())
//     await asyncio.sleep(0)
//     a.set_result(None)
//     try: await o
//     except RuntimeError as e: print("outer raised", e)
//     b.set_result(None)
//     await asyncio.sleep(0); await asyncio.sleep(0)
//     del ta, tb; gc.collect()
//     await asyncio.sleep(0)
//     print("reports:", reports)
// asyncio.run(main())
// -> outer raised should not be ignored / reports: []
#[test]
fn test_exception_marking() {
    util::deadline(|| {
        let reports = Trace::new();
        let rep = reports.clone();
        let rt = asyncio::Builder::new()
            .worker_threads(1)
            .exception_handler(move |ctx| rep.push(ctx.to_string()))
            .build()
            .unwrap();
        rt.block_on(async {
            let (futs, tasks) = children(2);
            let r = refs(&tasks);
            let outer = asyncio::create_task(async move {
                Some(asyncio::gather(tasks).await.map_err(|e| e.untracked()))
            });
            futs[0].set_result(-1).unwrap();
            let err = outer.await.unwrap().unwrap().unwrap_err();
            assert!(err.is_panic());
            futs[1].set_result(-2).unwrap();
            all_done(&r).await;
        });
        drop(rt);
        assert_eq!(
            reports.get(),
            Vec::<String>::new(),
            "a gathered child failing after the gather returned is marked retrieved"
        );
    });
}

// ---------------------------------------------------------------------------------------
// The awaiter of a gather is woken once, when the gather completes; a gather whose
// children are all done (or, by default, one of which failed) completes without a loop
// iteration (3.12+ `gather` runs the done callbacks of done children before returning).
//
// The Python programs below count the steps of the awaiting task that go through the
// `await` with this wrapper (`counted.py`), the Rust tests with `Counted`:
//
// class Counted:
//     """Counts the steps of the awaiting task that go through this await."""
//     def __init__(self, aw):
//         self.aw = aw
//         self.polls = 0
//     def __await__(self):
//         it = self.aw.__await__()
//         value, exc = None, None
//         while True:
//             self.polls += 1
//             try:
//                 fut = it.throw(exc) if exc is not None else it.send(value)
//             except StopIteration as e:
//                 return e.value
//             try:
//                 value, exc = (yield fut), None
//             except BaseException as e:
//                 value, exc = None, e

/// Counts how often the wrapped future is polled (the Python `Counted`).
struct Counted<F> {
    inner: F,
    polls: Arc<AtomicUsize>,
}

fn counted<F>(inner: F) -> (Counted<F>, Arc<AtomicUsize>) {
    let polls = Arc::new(AtomicUsize::new(0));
    (
        Counted {
            inner,
            polls: polls.clone(),
        },
        polls,
    )
}

impl<F: std::future::Future + Unpin> std::future::Future for Counted<F> {
    type Output = F::Output;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        std::pin::Pin::new(&mut self.inner).poll(cx)
    }
}

/// `True`/`False`, as Python prints a bool.
fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// A child of the ordering tests: `steps` loop iterations, then `"<name> done"`.
fn stepping_child(trace: &Trace, name: &'static str, steps: usize) -> Task<&'static str> {
    let trace = trace.clone();
    asyncio::create_task(async move {
        for _ in 0..steps {
            asyncio::sleep(Duration::ZERO).await.unwrap();
        }
        trace.push(format!("{name} done"));
        name
    })
}

/// A task that logs `tick0`..`tick<n-1>`, one per loop iteration.
fn ticker(trace: &Trace, n: usize) -> Task<()> {
    let trace = trace.clone();
    asyncio::create_task(async move {
        for i in 0..n {
            trace.push(format!("tick{i}"));
            asyncio::sleep(Duration::ZERO).await.unwrap();
        }
    })
}

// import asyncio
// from counted import Counted
//
// async def main():
//     trace = []
//     async def child(name, steps):
//         for _ in range(steps):
//             await asyncio.sleep(0)
//         trace.append(f"{name} done")
//         return name
//     async def ticker():
//         for i in range(8):
//             trace.append(f"tick{i}")
//             await asyncio.sleep(0)
//     a = asyncio.create_task(child("a", 0))
//     b = asyncio.create_task(child("b", 2))
//     c = asyncio.create_task(child("c", 4))
//     k = asyncio.create_task(ticker())
//     g = Counted(asyncio.gather(a, b, c))
//     r = await g
//     trace.append(f"gathered {r} polls={g.polls}")
//     await k
//     print(trace)
//
// asyncio.run(main())
// -> ['a done', 'tick0', 'tick1', 'b done', 'tick2', 'tick3', 'c done', 'tick4', 'tick5',
//     "gathered ['a', 'b', 'c'] polls=2", 'tick6', 'tick7']
//
// The awaiter is not woken when `a` and `b` finish, only when the last child's done
// callback completes the gather; it resumes two hops after `c` finished.
#[test]
fn test_gather_wakes_awaiter_once() {
    util::deadline(|| {
        let trace = rt1().block_on(async {
            let trace = Trace::new();
            let a = stepping_child(&trace, "a", 0);
            let b = stepping_child(&trace, "b", 2);
            let c = stepping_child(&trace, "c", 4);
            let k = ticker(&trace, 8);
            let (g, polls) = counted(asyncio::gather3(a, b, c));
            let r = g.await.unwrap();
            trace.push(format!(
                "gathered {:?} polls={}",
                [r.0, r.1, r.2],
                polls.load(Ordering::SeqCst)
            ));
            k.await.unwrap();
            trace.get()
        });
        assert_eq!(
            trace,
            [
                "a done",
                "tick0",
                "tick1",
                "b done",
                "tick2",
                "tick3",
                "c done",
                "tick4",
                "tick5",
                "gathered [\"a\", \"b\", \"c\"] polls=2",
                "tick6",
                "tick7"
            ]
        );
    });
}

// import asyncio
// from counted import Counted
//
// async def main():
//     for return_exceptions in (False, True):
//         trace = []
//         async def child(name, steps, fail=False):
//             for _ in range(steps):
//                 await asyncio.sleep(0)
//             trace.append(f"{name} done")
//             if fail:
//                 raise RuntimeError(name)
//             return name
//         async def ticker():
//             for i in range(6):
//                 trace.append(f"tick{i}")
//                 await asyncio.sleep(0)
//         a = asyncio.create_task(child("a", 1))
//         b = asyncio.create_task(child("b", 2, fail=True))
//         c = asyncio.create_task(child("c", 3))
//         k = asyncio.create_task(ticker())
//         g = Counted(asyncio.gather(a, b, c, return_exceptions=return_exceptions))
//         try:
//             r = await g
//             trace.append(f"gathered {[str(x) for x in r]} polls={g.polls}")
//         except RuntimeError as e:
//             trace.append(f"gather raised {e} polls={g.polls}")
//         await k
//         await asyncio.gather(a, b, c, return_exceptions=True)
//         print(trace)
//
// asyncio.run(main())
// -> ['tick0', 'a done', 'tick1', 'b done', 'tick2', 'c done', 'tick3',
//     'gather raised b polls=2', 'tick4', 'tick5']
//    ['tick0', 'a done', 'tick1', 'b done', 'tick2', 'c done', 'tick3', 'tick4',
//     "gathered ['a', 'b', 'c'] polls=2", 'tick5']
//
// By default the first failure completes the gather (two hops after `b` failed); with
// `return_exceptions` a failure is an outcome like any other: only the last child wakes
// the awaiter. (Here the child's exception is a panic.)
#[test]
fn test_gather_wakes_awaiter_once_at_first_failure_or_last_outcome() {
    util::deadline(|| {
        for return_exceptions in [false, true] {
            let trace = rt1().block_on(async move {
                let trace = Trace::new();
                let child = |name: &'static str, steps: usize, fail: bool| {
                    let trace = trace.clone();
                    asyncio::create_task(async move {
                        for _ in 0..steps {
                            asyncio::sleep(Duration::ZERO).await.unwrap();
                        }
                        trace.push(format!("{name} done"));
                        if fail {
                            std::panic::panic_any(name);
                        }
                        name
                    })
                };
                let a = child("a", 1, false);
                let b = child("b", 2, true);
                let c = child("c", 3, false);
                let r = [a.task_ref(), b.task_ref(), c.task_ref()];
                let k = ticker(&trace, 6);
                if return_exceptions {
                    let (g, polls) = counted(asyncio::gather(vec![a, b, c]).return_exceptions());
                    let out: Vec<String> = g
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|o| match o {
                            Ok(v) => v.to_owned(),
                            Err(TaskError::Panicked(p)) => p.message().to_owned(),
                            Err(e) => panic!("{e:?}"),
                        })
                        .collect();
                    let polls = polls.load(Ordering::SeqCst);
                    trace.push(format!("gathered {out:?} polls={polls}"));
                } else {
                    let (g, polls) = counted(asyncio::gather(vec![a, b, c]));
                    match g.await {
                        Err(TaskError::Panicked(p)) => {
                            let polls = polls.load(Ordering::SeqCst);
                            trace.push(format!("gather raised {} polls={polls}", p.message()))
                        }
                        other => panic!("{other:?}"),
                    }
                }
                k.await.unwrap();
                all_done(&r).await;
                trace.get()
            });
            let expected: &[&str] = if return_exceptions {
                &[
                    "tick0",
                    "a done",
                    "tick1",
                    "b done",
                    "tick2",
                    "c done",
                    "tick3",
                    "tick4",
                    "gathered [\"a\", \"b\", \"c\"] polls=2",
                    "tick5",
                ]
            } else {
                &[
                    "tick0",
                    "a done",
                    "tick1",
                    "b done",
                    "tick2",
                    "c done",
                    "tick3",
                    "gather raised b polls=2",
                    "tick4",
                    "tick5",
                ]
            };
            assert_eq!(trace, expected, "return_exceptions={return_exceptions}");
        }
    });
}

// import asyncio
// from counted import Counted
//
// async def main():
//     trace = []
//     loop = asyncio.get_running_loop()
//     async def child(name):
//         trace.append(f"{name} done")
//         return name
//     a = asyncio.create_task(child("a"))
//     b = asyncio.create_task(child("b"))
//     c = asyncio.create_task(child("c"))
//     d = asyncio.create_task(child("d"))
//     await asyncio.sleep(0)
//     loop.call_soon(trace.append, "cb")
//     g = Counted(asyncio.gather(a, b))
//     r = await g
//     trace.append(f"gathered {r} polls={g.polls}")
//     g = Counted(asyncio.gather(c, d, return_exceptions=True))
//     r = await g
//     trace.append(f"gathered {r} polls={g.polls}")
//     await asyncio.sleep(0)
//     print(trace)
//
// asyncio.run(main())
// -> ['a done', 'b done', 'c done', 'd done', "gathered ['a', 'b'] polls=1",
//     "gathered ['c', 'd'] polls=1", 'cb']
//
// Every child is done: awaiting the gather does not suspend (`cb`, queued before, runs
// after both gathers).
#[test]
fn test_gather_of_done_children_does_not_suspend() {
    util::deadline(|| {
        let trace = rt1().block_on(async {
            let trace = Trace::new();
            let [a, b, c, d] = ["a", "b", "c", "d"].map(|name| stepping_child(&trace, name, 0));
            asyncio::sleep(Duration::ZERO).await.unwrap();
            let tr = trace.clone();
            asyncio::call_soon(move || tr.push("cb"));
            let (g, polls) = counted(asyncio::gather(vec![a, b]));
            let r = g.await.unwrap();
            trace.push(format!(
                "gathered {r:?} polls={}",
                polls.load(Ordering::SeqCst)
            ));
            let (g, polls) = counted(asyncio::gather(vec![c, d]).return_exceptions());
            let r: Vec<_> = g.await.unwrap().into_iter().map(Result::unwrap).collect();
            trace.push(format!(
                "gathered {r:?} polls={}",
                polls.load(Ordering::SeqCst)
            ));
            asyncio::sleep(Duration::ZERO).await.unwrap();
            trace.get()
        });
        assert_eq!(
            trace,
            [
                "a done",
                "b done",
                "c done",
                "d done",
                "gathered [\"a\", \"b\"] polls=1",
                "gathered [\"c\", \"d\"] polls=1",
                "cb"
            ]
        );
    });
}

// import asyncio
// from counted import Counted
//
// async def main():
//     trace = []
//     loop = asyncio.get_running_loop()
//     fut = loop.create_future()
//     async def bad():
//         trace.append("bad done")
//         raise RuntimeError("bad")
//     async def slow():
//         await fut
//         trace.append("slow done")
//         return "slow"
//     b = asyncio.create_task(bad())
//     s = asyncio.create_task(slow())
//     await asyncio.sleep(0)
//     loop.call_soon(trace.append, "cb")
//     g = Counted(asyncio.gather(s, b))
//     try:
//         await g
//     except RuntimeError as e:
//         trace.append(f"gather raised {e} polls={g.polls}")
//     fut.set_result(None)
//     await asyncio.wait([s])
//     trace.append(f"s cancelled: {s.cancelled()}")
//     print(trace)
//
// asyncio.run(main())
// -> ['bad done', 'gather raised bad polls=1', 'cb', 'slow done', 's cancelled: False']
//
// A child already failed: the gather fails at once although another child is pending,
// which keeps running.
#[test]
fn test_gather_of_a_done_failed_child_does_not_suspend() {
    util::deadline(|| {
        let trace = rt1().block_on(async {
            let trace = Trace::new();
            let fut = event::<()>();
            let tr = trace.clone();
            let b = asyncio::create_task(async move {
                tr.push("bad done");
                if true {
                    std::panic::panic_any("bad");
                }
            });
            let (tr, f) = (trace.clone(), fut.clone());
            let s = asyncio::create_task(async move {
                f.await.unwrap();
                tr.push("slow done");
                "slow"
            });
            let s_ref = s.task_ref();
            asyncio::sleep(Duration::ZERO).await.unwrap();
            let tr = trace.clone();
            asyncio::call_soon(move || tr.push("cb"));
            let (g, polls) = counted(asyncio::gather2(s, b));
            match g.await {
                Err(TaskError::Panicked(p)) => trace.push(format!(
                    "gather raised {} polls={}",
                    p.message(),
                    polls.load(Ordering::SeqCst)
                )),
                other => panic!("{other:?}"),
            }
            fut.set_result(()).unwrap();
            all_done(std::slice::from_ref(&s_ref)).await;
            trace.push(format!("s cancelled: {}", py_bool(s_ref.cancelled())));
            trace.get()
        });
        assert_eq!(
            trace,
            [
                "bad done",
                "gather raised bad polls=1",
                "cb",
                "slow done",
                "s cancelled: False"
            ]
        );
    });
}

fn recursive_gather(
    width: usize,
    depth: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = usize> + Send>> {
    Box::pin(async move {
        if depth == 0 {
            return 1;
        }
        let kids = (0..width)
            .map(|_| asyncio::create_task(recursive_gather(width, depth - 1)))
            .collect::<Vec<_>>();
        1 + asyncio::gather(kids).await.unwrap().iter().sum::<usize>()
    })
}

// import asyncio
//
// async def recursive_gather(width, depth):
//     if depth == 0:
//         return 1
//     counts = await asyncio.gather(
//         *[asyncio.create_task(recursive_gather(width, depth - 1)) for _ in range(width)])
//     return 1 + sum(counts)
//
// async def main():
//     asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
//     t = asyncio.create_task(recursive_gather(5, 4))
//     print(t.done(), t.result())
//
// asyncio.run(main())
// -> True 781
//
// (test_eager_task_factory.py `test_recursive_gather`: no task is ever scheduled.) Every
// eager child completes in its eager step, so every gather completes without suspending,
// so its task completes in its eager step too, up to the top.
#[test]
fn test_recursive_gather() {
    util::deadline(|| {
        let rt = asyncio::Builder::new()
            .worker_threads(1)
            .eager_tasks(true)
            .build()
            .unwrap();
        let (done, result) = rt.block_on(async {
            let t = asyncio::create_task(recursive_gather(5, 4));
            (t.done(), t.await.unwrap())
        });
        assert_eq!((py_bool(done), result), ("True", 781));
    });
}

// On several workers the children finish on any worker, in any order, some before the
// gather is first polled: the awaiter is still polled at most twice (its first poll, and
// the wake-up of the completion that finishes the gather), and gets every result in
// argument order.
#[test]
fn test_gather_wakes_awaiter_once_on_several_workers() {
    util::deadline(|| {
        let rt = rt(2);
        for round in 0..200usize {
            let (polls, out) = rt.block_on(async move {
                let kids: Vec<_> = (0..8usize)
                    .map(|i| {
                        asyncio::create_task(async move {
                            for _ in 0..(i * 7 + round) % 4 {
                                asyncio::sleep(Duration::ZERO).await.unwrap();
                            }
                            i
                        })
                    })
                    .collect();
                let (g, polls) = counted(asyncio::gather(kids));
                let out = g.await.unwrap();
                (polls.load(Ordering::SeqCst), out)
            });
            assert_eq!(out, (0..8).collect::<Vec<_>>(), "round {round}");
            assert!(
                (1..=2).contains(&polls),
                "round {round}: polled {polls} times"
            );
        }
    });
}
