//! `Lock` and `Event` (asyncio's `locks.py`): FIFO acquisition, fairness after cancelled
//! waiters, cancellation that loses no wake-up, guards, error values on misuse.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_locks.py` (`LockTests`,
//! `EventTests`). Ordering-sensitive tests run on the 1-worker runtime (asyncio's FIFO
//! order) and carry the Python 3.13 script they were checked against
//! (`PYENV_VERSION=3.13.0 python script.py` prints `ok`); the others also run with
//! several workers.

mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{CancelledError, Event, Lock};
use util::{rt, rt1, WORKER_COUNTS};

/// `await asyncio.sleep(0)`.
async fn yield0() {
    asyncio::sleep(Duration::ZERO).await.unwrap();
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<i32>>>);

impl Log {
    fn push(&self, v: i32) {
        self.0.lock().unwrap().push(v);
    }
    fn get(&self) -> Vec<i32> {
        self.0.lock().unwrap().clone()
    }
}

// ---- Lock ------------------------------------------------------------------------------

#[test]
fn test_repr() {
    util::deadline(|| {
        rt1().block_on(async {
            let lock = Lock::new();
            assert_eq!(format!("{lock:?}"), "<Lock [unlocked]>");
            let g = lock.acquire().await.unwrap();
            assert_eq!(format!("{lock:?}"), "<Lock [locked]>");
            drop(g);
        });
    });
}

#[test]
fn test_lock() {
    util::deadline(|| {
        let lock = Lock::new();
        assert!(!lock.locked());
    });
}

// ```python
// import asyncio
// async def main():
//     lock = asyncio.Lock()
//     result = []
//     assert await lock.acquire()
//     async def c(i):
//         if await lock.acquire():
//             result.append(i)
//         return True
//     t1 = asyncio.create_task(c(1))
//     t2 = asyncio.create_task(c(2))
//     await asyncio.sleep(0)
//     assert result == []
//     lock.release()
//     await asyncio.sleep(0)
//     assert result == [1]
//     await asyncio.sleep(0)
//     assert result == [1]
//     t3 = asyncio.create_task(c(3))
//     lock.release()
//     await asyncio.sleep(0)
//     assert result == [1, 2]
//     lock.release()
//     await asyncio.sleep(0)
//     assert result == [1, 2, 3]
//     assert t1.done() and t1.result() and t2.done() and t2.result()
//     assert t3.done() and t3.result()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire() {
    util::deadline(|| {
        rt1().block_on(async {
            let lock = Arc::new(Lock::new());
            let result = Log::default();
            lock.acquire().await.unwrap().forget();
            let c = |i: i32| {
                let (lock, result) = (lock.clone(), result.clone());
                async move {
                    lock.acquire().await?.forget();
                    result.push(i);
                    Ok::<_, CancelledError>(true)
                }
            };
            let t1 = asyncio::create_task(c(1));
            let t2 = asyncio::create_task(c(2));
            yield0().await;
            assert_eq!(result.get(), [] as [i32; 0]);
            lock.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1]);
            yield0().await;
            assert_eq!(result.get(), [1]);
            let t3 = asyncio::create_task(c(3));
            lock.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1, 2]);
            lock.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1, 2, 3]);
            for t in [t1, t2, t3] {
                assert!(t.done());
                assert!(t.await.unwrap());
            }
        });
    });
}

