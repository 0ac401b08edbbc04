//! `as_completed` (docs/design.md §4.4): outcomes in completion order (`next()` and the
//! `futures_core::Stream` impl), the 3.13 form yielding the original tasks
//! (`next_task()`), a timeout that yields `TimeoutError` for the tasks not done without
//! cancelling them, resuming after a break, and a cancellation of the awaiting task that
//! leaves no hook or timer behind.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_tasks.py` (`test_as_completed*`).

mod util;

use asyncio::test_util::{HandleTestExt, TaskRefTestExt};
use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use asyncio::{AsCompletedError, CancelledError, Task, TaskError, TaskRef, ALL_COMPLETED};
use futures_core::Stream;
use util::{cancel_msg, rt, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

fn event<T: Send + 'static>() -> asyncio::Future<T> {
    asyncio::Future::new()
}

async fn all_done(tasks: &[TaskRef]) {
    asyncio::wait(tasks.to_vec(), None, ALL_COMPLETED)
        .await
        .unwrap();
}

/// How the iterating task of `test_as_completed_cancel_racing_poll_is_delivered` ended.
enum Iterated {
    /// The cancellation was delivered at `next()`, with this message.
    Delivered(Option<String>),
    /// Something else ended the iteration (a timeout by mistake).
    Lost(String),
    /// The iteration ran to its end.
    Done,
}

impl asyncio::TaskOutput for Iterated {}

/// A task returning `value` once `gate` is set.
fn gated(gate: &asyncio::Future<()>, value: &'static str) -> Task<&'static str> {
    let g = gate.clone();
    asyncio::create_task(async move {
        g.await?;
        Ok::<_, TaskError>(value)
    })
}

fn fail() -> &'static str {
    panic!("child failed")
}

/// Waits until `as_completed` registered its completion hooks on every task.
async fn until_watched(tasks: &[TaskRef]) {
    while tasks.iter().any(|t| t.hooks() == 0) {
        asyncio::yield_now().await.unwrap();
    }
}

/// Completes the gates in `order`, each after the previous task is done, so the
/// completion order is `order` on any number of workers.
async fn complete_in_order(gates: &[asyncio::Future<()>], tasks: &[TaskRef], order: &[usize]) {
    until_watched(tasks).await;
    for &i in order {
        gates[i].set_result(()).unwrap();
        all_done(std::slice::from_ref(&tasks[i])).await;
    }
}

// a = sleeper(0.01, 'a'); b = sleeper(0.01, 'b'); c = sleeper(0.15, 'c')
// for f in as_completed([b, c, a]): values.append(await f)
// -> 'a', 'b' first (either order), then 'c'
#[test]
fn test_as_completed() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let gates: Vec<_> = (0..3).map(|_| event::<()>()).collect();
                let tasks = vec![
                    gated(&gates[0], "b"),
                    gated(&gates[1], "c"),
                    gated(&gates[2], "a"),
                ];
                let refs: Vec<_> = tasks.iter().map(|t| t.task_ref()).collect();
                let collector = asyncio::create_task(async move {
                    let mut it = asyncio::as_completed(tasks, None);
                    let mut values = Vec::new();
                    while let Some(v) = it.next().await {
                        values.push(v.unwrap());
                    }
                    values
                });
                complete_in_order(&gates, &refs, &[2, 0, 1]).await;
                assert_eq!(collector.await.unwrap(), ["a", "b", "c"]);
                assert_eq!(
                    refs.iter().map(TaskRefTestExt::hooks).collect::<Vec<_>>(),
                    [0, 0, 0]
                );
            });
        }
    });
}

// The same through the Stream impl (`async for f in as_completed(...)`).
#[test]
fn test_as_completed_stream() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let gates: Vec<_> = (0..3).map(|_| event::<()>()).collect();
                let tasks = vec![
                    gated(&gates[0], "b"),
                    gated(&gates[1], "c"),
                    gated(&gates[2], "a"),
                ];
                let refs: Vec<_> = tasks.iter().map(|t| t.task_ref()).collect();
                let collector = asyncio::create_task(async move {
                    let mut it = asyncio::as_completed(tasks, None);
                    assert_eq!(it.size_hint(), (0, Some(3)));
                    let mut values = Vec::new();
                    while let Some(v) = poll_fn(|cx| Pin::new(&mut it).poll_next(cx)).await {
                        values.push(v.unwrap());
                    }
                    assert_eq!(it.size_hint(), (0, Some(0)));
                    values
                });
                complete_in_order(&gates, &refs, &[1, 2, 0]).await;
                assert_eq!(collector.await.unwrap(), ["c", "a", "b"]);
            });
        }
    });
}

