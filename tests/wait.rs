//! `wait` (docs/design.md §4.4): `(done, pending)` for `FIRST_COMPLETED`, `FIRST_EXCEPTION`
//! (a cancelled task does not count) and `ALL_COMPLETED`; a timeout returns without
//! cancelling anything; empty input is an error; the done set holds tasks that are
//! really done; cancelling the waiting task is delivered to it and leaves the tasks, and
//! no hook or timer, behind.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_tasks.py` (`test_wait*`,
//! `test_yield_wait_does_not_shield_cancel`).

mod util;

use asyncio::test_util::{HandleTestExt, TaskRefTestExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asyncio::{
    CancelledError, Task, TaskError, TaskRef, WaitError, ALL_COMPLETED, FIRST_COMPLETED,
    FIRST_EXCEPTION,
};
use util::{cancel_msg, rt, rt1, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

fn event<T: Send + 'static>() -> asyncio::Future<T> {
    asyncio::Future::new()
}

/// A task returning what `f` is set to; a negative value makes it panic.
fn waiting_on(f: &asyncio::Future<i32>) -> Task<i32> {
    let f = f.clone();
    asyncio::create_task(async move {
        let v = f.await?;
        if v < 0 {
            panic!("failed with {v}");
        }
        Ok::<_, TaskError>(v)
    })
}

fn ids<'a>(tasks: impl IntoIterator<Item = &'a TaskRef>) -> Vec<u64> {
    let mut v: Vec<u64> = tasks.into_iter().map(|t| t.id().as_u64()).collect();
    v.sort_unstable();
    v
}

// a = sleep(0.1); b = sleep(0.15); done, pending = await wait([b, a])
// -> done == {a, b}, pending == set(); doing it again takes no time.
#[test]
fn test_wait() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (fa, fb) = (event::<i32>(), event::<i32>());
                let (a, b) = (waiting_on(&fa).task_ref(), waiting_on(&fb).task_ref());
                fa.set_result(1).unwrap();
                fb.set_result(2).unwrap();
                for _ in 0..2 {
                    let (done, pending) =
                        asyncio::wait(vec![b.clone(), a.clone()], None, ALL_COMPLETED)
                            .await
                            .unwrap();
                    assert_eq!(ids(&done), ids([&a, &b]));
                    assert!(pending.is_empty());
                }
            });
        }
    });
}

// a = sleep(10.0); b = sleep(0.1); wait([b, a], return_when=FIRST_COMPLETED)
// -> done == {b}, pending == {a}; a not done; b.result() is None
#[test]
fn test_wait_first_completed() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (fa, fb) = (event::<i32>(), event::<i32>());
                let (a, b) = (waiting_on(&fa).task_ref(), waiting_on(&fb).task_ref());
                let w = asyncio::create_task(asyncio::wait(
                    vec![b.clone(), a.clone()],
                    None,
                    FIRST_COMPLETED,
                ));
                fb.set_result(2).unwrap();
                let (done, pending) = w.await.unwrap();
                assert_eq!(ids(&done), ids([&b]));
                assert_eq!(ids(&pending), ids([&a]));
                assert!(!a.done());
                assert!(b.done() && b.exception().unwrap().is_none());
                assert_eq!(a.hooks(), 0, "no completion hook left on the pending task");
                a.cancel(None);
            });
        }
    });
}

// import asyncio
// async def main():
//     async def coro1(): await asyncio.sleep(0)
//     async def coro2(): await asyncio.sleep(0); await asyncio.sleep(0)
//     a = asyncio.create_task(coro1()); b = asyncio.create_task(coro2())
//     done, pending = await asyncio.create_task(
//         asyncio.wait([b, a], return_when=asyncio.FIRST_COMPLETED))
//     print(sorted(t is a and 'a' or 'b' for t in done), len(pending))
// asyncio.run(main())
// -> ['a', 'b'] 0
#[test]
fn test_wait_really_done() {
    util::deadline(|| {
        rt1().block_on(async {
            let a = asyncio::create_task(async {
                asyncio::sleep(Duration::ZERO).await.unwrap();
            })
            .task_ref();
            let b = asyncio::create_task(async {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                asyncio::sleep(Duration::ZERO).await.unwrap();
            })
            .task_ref();
            let w = asyncio::create_task(asyncio::wait(
                vec![b.clone(), a.clone()],
                None,
                FIRST_COMPLETED,
            ));
            let (done, pending) = w.await.unwrap();
            for t in &done {
                assert!(t.done(), "every task in the done set is really done");
            }
            assert_eq!(
                (ids(&done), pending.len()),
                (ids([&a, &b]), 0),
                "asyncio's order: b finishes before the waiter resumes"
            );
        });
    });
}