// ```python
// import asyncio
// async def main():
//     lock = asyncio.Lock()
//     assert await lock.acquire()
//     task = asyncio.create_task(lock.acquire())
//     asyncio.get_running_loop().call_soon(task.cancel)
//     try:
//         await task
//         assert False
//     except asyncio.CancelledError:
//         pass
//     assert not lock._waiters
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_cancel() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let lock = Arc::new(Lock::new());
                lock.acquire().await.unwrap().forget();
                let task = {
                    let lock = lock.clone();
                    asyncio::create_task(async move { lock.acquire().await.map(|g| g.forget()) })
                };
                let t = task.task_ref();
                asyncio::call_soon(move || {
                    t.cancel(None);
                });
                assert!(task.await.unwrap_err().is_cancelled());
                assert_eq!(format!("{lock:?}"), "<Lock [locked]>", "no waiter left");
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     lock = asyncio.Lock()
//     async def lockit(name, blocker):
//         await lock.acquire()
//         try:
//             if blocker is not None:
//                 await blocker
//         finally:
//             lock.release()
//     fa = asyncio.get_running_loop().create_future()
//     ta = asyncio.create_task(lockit('A', fa))
//     await asyncio.sleep(0)
//     assert lock.locked()
//     tb = asyncio.create_task(lockit('B', None))
//     await asyncio.sleep(0)
//     assert len(lock._waiters) == 1
//     tc = asyncio.create_task(lockit('C', None))
//     await asyncio.sleep(0)
//     assert len(lock._waiters) == 2
//     fa.set_result(None)
//     tb.cancel()
//     assert lock._waiters[0].cancelled()
//     await asyncio.sleep(0)
//     assert not lock.locked()
//     assert ta.done()
//     assert tb.cancelled()
//     await tc
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_cancel_race() {
    util::deadline(|| {
        rt1().block_on(async {
            let lock = Arc::new(Lock::new());
            let lockit = |blocker: Option<asyncio::Future<()>>| {
                let lock = lock.clone();
                async move {
                    let _guard = lock.acquire().await?;
                    if let Some(b) = blocker {
                        let _ = b.await;
                    }
                    Ok::<_, CancelledError>(())
                }
            };
            let fa = asyncio::Future::<()>::new();
            let ta = asyncio::create_task(lockit(Some(fa.clone())));
            yield0().await;
            assert!(lock.locked());
            let tb = asyncio::create_task(lockit(None));
            yield0().await;
            assert_eq!(format!("{lock:?}"), "<Lock [locked, waiters:1]>");
            let tc = asyncio::create_task(lockit(None));
            yield0().await;
            assert_eq!(format!("{lock:?}"), "<Lock [locked, waiters:2]>");
            fa.set_result(()).unwrap();
            tb.cancel(None);
            yield0().await;
            assert!(!lock.locked());
            assert!(ta.done());
            assert!(tb.cancelled());
            tc.await.unwrap();
        });
    });
}

// ```python
// import asyncio
// async def main():
//     loop = asyncio.get_running_loop()
//     lock = asyncio.Lock()
//     lock_count = 0
//     call_count = 0
//     async def lockit():
//         nonlocal lock_count, call_count
//         call_count += 1
//         await lock.acquire()
//         lock_count += 1
//     def trigger():
//         t1.cancel()
//         lock.release()
//     await lock.acquire()
//     t1 = asyncio.create_task(lockit())
//     t2 = asyncio.create_task(lockit())
//     t3 = asyncio.create_task(lockit())
//     await asyncio.sleep(0)
//     loop.call_soon(trigger)
//     try:
//         await t1
//         assert False
//     except asyncio.CancelledError:
//         pass
//     assert lock_count == 1
//     assert call_count == 3
//     assert t1.cancelled() and t2.done()
//     t3.cancel()
//     await asyncio.sleep(0)
//     assert t3.cancelled()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_cancel_release_race() {
    util::deadline(|| {
        rt1().block_on(async {
            let lock = Arc::new(Lock::new());
            let lock_count = Arc::new(AtomicUsize::new(0));
            let call_count = Arc::new(AtomicUsize::new(0));
            let lockit = || {
                let (lock, lock_count, call_count) =
                    (lock.clone(), lock_count.clone(), call_count.clone());
                async move {
                    call_count.fetch_add(1, Ordering::SeqCst);
                    lock.acquire().await?.forget();
                    lock_count.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, CancelledError>(())
                }
            };
            lock.acquire().await.unwrap().forget();
            let t1 = asyncio::create_task(lockit());
            let t2 = asyncio::create_task(lockit());
            let t3 = asyncio::create_task(lockit());
            yield0().await;
            {
                let (t1, lock) = (t1.task_ref(), lock.clone());
                asyncio::call_soon(move || {
                    t1.cancel(None);
                    lock.release().unwrap();
                });
            }
            let r1 = t1.task_ref();
            assert!(t1.await.unwrap_err().is_cancelled());
            assert_eq!(lock_count.load(Ordering::SeqCst), 1);
            assert_eq!(call_count.load(Ordering::SeqCst), 3);
            assert!(r1.cancelled() && t2.done());
            t3.cancel(None);
            yield0().await;
            assert!(t3.cancelled());
        });
    });
}