// async for out_aw in as_completed(awaitables): awaitables_out.add(out_aw)
// -> tasks are yielded back as-is (3.13)
#[test]
fn test_as_completed_same_tasks_in_as_out() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let gates: Vec<_> = (0..4).map(|_| event::<()>()).collect();
                let tasks: Vec<_> = ["a", "b", "c", "d"]
                    .iter()
                    .zip(&gates)
                    .map(|(v, g)| gated(g, v))
                    .collect();
                let refs: Vec<_> = tasks.iter().map(|t| t.task_ref()).collect();
                let collector = asyncio::create_task(async move {
                    let mut it = asyncio::as_completed(tasks, None);
                    let mut out = Vec::new();
                    while let Some(t) = it.next_task().await {
                        let t = t.unwrap();
                        assert!(t.done(), "yielded tasks are done");
                        out.push(t);
                    }
                    out
                });
                complete_in_order(&gates, &refs, &[3, 1, 0, 2]).await;
                let out = collector.await.unwrap();
                let ids: Vec<_> = out.iter().map(|t| t.id()).collect();
                let expect: Vec<_> = [3, 1, 0, 2].iter().map(|&i| refs[i].id()).collect();
                assert_eq!(ids, expect, "the original tasks, in completion order");
                let mut values = Vec::new();
                for t in out {
                    values.push(t.await.unwrap());
                }
                assert_eq!(values, ["d", "b", "a", "c"]);
            });
        }
    });
}

// a = create_task(sleep(0.1, 'a')); b = create_task(sleep(0.15, 'b'))
// for f in as_completed([a, b], timeout=0.12): ... -> [(1, 'a'), (2, TimeoutError)]
#[test]
fn test_as_completed_with_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let (gate_a, gate_b) = (event::<()>(), event::<()>());
                let (a, b) = (gated(&gate_a, "a"), gated(&gate_b, "b"));
                let b_ref = b.task_ref();
                gate_a.set_result(()).unwrap();
                let mut values = Vec::new();
                {
                    let mut it = asyncio::as_completed(vec![a, b], Some(Duration::from_millis(20)));
                    while let Some(r) = it.next().await {
                        values.push(match r {
                            Ok(v) => (1, v),
                            Err(AsCompletedError::Timeout(_)) => (2, "TimeoutError"),
                            Err(e) => panic!("{e:?}"),
                        });
                    }
                }
                assert_eq!(values, [(1, "a"), (2, "TimeoutError")]);
                assert!(
                    !b_ref.done() && b_ref.cancelling() == 0,
                    "nothing is cancelled"
                );
                assert_eq!(handle.live_timers(), 0);
                b_ref.cancel(None);
            });
        }
    });
}

// for f in as_completed([a], timeout=1): assertEqual(await f, 'a')
#[test]
fn test_as_completed_with_unused_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let a = asyncio::create_task(asyncio::sleep_with(Duration::from_millis(1), "a"));
                {
                    let mut it = asyncio::as_completed(vec![a], Some(Duration::from_secs(1)));
                    while let Some(v) = it.next().await {
                        assert_eq!(v.unwrap(), "a");
                    }
                }
                assert_eq!(handle.live_timers(), 0);
            });
        }
    });
}

// asyncio cancels its timeout handle as soon as the last future is done
// (`if not todo and timeout_handle is not None: timeout_handle.cancel()`): an exhausted
// iterator that is still in scope keeps no timer.
#[test]
fn test_as_completed_releases_timer_when_exhausted() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let gate = event::<()>();
                let a = gated(&gate, "a");
                let a_ref = a.task_ref();
                let mut it = asyncio::as_completed(vec![a], Some(LONG));
                let setter = asyncio::create_task(async move {
                    until_watched(std::slice::from_ref(&a_ref)).await;
                    gate.set_result(()).unwrap();
                });
                assert_eq!(it.next().await.unwrap().unwrap(), "a");
                assert!(it.next().await.is_none());
                setter.await.unwrap();
                assert_eq!(
                    handle.live_timers(),
                    0,
                    "the timeout timer outlives the iteration"
                );
                drop(it);
            });
        }
    });
}

// iterator = as_completed(awaitables); take 2, break; resume the same iterator
// -> all 4 collected
#[test]
fn test_as_completed_resume_iterator() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let tasks: Vec<_> = (0..4)
                    .map(|i| asyncio::create_task(async move { i }))
                    .collect();
                let mut it = asyncio::as_completed(tasks, None);
                let mut collected = Vec::new();
                while let Some(v) = it.next().await {
                    collected.push(v.unwrap());
                    if collected.len() == 2 {
                        break;
                    }
                }
                assert_eq!(it.remaining(), 2);
                while let Some(v) = it.next().await {
                    collected.push(v.unwrap());
                }
                collected.sort_unstable();
                assert_eq!(collected, [0, 1, 2, 3]);
            });
        }
    });
}

// as_completed([]) yields nothing.
#[test]
fn test_as_completed_empty() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let mut it = asyncio::as_completed(Vec::<Task<u8>>::new(), Some(LONG));
                assert!(it.next().await.is_none());
                assert!(it.next_task().await.is_none());
            });
        }
    });
}

