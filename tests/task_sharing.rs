//! Tasks are futures many can await (docs/design.md §4.1): for `T: Clone + Sync` a
//! `Task<T>` handle is cloned, every awaiter and `result()` after an await get the
//! outcome, the same task can be passed to `gather` twice and kept after `gather`,
//! `shield`, `wait` and `as_completed`; the output is dropped once, after the last handle.
//!
//! Mirrors CPython 3.13 `test_tasks.py` where a task is awaited from several places; the
//! Python program is kept as a comment where the order matters.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asyncio::{TaskError, TaskOutput, ALL_COMPLETED};
use util::{rt, rt1, Trace, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

/// Counts how many of its clones were dropped.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted(self.0.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl TaskOutput for Counted {}

// async def work(): await sleep(0); tr.append("work done"); return "v"
// t = create_task(work())
// async def waiter(name): tr.append(f"{name} waits"); r = await t; tr.append(f"{name} got {r}")
// a = create_task(waiter("a")); await sleep(0)
// t.add_done_callback(lambda _: tr.append("cb")); b = create_task(waiter("b"))
// await gather(a, b); print(tr, t.result())
// -> ['a waits', 'work done', 'b waits', 'b got v', 'a got v', 'cb'] v
#[test]
fn test_task_awaited_from_several_tasks() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        let result = rt1().block_on(async move {
            let w = tr.clone();
            let t = asyncio::create_task(async move {
                asyncio::sleep(Duration::ZERO).await.unwrap();
                w.push("work done");
                "v"
            });
            let waiter = |name: &'static str| {
                let (t, tr) = (t.clone(), tr.clone());
                asyncio::create_task(async move {
                    tr.push(format!("{name} waits"));
                    let r = t.await.unwrap();
                    tr.push(format!("{name} got {r}"));
                })
            };
            let a = waiter("a");
            asyncio::sleep(Duration::ZERO).await.unwrap();
            let c = tr.clone();
            t.add_done_callback(move |_| c.push("cb"));
            let b = waiter("b");
            asyncio::gather2(a, b).await.unwrap();
            t.result().unwrap().unwrap()
        });
        assert_eq!(
            trace.get(),
            [
                "a waits",
                "work done",
                "b waits",
                "b got v",
                "a got v",
                "cb"
            ]
        );
        assert_eq!(result, "v");
    });
}

// t = create_task(work()); await gather(t, t) -> ['v', 'v']; t.result() -> 'v'
#[test]
fn test_gather_same_task_twice() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                    String::from("v")
                });
                let (a, b) = asyncio::gather2(t.clone(), t.clone()).await.unwrap();
                assert_eq!((a.as_str(), b.as_str()), ("v", "v"));
                assert_eq!(t.result().unwrap().unwrap(), "v");
                assert_eq!(t.clone().await.unwrap(), "v");
            });
        }
    });
}

/// The caller keeps its handle across `shield`, `wait` and `as_completed`.
#[test]
fn handles_are_kept_after_shield_wait_and_as_completed() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async { 5u32 });
                assert_eq!(asyncio::shield(t.clone()).await.unwrap(), 5);
                let (done, _) = asyncio::wait(vec![t.clone()], None, ALL_COMPLETED)
                    .await
                    .unwrap();
                assert_eq!(done.len(), 1);
                let mut it = asyncio::as_completed(vec![t.clone()], None);
                assert_eq!(it.next().await.unwrap().unwrap(), 5);
                assert_eq!(t.result().unwrap().unwrap(), 5);
                assert_eq!(t.await.unwrap(), 5);
            });
        }
    });
}

/// Every awaiter of a raising task gets the same exception; once one retrieved it, it is
/// not reported as never retrieved.
#[test]
fn every_awaiter_gets_the_same_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                    Err::<u8, _>(std::fmt::Error)
                });
                let other = asyncio::create_task({
                    let t = t.clone();
                    async move { t.await.unwrap_err() }
                });
                let mine = t.clone().await.unwrap_err();
                let theirs = other.await.unwrap();
                let (TaskError::Exception(a), TaskError::Exception(b)) = (&mine, &theirs) else {
                    panic!("{mine:?} {theirs:?}")
                };
                assert!(a.same_as(b));
                assert!(t.result().unwrap().is_err());
            });
        }
    });
}

/// A cancelled task: each awaiter gets a `CancelledError` of its own (tracked by it:
/// propagating it ends that awaiter cancelled).
#[test]
fn every_awaiter_of_a_cancelled_task_is_cancelled() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(asyncio::sleep(LONG));
                let awaiters: Vec<_> = (0..3)
                    .map(|_| {
                        let t = t.clone();
                        asyncio::create_task(async move { t.await })
                    })
                    .collect();
                let refs: Vec<_> = awaiters.iter().map(|a| a.task_ref()).collect();
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                t.cancel(Some("stop"));
                for a in awaiters {
                    let e = a.await.unwrap_err();
                    assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
                }
                assert!(refs.iter().all(|r| r.cancelled()));
            });
        }
    });
}

/// The stored output is dropped once, after the last handle, whether the handles are
/// dropped before or after the task completes; clones read out are separate values.
#[test]
fn shared_output_is_dropped_once_after_the_last_handle() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let drops = Arc::new(AtomicUsize::new(0));
            let d = drops.clone();
            rt(n).block_on(async move {
                // Handles dropped before completion.
                let gate = Arc::new(asyncio::Event::new());
                let (g, d2) = (gate.clone(), d.clone());
                let t = asyncio::create_task(async move {
                    g.wait().await.unwrap();
                    Counted(d2)
                });
                let r = t.task_ref();
                let clones: Vec<_> = (0..4).map(|_| t.clone()).collect();
                drop(clones);
                drop(t);
                gate.set();
                r.wait_done().await.unwrap();
                // Handles dropped after reading.
                let t = asyncio::create_task({
                    let d = d.clone();
                    async move { Counted(d) }
                });
                let u = t.clone();
                let read = u.clone().await.unwrap();
                drop(read); // a clone: 1 drop
                drop(u);
                drop(t); // the stored one
            });
            assert_eq!(drops.load(Ordering::SeqCst), 3);
        }
    });
}

/// Many tasks on two workers await clones of one task that completes meanwhile: every
/// awaiter gets the value, the stored output is dropped once.
#[test]
fn shared_handles_on_several_workers() {
    util::deadline(|| {
        for _round in 0..20 {
            let drops = Arc::new(AtomicUsize::new(0));
            let d = drops.clone();
            rt(2).block_on(async move {
                let t = asyncio::create_task(async move {
                    asyncio::yield_now().await.unwrap();
                    Counted(d)
                });
                let awaiters: Vec<_> = (0..32)
                    .map(|_| {
                        let t = t.clone();
                        asyncio::create_task(async move {
                            drop(t.await.unwrap());
                        })
                    })
                    .collect();
                drop(t);
                asyncio::gather(awaiters).await.unwrap();
            });
            assert_eq!(drops.load(Ordering::SeqCst), 33);
        }
    });
}

/// A lone handle moves its output out; a clone made after that has nothing to share and
/// says so.
#[test]
fn clone_after_the_output_was_taken_reports_invalid_state() {
    util::deadline(|| {
        rt1().block_on(async {
            let mut t = asyncio::create_task(async { 1u8 });
            assert_eq!((&mut t).await.unwrap(), 1);
            assert!(t.result().is_err(), "moved out by the lone handle");
            let e = t.clone().await.unwrap_err();
            assert!(e.downcast_ref::<asyncio::InvalidStateError>().is_some());
        });
    });
}