// a = sleep(10.0); async def exc(): raise ZeroDivisionError('err')
// wait([b, a], return_when=FIRST_EXCEPTION) -> done == {b}, pending == {a}
#[test]
fn test_wait_first_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fa = event::<i32>();
                let a = waiting_on(&fa).task_ref();
                let b = asyncio::create_task(async {
                    if true {
                        panic!("err")
                    }
                })
                .task_ref();
                let (done, pending) =
                    asyncio::wait(vec![b.clone(), a.clone()], None, FIRST_EXCEPTION)
                        .await
                        .unwrap();
                assert_eq!(ids(&done), ids([&b]));
                assert_eq!(ids(&pending), ids([&a]));
                assert!(b.exception().unwrap().unwrap().is_panic());
                a.cancel(None);
            });
        }
    });
}

// async def exc(): await asyncio.sleep(0.01); raise ZeroDivisionError('err')
// wait([b, a], return_when=FIRST_EXCEPTION) -> done == {b}, pending == {a}
#[test]
fn test_wait_first_exception_in_wait() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (fa, fb) = (event::<i32>(), event::<i32>());
                let (a, b) = (waiting_on(&fa).task_ref(), waiting_on(&fb).task_ref());
                let w = asyncio::create_task(asyncio::wait(
                    vec![b.clone(), a.clone()],
                    None,
                    FIRST_EXCEPTION,
                ));
                fb.set_result(-1).unwrap();
                let (done, pending) = w.await.unwrap();
                assert_eq!(ids(&done), ids([&b]));
                assert_eq!(ids(&pending), ids([&a]));
                assert!(b.exception().unwrap().unwrap().is_panic());
                a.cancel(None);
            });
        }
    });
}

// import asyncio
// async def main():
//     ev = asyncio.Event()
//     a = asyncio.create_task(asyncio.sleep(10))
//     b = asyncio.create_task(ev.wait())
//     await asyncio.sleep(0)
//     a.cancel()
//     w = asyncio.create_task(asyncio.wait([a, b], return_when=asyncio.FIRST_EXCEPTION))
//     await asyncio.sleep(0); await asyncio.sleep(0); await asyncio.sleep(0)
//     print("wait done early:", w.done())
//     ev.set()
//     done, pending = await w
//     print(len(done), len(pending))
// asyncio.run(main())
// -> wait done early: False / 2 0
#[test]
fn test_wait_first_exception_ignores_cancelled() {
    util::deadline(|| {
        rt1().block_on(async {
            let fb = event::<i32>();
            let a = asyncio::create_task(asyncio::sleep(LONG)).task_ref();
            let b = waiting_on(&fb).task_ref();
            asyncio::sleep(Duration::ZERO).await.unwrap();
            a.cancel(None);
            let w = asyncio::create_task(asyncio::wait(
                vec![a.clone(), b.clone()],
                None,
                FIRST_EXCEPTION,
            ));
            for _ in 0..3 {
                asyncio::sleep(Duration::ZERO).await.unwrap();
            }
            assert!(a.cancelled());
            assert!(!w.done(), "a cancelled task is not an exception");
            fb.set_result(1).unwrap();
            let (done, pending) = w.await.unwrap();
            assert_eq!((done.len(), pending.len()), (2, 0));
        });
    });
}

// FIRST_COMPLETED counts a cancelled task as completed.
#[test]
fn test_wait_first_completed_counts_cancelled() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (fa, fb) = (event::<i32>(), event::<i32>());
                let (a, b) = (waiting_on(&fa).task_ref(), waiting_on(&fb).task_ref());
                let w = asyncio::create_task(asyncio::wait(
                    vec![a.clone(), b.clone()],
                    None,
                    FIRST_COMPLETED,
                ));
                a.cancel(Some("gone"));
                let (done, pending) = w.await.unwrap();
                assert_eq!(ids(&done), ids([&a]));
                assert_eq!(ids(&pending), ids([&b]));
                assert!(a.cancelled());
                b.cancel(None);
            });
        }
    });
}