// ```python
// import asyncio
// async def main():
//     lock = asyncio.Lock()
//     await lock.acquire()
//     assert lock.locked()
//     tb = asyncio.create_task(lock.acquire())
//     await asyncio.sleep(0)
//     assert len(lock._waiters) == 1
//     tc = asyncio.create_task(lock.acquire())
//     tb.cancel()
//     lock.release()
//     await asyncio.sleep(0)
//     assert lock.locked()
//     assert tb.cancelled()
//     await tc
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_finished_waiter_cancelled() {
    util::deadline(|| {
        rt1().block_on(async {
            let lock = Arc::new(Lock::new());
            lock.acquire().await.unwrap().forget();
            assert!(lock.locked());
            let acquire = || {
                let lock = lock.clone();
                async move { lock.acquire().await.map(|g| g.forget()) }
            };
            let tb = asyncio::create_task(acquire());
            yield0().await;
            assert_eq!(format!("{lock:?}"), "<Lock [locked, waiters:1]>");
            let tc = asyncio::create_task(acquire());
            tb.cancel(None);
            lock.release().unwrap();
            yield0().await;
            assert!(lock.locked());
            assert!(tb.cancelled());
            tc.await.unwrap();
        });
    });
}

#[test]
fn test_release_not_acquired() {
    util::deadline(|| {
        let lock = Lock::new();
        let err = lock.release().unwrap_err();
        assert_eq!(err.to_string(), "Lock is not acquired.");
    });
}

#[test]
fn test_release_no_waiters() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let lock = Lock::new();
                lock.acquire().await.unwrap().forget();
                assert!(lock.locked());
                lock.release().unwrap();
                assert!(!lock.locked());
            });
        }
    });
}

// `async with lock:` is the guard.
#[test]
fn test_context_manager() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let lock = Lock::new();
                assert!(!lock.locked());
                {
                    let _g = lock.acquire().await.unwrap();
                    assert!(lock.locked());
                }
                assert!(!lock.locked());
            });
        }
    });
}

/// A guard whose acquisition was released by hand does nothing when dropped: it does not
/// release somebody else's acquisition.
#[test]
fn test_guard_after_manual_release_is_inert() {
    util::deadline(|| {
        rt1().block_on(async {
            let lock = Arc::new(Lock::new());
            let g = lock.acquire().await.unwrap();
            lock.release().unwrap();
            assert!(!g.is_held());
            let g2 = lock.acquire().await.unwrap();
            drop(g); // stale: must not release g2's acquisition
            assert!(lock.locked());
            assert!(g2.is_held());
            drop(g2);
            assert!(!lock.locked());
        });
    });
}

/// `acquire_owned`: the guard is `'static` and can be released by another task.
#[test]
fn test_acquire_owned_guard_moves_between_tasks() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let lock = Arc::new(Lock::new());
                let guard = lock.clone().acquire_owned().await.unwrap();
                let waiter = {
                    let lock = lock.clone();
                    asyncio::create_task(async move { lock.acquire().await.map(drop) })
                };
                asyncio::create_task(async move { drop(guard) })
                    .await
                    .unwrap();
                waiter.await.unwrap();
                assert!(!lock.locked());
            });
        }
    });
}

