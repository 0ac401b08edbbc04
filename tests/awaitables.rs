//! What asyncio's functions accept (docs/design.md §4.4): a task, an `asyncio::Future` or
//! a plain future (a coroutine). `ensure_future` keeps a task's or a future's identity and
//! wraps a coroutine into a new task; `gather`, `shield`, `as_completed` and `wait_for`
//! take all three; `wait_for(coroutine, 0)` never starts it.
//!
//! Mirrors CPython 3.13 `test_tasks.py` (`test_ensure_future_*`, gather/shield/wait_for
//! of futures and coroutines).

mod util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asyncio::{Awaitable, AwaitableKind, Task};
use util::{rt, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

// t = create_task(coro()); assert ensure_future(t) is t
// f = loop.create_future(); assert ensure_future(f) is f
// t = ensure_future(coro()); isinstance(t, Task)
#[test]
fn test_ensure_future_task_future_and_coroutine() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_task(async { 1u8 });
                let same: Task<u8> = asyncio::ensure_future(t.clone());
                assert_eq!(same, t);

                let f = asyncio::Future::<u8>::new();
                let also = asyncio::ensure_future(f.clone());
                also.set_result(2).unwrap();
                assert_eq!(f.result().unwrap().unwrap(), 2, "the same future");

                let me = asyncio::current_task().unwrap();
                let wrapped = asyncio::ensure_future(async { asyncio::current_task() });
                let inner = wrapped.clone().await.unwrap().unwrap();
                assert_eq!(inner, *wrapped, "the coroutine ran as the new task");
                assert_ne!(inner, me);

                assert_eq!(<Task<u8> as Awaitable>::KIND, AwaitableKind::Task);
                assert_eq!(
                    <asyncio::Future<u8> as Awaitable>::KIND,
                    AwaitableKind::Future
                );
            });
        }
    });
}

// await gather(task, fut, coro()) -> [1, 2, 3]
#[test]
fn test_gather_task_future_and_coroutine() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let task = asyncio::create_task(async { 1u32 });
                let fut = asyncio::Future::<u32>::new();
                fut.set_result(2).unwrap();
                let out = asyncio::gather3(task, fut, async { 3u32 }).await.unwrap();
                assert_eq!(out, (1, 2, 3));
                let coros = (0..3u32).map(|i| async move {
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                    i
                });
                assert_eq!(asyncio::gather(coros).await.unwrap(), vec![0, 1, 2]);
            });
        }
    });
}

// fut = loop.create_future(); g = gather(fut); outer task awaits g; outer.cancel()
// -> fut.cancelled() is True
#[test]
fn test_gather_cancel_cancels_a_future_child() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = asyncio::Future::<u32>::new();
                let cancelled = Arc::new(asyncio::Event::new());
                let c = cancelled.clone();
                fut.add_done_callback(move |f| {
                    if f.cancelled() {
                        c.set();
                    }
                });
                let f = fut.clone();
                let outer = asyncio::create_task(async move { asyncio::gather(vec![f]).await });
                asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                outer.cancel(None);
                assert!(outer.await.unwrap_err().is_cancelled());
                // The child task awaiting the future forwarded the cancel to it.
                cancelled.wait().await.unwrap();
                assert!(fut.cancelled());
            });
        }
    });
}

// await shield(coro()) -> its value; await shield(fut) -> the future's value
#[test]
fn test_shield_coroutine_and_future() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                assert_eq!(asyncio::shield(async { 5u8 }).await.unwrap(), 5);
                let fut = asyncio::Future::<u8>::new();
                let f = fut.clone();
                asyncio::call_soon(move || f.set_result(6).unwrap());
                assert_eq!(asyncio::shield(fut).await.unwrap(), 6);
            });
        }
    });
}

// for f in as_completed([coro_slow(), coro_fast()]): await f -> fast, slow
#[test]
fn test_as_completed_coroutines() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let slow = async {
                    asyncio::sleep(Duration::from_millis(30)).await.unwrap();
                    "slow"
                };
                let fast = async { "fast" };
                let mut it = asyncio::as_completed(
                    vec![
                        Box::pin(slow)
                            as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>,
                        Box::pin(fast),
                    ],
                    None,
                );
                assert_eq!(it.next().await.unwrap().unwrap(), "fast");
                assert_eq!(it.next().await.unwrap().unwrap(), "slow");
            });
        }
    });
}

// fut = loop.create_future()
// with assertRaises(TimeoutError): await wait_for(fut, 0.01) -> fut.cancelled() is True
#[test]
fn test_wait_for_future_cancels_it_on_timeout() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let fut = asyncio::Future::<u8>::new();
                let r = asyncio::wait_for(fut.clone(), Some(Duration::from_millis(5))).await;
                assert!(r.is_err(), "TimeoutError");
                assert!(fut.cancelled());
                // And a done future at a zero timeout: its value.
                let done = asyncio::Future::<u8>::new();
                done.set_result(9).unwrap();
                let v = asyncio::wait_for(done, Some(Duration::ZERO)).await;
                assert_eq!(v.unwrap().unwrap(), 9);
            });
        }
    });
}

// async def coro(): started = True
// with assertRaises(TimeoutError): await wait_for(coro(), 0) -> started is False
// (3.12+: the coroutine is wrapped and cancelled before its first step)
#[test]
fn test_wait_for_coroutine_at_zero_timeout_never_starts() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let started = Arc::new(AtomicBool::new(false));
                let s = started.clone();
                let r = asyncio::wait_for(
                    async move {
                        s.store(true, Ordering::SeqCst);
                        asyncio::sleep(LONG).await
                    },
                    Some(Duration::ZERO),
                )
                .await;
                assert!(r.is_err(), "TimeoutError");
                assert!(!started.load(Ordering::SeqCst));
                assert_eq!(asyncio::current_task().unwrap().cancelling(), 0);
                asyncio::sleep(Duration::ZERO)
                    .await
                    .expect("nothing left pending");
            });
        }
    });
}

/// `Runtime::block_on` takes a task too (asyncio's `run_until_complete(task)`).
#[test]
fn block_on_a_task() {
    util::deadline(|| {
        let rt = rt(2);
        let t = rt.handle().create_task(async { 4u8 });
        assert_eq!(rt.block_on(t).unwrap(), 4);
    });
}

// f = loop.create_future(); f.set_result(1); done, pending = await wait([f]) -> f in done
// (a coroutine: asyncio 3.11+ raises TypeError; here it is wrapped into a task, as
// ensure_future does, and that task comes back)
#[test]
fn test_wait_future_and_coroutine() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let f = asyncio::Future::<u8>::new();
                let pending_f = asyncio::Future::<u8>::new();
                f.set_result(1).unwrap();
                let (done, pending) = asyncio::wait(
                    vec![f.clone(), pending_f.clone()],
                    Some(Duration::from_millis(5)),
                    asyncio::ALL_COMPLETED,
                )
                .await
                .unwrap();
                assert_eq!(done.len(), 1);
                assert_eq!(done[0].result().unwrap().unwrap(), 1, "the future itself");
                assert_eq!(pending.len(), 1);
                pending_f.cancel(None);

                let (done, pending) =
                    asyncio::wait(vec![async { 3u8 }], None, asyncio::ALL_COMPLETED)
                        .await
                        .unwrap();
                assert!(pending.is_empty());
                let task: &Task<u8> = &done[0];
                assert_eq!(task.result().unwrap().unwrap(), 3);
            });
        }
    });
}