// A child that fails or is cancelled: `await f` raises its exception / CancelledError.
#[test]
fn test_as_completed_child_failures() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let gates: Vec<_> = (0..2).map(|_| event::<()>()).collect();
                let cancelled = gated(&gates[0], "cancelled");
                let g = gates[1].clone();
                let panics = asyncio::create_task(async move {
                    g.await?;
                    Ok::<_, TaskError>(fail())
                });
                let refs = vec![cancelled.task_ref(), panics.task_ref()];
                let collector = asyncio::create_task(async move {
                    let mut it = asyncio::as_completed(vec![cancelled, panics], None);
                    let mut out = Vec::new();
                    while let Some(r) = it.next().await {
                        out.push(match r {
                            Err(AsCompletedError::Task(TaskError::Cancelled(c))) => {
                                // Tracked by the collector, as when awaiting the task; caught.
                                assert!(c.is_tracked());
                                format!("cancelled {:?}", c.message())
                            }
                            Err(AsCompletedError::Task(TaskError::Panicked(p))) => {
                                format!("panicked {}", p.message())
                            }
                            other => format!("{other:?}"),
                        });
                    }
                    out
                });
                until_watched(&refs).await;
                refs[0].cancel(Some("x"));
                all_done(&refs[..1]).await;
                gates[1].set_result(()).unwrap();
                let collector_ref = collector.task_ref();
                assert_eq!(
                    collector.await.unwrap(),
                    ["cancelled Some(\"x\")", "panicked child failed"]
                );
                assert!(!collector_ref.cancelled());
            });
        }
    });
}

// Cancelling the task that awaits the iterator: CancelledError there; the tasks go on;
// no hook and no timer is left.
#[test]
fn test_as_completed_cancel_awaiter() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let gates: Vec<_> = (0..3).map(|_| event::<()>()).collect();
                let tasks: Vec<_> = gates.iter().map(|g| gated(g, "v")).collect();
                let refs: Vec<_> = tasks.iter().map(|t| t.task_ref()).collect();
                let awaiter = asyncio::create_task(async move {
                    let mut it = asyncio::as_completed(tasks, Some(LONG));
                    let mut n = 0;
                    while let Some(r) = it.next().await {
                        r.map_err(|e| match e {
                            AsCompletedError::Task(TaskError::Cancelled(c)) => c,
                            other => panic!("{other:?}"),
                        })?;
                        n += 1;
                    }
                    Ok::<_, CancelledError>(n)
                });
                until_watched(&refs).await;
                gates[0].set_result(()).unwrap();
                all_done(&refs[..1]).await;
                awaiter.cancel(Some("enough"));
                let err = awaiter.await.unwrap_err();
                assert_eq!(cancel_msg(&err).as_deref(), Some("enough"));
                for t in &refs[1..] {
                    assert!(!t.done() && t.cancelling() == 0, "the tasks go on");
                }
                assert_eq!(
                    refs.iter().map(TaskRefTestExt::hooks).collect::<Vec<_>>(),
                    [0, 0, 0]
                );
                assert_eq!(handle.live_timers(), 0);
                for g in &gates[1..] {
                    g.set_result(()).unwrap();
                }
                all_done(&refs).await;
            });
        }
    });
}

// On several workers, a cancel of the iterating task that lands while `next()` is being
// polled (another thread, any moment) must be delivered as a CancelledError: never
// mistaken for the expiry of the (one hour) timeout.
#[test]
fn test_as_completed_cancel_racing_poll_is_delivered() {
    util::deadline(|| {
        const ROUNDS: usize = 2000;
        const KIDS: usize = 40;
        let rt = rt(2);
        let handle = rt.handle().clone();
        let mut lost = Vec::new();
        for round in 0..ROUNDS {
            // Children finishing one per scheduler round: most `next()` calls suspend.
            let kids: Vec<_> = (0..KIDS)
                .map(|i| {
                    handle.create_task(async move {
                        for _ in 0..i {
                            asyncio::yield_now().await.unwrap();
                        }
                    })
                })
                .collect();
            let refs: Vec<TaskRef> = kids.iter().map(|t| t.task_ref()).collect();
            let iterating = handle.create_task(async move {
                let mut it = asyncio::as_completed(kids, Some(LONG));
                let mut yielded = 0;
                while let Some(r) = it.next().await {
                    match r {
                        Ok(()) => yielded += 1,
                        Err(AsCompletedError::Task(TaskError::Cancelled(c))) => {
                            return Iterated::Delivered(c.message().map(str::to_owned));
                        }
                        Err(e) => return Iterated::Lost(format!("{e} after {yielded}")),
                    }
                }
                Iterated::Done
            });
            let target = (round * 37) % KIDS;
            while !refs[target].done() {
                std::hint::spin_loop();
            }
            iterating.cancel(Some("stop"));
            let out = rt.block_on(async move { iterating.await.map_err(|e| e.untracked()) });
            match out {
                // Delivered at `next()`.
                Ok(Iterated::Delivered(msg)) => assert_eq!(msg.as_deref(), Some("stop")),
                // Arrived after the iteration ended: the task ends cancelled (or, racing its
                // completion, returns; either way nothing was mistaken for a timeout).
                Err(e) => assert!(e.is_cancelled()),
                Ok(Iterated::Done) => {}
                Ok(Iterated::Lost(s)) => lost.push((round, s)),
            }
        }
        assert!(
            lost.is_empty(),
            "as_completed yielded a TimeoutError (the one hour timeout did not pass) \
         instead of the CancelledError: {lost:?}"
        );
    });
}