// b = sleeper() raising ZeroDivisionError('really'); done, pending = await wait([b, a])
// -> len(done) == 2, pending empty, exactly one has an exception
#[test]
fn test_wait_with_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (fa, fb) = (event::<i32>(), event::<i32>());
                let (a, b) = (waiting_on(&fa), waiting_on(&fb));
                let w = asyncio::create_task(asyncio::wait(vec![b, a], None, ALL_COMPLETED));
                fa.set_result(1).unwrap();
                fb.set_result(-1).unwrap();
                let (done, pending) = w.await.unwrap();
                assert_eq!((done.len(), pending.len()), (2, 0));
                let errors = done
                    .iter()
                    .filter(|t| t.exception().unwrap().is_some())
                    .count();
                assert_eq!(errors, 1);
            });
        }
    });
}

// a = sleep(0.1); b = sleep(0.15); done, pending = await wait([b, a], timeout=0.11)
// -> done == {a}, pending == {b}; nothing is cancelled.
#[test]
fn test_wait_with_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let (fa, fb) = (event::<i32>(), event::<i32>());
                let (a, b) = (waiting_on(&fa).task_ref(), waiting_on(&fb).task_ref());
                fa.set_result(1).unwrap();
                let (done, pending) = asyncio::wait(
                    vec![b.clone(), a.clone()],
                    Some(Duration::from_millis(10)),
                    ALL_COMPLETED,
                )
                .await
                .unwrap();
                assert_eq!(ids(&done), ids([&a]));
                assert_eq!(ids(&pending), ids([&b]));
                assert!(
                    !b.done() && b.cancelling() == 0,
                    "a timeout cancels nothing"
                );
                assert_eq!(b.hooks(), 0);
                assert_eq!(handle.live_timers(), 0);
                fb.set_result(2).unwrap();
                asyncio::wait(vec![b.clone()], None, ALL_COMPLETED)
                    .await
                    .unwrap();
                assert!(b.exception().unwrap().is_none());
            });
        }
    });
}

// done, pending = run_until_complete(wait([b, a], timeout=0.1)) with neither done
#[test]
fn test_wait_concurrent_complete() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let (fa, fb) = (event::<i32>(), event::<i32>());
                let (a, b) = (waiting_on(&fa).task_ref(), waiting_on(&fb).task_ref());
                let (done, pending) = asyncio::wait(
                    vec![b.clone(), a.clone()],
                    Some(Duration::from_millis(5)),
                    FIRST_COMPLETED,
                )
                .await
                .unwrap();
                assert!(done.is_empty());
                assert_eq!(ids(&pending), ids([&a, &b]));
                fa.set_result(1).unwrap();
                fb.set_result(2).unwrap();
            });
        }
    });
}

// wait(set()) -> ValueError('Set of Tasks/Futures is empty.')
#[test]
fn test_wait_errors() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let r = asyncio::wait(Vec::<TaskRef>::new(), None, ALL_COMPLETED).await;
                match r {
                    Err(e @ WaitError::EmptyInput) => {
                        assert_eq!(e.to_string(), "Set of Tasks/Futures is empty.")
                    }
                    other => panic!("{other:?}"),
                }
                let r = asyncio::wait(Vec::<TaskRef>::new(), Some(LONG), FIRST_COMPLETED).await;
                assert!(matches!(r, Err(WaitError::EmptyInput)));
            });
        }
    });
}

// done, pending = await wait(iter([b, a])) -> done == {a, b}
// tasks = (new_task(func(i)) for i in range(10)); wait(tasks, ALL_COMPLETED) -> 10 done
#[test]
fn test_wait_with_iterator_of_tasks() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let tasks = (0..10).map(|i| asyncio::create_task(async move { i * 2 }));
                let (done, pending) = asyncio::wait(tasks, None, ALL_COMPLETED).await.unwrap();
                assert_eq!((done.len(), pending.len()), (10, 0));
                // The done set holds the original tasks, in argument order.
                let mut results = Vec::new();
                for t in done {
                    results.push(t.await.unwrap());
                }
                assert_eq!(results, (0..10).map(|i| i * 2).collect::<Vec<_>>());
            });
        }
    });
}

// c = create_task(coro('test')); wait([c, c, create_task(coro('spam'))]) -> no pending
// (asyncio makes a set of them; here the same task given twice is reported twice).
#[test]
fn test_wait_duplicate_coroutines() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let c = asyncio::create_task(async { "test" }).task_ref();
                let d = asyncio::create_task(async { "spam" }).task_ref();
                let (done, pending) =
                    asyncio::wait(vec![c.clone(), c.clone(), d.clone()], None, ALL_COMPLETED)
                        .await
                        .unwrap();
                assert!(pending.is_empty());
                assert_eq!(ids(&done), ids([&c, &c, &d]));
                assert_eq!((c.hooks(), d.hooks()), (0, 0));
            });
        }
    });
}