/// A waiter whose acquire future is dropped (task aborted) right after it was woken
/// passes the wake-up on: the next waiter gets the lock.
#[test]
fn test_dropped_woken_waiter_passes_lock_on() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let lock = Arc::new(Lock::new());
                let held = lock.acquire().await.unwrap();
                let waiter = || {
                    let lock = lock.clone();
                    asyncio::create_task(async move { lock.acquire().await.map(drop) })
                };
                let b = waiter();
                while format!("{lock:?}") != "<Lock [locked, waiters:1]>" {
                    yield0().await;
                }
                let c = waiter();
                while format!("{lock:?}") != "<Lock [locked, waiters:2]>" {
                    yield0().await;
                }
                drop(held); // wakes B
                b.abort(); // B's future is dropped, possibly before it ran
                c.await.unwrap();
                assert!(!lock.locked());
                assert_eq!(format!("{lock:?}"), "<Lock [unlocked]>");
            });
        }
    });
}

/// Mutual exclusion and no lost wake-up under contention with random cancellations, on
/// several workers: every task that was not cancelled gets the lock exactly once.
#[test]
fn test_lock_contention_with_cancellations_multi_worker() {
    util::deadline(|| {
        for n in [2, 4] {
            rt(n).block_on(async {
                let lock = Arc::new(Lock::new());
                let inside = Arc::new(AtomicBool::new(false));
                let entered = Arc::new(AtomicUsize::new(0));
                let mut tasks = Vec::new();
                for i in 0..200 {
                    let (lock, inside, entered) = (lock.clone(), inside.clone(), entered.clone());
                    tasks.push(asyncio::create_task(async move {
                        let _g = lock.acquire().await?;
                        assert!(!inside.swap(true, Ordering::SeqCst), "two tasks inside");
                        if i % 3 == 0 {
                            asyncio::sleep(Duration::ZERO).await.ok();
                        }
                        inside.store(false, Ordering::SeqCst);
                        entered.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, CancelledError>(())
                    }));
                }
                for (i, t) in tasks.iter().enumerate() {
                    if i % 7 == 3 {
                        t.cancel(None);
                    }
                }
                let mut ok = 0;
                for t in tasks {
                    match t.await {
                        Ok(()) => ok += 1,
                        // Propagated cancellations end the task cancelled.
                        Err(e) => assert!(e.is_cancelled()),
                    }
                }
                assert_eq!(entered.load(Ordering::SeqCst), ok);
                assert!(ok >= 200 - 29);
                assert!(!lock.locked());
                assert_eq!(format!("{lock:?}"), "<Lock [unlocked]>");
            });
        }
    });
}

// ---- Event -----------------------------------------------------------------------------

#[test]
fn test_event_repr() {
    util::deadline(|| {
        let ev = Event::new();
        assert_eq!(format!("{ev:?}"), "<Event [unset]>");
        ev.set();
        assert_eq!(format!("{ev:?}"), "<Event [set]>");
    });
}

// ```python
// import asyncio
// async def main():
//     ev = asyncio.Event()
//     assert not ev.is_set()
//     result = []
//     async def c(i):
//         if await ev.wait():
//             result.append(i)
//     t1 = asyncio.create_task(c(1))
//     t2 = asyncio.create_task(c(2))
//     await asyncio.sleep(0)
//     assert result == []
//     t3 = asyncio.create_task(c(3))
//     ev.set()
//     await asyncio.sleep(0)
//     assert result == [3, 1, 2], result
//     assert t1.done() and t2.done() and t3.done()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_wait() {
    util::deadline(|| {
        rt1().block_on(async {
            let ev = Arc::new(Event::new());
            assert!(!ev.is_set());
            let result = Log::default();
            let c = |i: i32| {
                let (ev, result) = (ev.clone(), result.clone());
                async move {
                    ev.wait().await?;
                    result.push(i);
                    Ok::<_, CancelledError>(())
                }
            };
            let t1 = asyncio::create_task(c(1));
            let t2 = asyncio::create_task(c(2));
            yield0().await;
            assert_eq!(result.get(), [] as [i32; 0]);
            let t3 = asyncio::create_task(c(3));
            ev.set();
            yield0().await;
            assert_eq!(result.get(), [3, 1, 2]);
            assert!(t1.done() && t2.done() && t3.done());
        });
    });
}