// async def inner(): await waiter; proof += 1
// async def outer(): d, p = await wait([create_task(inner())]); proof += 100
// f = ensure_future(outer()); run_briefly; f.cancel() -> CancelledError;
// waiter.set_result(None); run_briefly -> proof == 1
#[test]
fn test_yield_wait_does_not_shield_cancel() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let proof = Arc::new(AtomicUsize::new(0));
                let waiter = event::<()>();
                let (p, w) = (proof.clone(), waiter.clone());
                let inner = asyncio::create_task(async move {
                    w.await.unwrap();
                    p.fetch_add(1, Ordering::SeqCst);
                });
                let inner_ref = inner.task_ref();
                let started = event::<()>();
                let (p, s) = (proof.clone(), started.clone());
                let f = asyncio::create_task(async move {
                    s.set_result(()).unwrap();
                    asyncio::wait(vec![inner], Some(LONG), ALL_COMPLETED)
                        .await
                        .map_err(|e| match e {
                            WaitError::Cancelled(c) => c,
                            WaitError::EmptyInput => unreachable!(),
                        })?;
                    p.fetch_add(100, Ordering::SeqCst);
                    Ok::<_, CancelledError>(())
                });
                started.await.unwrap();
                f.cancel(Some("stop waiting"));
                let f_ref = f.task_ref();
                let err = f.await.unwrap_err();
                assert_eq!(cancel_msg(&err).as_deref(), Some("stop waiting"));
                assert!(f_ref.cancelled());
                // wait() cancels nothing: the task goes on, with nothing left on it.
                assert!(!inner_ref.done() && inner_ref.cancelling() == 0);
                assert_eq!(inner_ref.hooks(), 0);
                assert_eq!(handle.live_timers(), 0, "the wait's timeout timer is gone");
                waiter.set_result(()).unwrap();
                asyncio::wait(vec![inner_ref], None, ALL_COMPLETED)
                    .await
                    .unwrap();
                assert_eq!(proof.load(Ordering::SeqCst), 1);
            });
        }
    });
}

// On several workers, a cancel of the waiting task that lands while the wait is being
// polled (another thread, any moment) must be delivered as a CancelledError: never
// mistaken for the expiry of the wait's (one hour) timeout and swallowed.
#[test]
fn test_wait_cancel_racing_poll_is_delivered() {
    util::deadline(|| {
        const ROUNDS: usize = 300;
        const KIDS: usize = 200;
        let rt = rt(2);
        let handle = rt.handle().clone();
        let mut lost = Vec::new();
        for round in 0..ROUNDS {
            // Children that finish one after another keep the wait busy being re-polled.
            let kids: Vec<_> = (0..KIDS)
                .map(|i| {
                    handle.create_task(async move {
                        for _ in 0..(i % 7) {
                            asyncio::yield_now().await.unwrap();
                        }
                    })
                })
                .collect();
            let refs: Vec<TaskRef> = kids.iter().map(|t| t.task_ref()).collect();
            let waiter = handle.create_task(async move {
                // The outcome is kept as a value (in an `Option`): a delivered
                // cancellation is caught here.
                let r = asyncio::wait(kids, Some(LONG), ALL_COMPLETED).await;
                Some(match r {
                    Ok((done, pending)) => Ok((done.len(), pending.len())),
                    Err(WaitError::Cancelled(c)) => Err(c.untracked()),
                    Err(WaitError::EmptyInput) => unreachable!(),
                })
            });
            // Cancel from this (non-worker) thread once some children are done.
            let target = (round * 37) % KIDS;
            while !refs[target].done() {
                std::hint::spin_loop();
            }
            waiter.cancel(Some("stop"));
            let out = rt.block_on(async move { waiter.await.map_err(|e| e.untracked()) });
            match out {
                // Delivered at the wait.
                Ok(Some(Err(c))) => assert_eq!(c.message(), Some("stop")),
                // Arrived after the wait returned: the task ends cancelled.
                Err(e) => assert!(e.is_cancelled()),
                // Every child finished before the cancel could land (or it raced the task's
                // completion): nothing was mistaken for a timeout.
                Ok(Some(Ok((done, 0)))) => assert_eq!(done, KIDS),
                Ok(Some(Ok((done, pending)))) => lost.push((round, done, pending)),
                Ok(None) => unreachable!(),
            }
        }
        assert!(
            lost.is_empty(),
            "the wait returned (done, pending) although cancelled and not timed out: {lost:?}"
        );
    });
}