#[test]
fn test_wait_on_set() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let ev = Event::new();
                ev.set();
                ev.wait().await.unwrap();
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     ev = asyncio.Event()
//     wait = asyncio.create_task(ev.wait())
//     asyncio.get_running_loop().call_soon(wait.cancel)
//     try:
//         await wait
//         assert False
//     except asyncio.CancelledError:
//         pass
//     assert not ev._waiters
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_wait_cancel() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let ev = Arc::new(Event::new());
                let wait = {
                    let ev = ev.clone();
                    asyncio::create_task(async move { ev.wait().await })
                };
                let w = wait.task_ref();
                asyncio::call_soon(move || {
                    w.cancel(None);
                });
                assert!(wait.await.unwrap_err().is_cancelled());
                assert_eq!(format!("{ev:?}"), "<Event [unset]>", "no waiter left");
            });
        }
    });
}

#[test]
fn test_clear() {
    util::deadline(|| {
        let ev = Event::new();
        assert!(!ev.is_set());
        ev.set();
        assert!(ev.is_set());
        ev.clear();
        assert!(!ev.is_set());
    });
}

// ```python
// import asyncio
// async def main():
//     ev = asyncio.Event()
//     result = []
//     async def c1(result):
//         if await ev.wait():
//             result.append(1)
//         return True
//     t = asyncio.create_task(c1(result))
//     await asyncio.sleep(0)
//     assert result == []
//     ev.set()
//     ev.clear()
//     assert not ev.is_set()
//     ev.set()
//     ev.set()
//     assert len(ev._waiters) == 1
//     await asyncio.sleep(0)
//     assert result == [1]
//     assert len(ev._waiters) == 0
//     assert t.done() and t.result()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_clear_with_waiters() {
    util::deadline(|| {
        rt1().block_on(async {
            let ev = Arc::new(Event::new());
            let result = Log::default();
            let t = {
                let (ev, result) = (ev.clone(), result.clone());
                asyncio::create_task(async move {
                    ev.wait().await?;
                    result.push(1);
                    Ok::<_, CancelledError>(true)
                })
            };
            yield0().await;
            assert_eq!(result.get(), [] as [i32; 0]);
            ev.set();
            ev.clear();
            assert!(!ev.is_set());
            ev.set();
            ev.set();
            assert_eq!(format!("{ev:?}"), "<Event [set, waiters:1]>");
            yield0().await;
            assert_eq!(result.get(), [1]);
            assert_eq!(format!("{ev:?}"), "<Event [set]>");
            assert!(t.done());
            assert!(t.await.unwrap());
        });
    });
}

/// A waiter cancelled after `set()` woke it (before it ran) gets `CancelledError`
/// (cancellation wins over the wake-up, as in asyncio), and the other waiters are woken.
#[test]
fn test_wait_cancelled_after_set() {
    util::deadline(|| {
        rt1().block_on(async {
            let ev = Arc::new(Event::new());
            let waiter = || {
                let ev = ev.clone();
                asyncio::create_task(async move { ev.wait().await })
            };
            let (t1, t2) = (waiter(), waiter());
            yield0().await;
            ev.set();
            t1.cancel(Some("late"));
            let err = t1.await.unwrap_err();
            assert_eq!(err.as_cancelled().unwrap().message(), Some("late"));
            t2.await.unwrap();
        });
    });
}

// ---- Send / Sync -------------------------------------------------------------------------

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>(_: &T) {}

/// Every primitive is shared between workers (`Send + Sync`); every future and guard can
/// live in a task (`Send`), also the `async fn` ones.
#[test]
fn test_primitives_and_futures_are_send_sync() {
    util::deadline(|| {
        assert_send_sync::<Lock>();
        assert_send_sync::<Event>();
        assert_send_sync::<asyncio::Semaphore>();
        assert_send_sync::<asyncio::BoundedSemaphore>();
        assert_send_sync::<asyncio::Condition>();
        assert_send_sync::<asyncio::Barrier>();
        assert_send_sync::<asyncio::Queue<String>>();
        assert_send_sync::<asyncio::LifoQueue<String>>();
        assert_send_sync::<asyncio::PriorityQueue<String>>();
        assert_send_sync::<asyncio::LockGuard<'static>>();
        assert_send_sync::<asyncio::OwnedLockGuard>();
        assert_send_sync::<asyncio::SemaphorePermit<'static>>();
        assert_send_sync::<asyncio::OwnedSemaphorePermit>();

        let lock = Arc::new(Lock::new());
        assert_send(&lock.acquire());
        assert_send(&lock.clone().acquire_owned());
        let ev = Event::new();
        assert_send(&ev.wait());
        let sem = asyncio::Semaphore::new(1);
        assert_send(&sem.acquire());
        let cond = asyncio::Condition::new();
        assert_send(&cond.wait());
        assert_send(&cond.wait_for(|| true));
        let barrier = asyncio::Barrier::new(1);
        assert_send(&barrier.wait());
        assert_send(&barrier.reset());
        assert_send(&barrier.abort());
        let q = asyncio::Queue::<String>::new(0);
        assert_send(&q.get());
        assert_send(&q.put(String::new()));
        assert_send(&q.join());
        let rt = rt1();
        assert_send(&rt.handle().run_in_executor(|| 1));
    });
}

// import asyncio
// async def main():
//     tr = []
//     lock = asyncio.Lock()
//     q = asyncio.Queue(); q.put_nowait(1)
//     async def a():
//         asyncio.current_task().cancel("self")
//         async with lock:
//             tr.append(f"a holds the lock {lock.locked()}")
//         tr.append(f"a got {await q.get()}")
//         try:
//             await asyncio.sleep(0)
//         except asyncio.CancelledError as e:
//             tr.append(f"a sleep raised {e.args}")
//     await asyncio.create_task(a())
//     print(tr)
// asyncio.run(main())
// -> ['a holds the lock True', 'a got 1', "a sleep raised ('self',)"]
//
// A request made during the step is left alone by await points that do not suspend (a
// free lock, a non-empty queue): it arrives where the task next suspends (rule C.10).
#[test]
fn test_cancel_current_task_free_lock_and_ready_get_do_not_raise() {
    util::deadline(|| {
        let trace = rt1().block_on(async {
            let trace = util::Trace::new();
            let tr = trace.clone();
            let lock = std::sync::Arc::new(asyncio::Lock::new());
            let q = std::sync::Arc::new(asyncio::Queue::new(0));
            q.put_nowait(1).unwrap();
            asyncio::create_task(async move {
                asyncio::current_task().unwrap().cancel(Some("self"));
                {
                    let _guard = lock.acquire().await.unwrap();
                    tr.push(format!(
                        "a holds the lock {}",
                        if lock.locked() { "True" } else { "False" }
                    ));
                }
                tr.push(format!("a got {}", q.get().await.unwrap()));
                if let Err(e) = asyncio::sleep(std::time::Duration::ZERO).await {
                    tr.push(format!("a sleep raised ('{}',)", e.message().unwrap()));
                }
            })
            .await
            .unwrap();
            trace.get()
        });
        assert_eq!(
            trace,
            [
                "a holds the lock True",
                "a got 1",
                "a sleep raised ('self',)"
            ]
        );
    });
}
