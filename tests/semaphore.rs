//! `Semaphore` and `BoundedSemaphore` (asyncio's `locks.py`): FIFO, no barging, no permit
//! lost to a cancelled waiter, permits as guards, `ValueError` on over-release.
//!
//! Mirrors CPython 3.13 `test_locks.py` `SemaphoreTests`. Ordering-sensitive tests run on
//! the 1-worker runtime and carry the Python 3.13 script they were checked against
//! (`PYENV_VERSION=3.13.0 python script.py` prints `ok`).

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use asyncio::{BoundedSemaphore, CancelledError, Semaphore, TaskRef};
use util::{rt, rt1, WORKER_COUNTS};

async fn yield0() {
    asyncio::sleep(Duration::ZERO).await.unwrap();
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, v: impl ToString) {
        self.0.lock().unwrap().push(v.to_string());
    }
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn test_initial_value_zero() {
    util::deadline(|| {
        let sem = Semaphore::new(0);
        assert!(sem.locked());
    });
}

#[test]
fn test_repr() {
    util::deadline(|| {
        rt1().block_on(async {
            let sem = Semaphore::new(1);
            assert_eq!(format!("{sem:?}"), "<Semaphore [unlocked, value:1]>");
            sem.acquire().await.unwrap().forget();
            assert_eq!(format!("{sem:?}"), "<Semaphore [locked]>");
            let sem = Arc::new(sem);
            let t = {
                let sem = sem.clone();
                asyncio::create_task(async move { sem.acquire().await.map(drop) })
            };
            yield0().await;
            assert_eq!(format!("{sem:?}"), "<Semaphore [locked, waiters:1]>");
            t.cancel(None);
            let _ = t.await;
            let b = BoundedSemaphore::new(2);
            assert_eq!(format!("{b:?}"), "<BoundedSemaphore [unlocked, value:2]>");
        });
    });
}

#[test]
fn test_semaphore() {
    util::deadline(|| {
        let sem = Semaphore::default();
        assert_eq!(sem.value(), 1);
        assert!(!sem.locked());
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore(3)
//     result = []
//     assert await sem.acquire()
//     assert await sem.acquire()
//     assert not sem.locked()
//     async def c(i):
//         await sem.acquire()
//         result.append(i)
//         return True
//     t1 = asyncio.create_task(c(1))
//     t2 = asyncio.create_task(c(2))
//     t3 = asyncio.create_task(c(3))
//     await asyncio.sleep(0)
//     assert result == [1]
//     assert sem.locked()
//     assert len(sem._waiters) == 2
//     assert sem._value == 0
//     t4 = asyncio.create_task(c(4))
//     sem.release()
//     sem.release()
//     assert sem._value == 0
//     await asyncio.sleep(0)
//     assert sem._value == 0
//     assert len(result) == 3
//     assert sem.locked()
//     assert len(sem._waiters) == 1
//     assert t1.done() and t1.result()
//     assert t2.done() and t3.done() and not t4.done()
//     sem.release()
//     await asyncio.gather(t2, t3, t4)
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire() {
    util::deadline(|| {
        rt1().block_on(async {
            let sem = Arc::new(Semaphore::new(3));
            let result = Log::default();
            sem.acquire().await.unwrap().forget();
            sem.acquire().await.unwrap().forget();
            assert!(!sem.locked());
            let c = |i: i32| {
                let (sem, result) = (sem.clone(), result.clone());
                async move {
                    sem.acquire().await?.forget();
                    result.push(i);
                    Ok::<_, CancelledError>(true)
                }
            };
            let t1 = asyncio::create_task(c(1));
            let t2 = asyncio::create_task(c(2));
            let t3 = asyncio::create_task(c(3));
            yield0().await;
            assert_eq!(result.get(), strs(&["1"]));
            assert!(sem.locked());
            assert_eq!(format!("{sem:?}"), "<Semaphore [locked, waiters:2]>");
            assert_eq!(sem.value(), 0);
            let t4 = asyncio::create_task(c(4));
            sem.release();
            sem.release();
            assert_eq!(sem.value(), 0);
            yield0().await;
            assert_eq!(sem.value(), 0);
            assert_eq!(result.get().len(), 3);
            assert!(sem.locked());
            assert_eq!(format!("{sem:?}"), "<Semaphore [locked, waiters:1]>");
            assert!(t1.done() && t1.await.unwrap());
            assert!(t2.done() && t3.done() && !t4.done());
            sem.release();
            for t in [t2, t3, t4] {
                assert!(t.await.unwrap());
            }
        });
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore()
//     await sem.acquire()
//     acquire = asyncio.create_task(sem.acquire())
//     asyncio.get_running_loop().call_soon(acquire.cancel)
//     try:
//         await acquire
//         assert False
//     except asyncio.CancelledError:
//         pass
//     assert not sem._waiters or all(w.done() for w in sem._waiters)
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_cancel() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let sem = Arc::new(Semaphore::new(1));
                sem.acquire().await.unwrap().forget();
                let acquire = {
                    let sem = sem.clone();
                    asyncio::create_task(async move { sem.acquire().await.map(drop) })
                };
                let a = acquire.task_ref();
                asyncio::call_soon(move || {
                    a.cancel(None);
                });
                assert!(acquire.await.unwrap_err().is_cancelled());
                assert_eq!(format!("{sem:?}"), "<Semaphore [locked]>");
                assert_eq!(sem.value(), 0);
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore(value=0)
//     t1 = asyncio.create_task(sem.acquire())
//     t2 = asyncio.create_task(sem.acquire())
//     t3 = asyncio.create_task(sem.acquire())
//     t4 = asyncio.create_task(sem.acquire())
//     await asyncio.sleep(0)
//     t1.cancel()
//     t2.cancel()
//     sem.release()
//     await asyncio.sleep(0)
//     await asyncio.sleep(0)
//     assert sum(t.done() for t in [t3, t4]) == 1
//     assert t3.done()
//     assert not t4.done()
//     t3.cancel()
//     t4.cancel()
//     await asyncio.sleep(0)
//     assert t4.cancelled()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_cancel_before_awoken() {
    util::deadline(|| {
        rt1().block_on(async {
            let sem = Arc::new(Semaphore::new(0));
            let acquire = || {
                let sem = sem.clone();
                asyncio::create_task(async move { sem.acquire().await.map(|p| p.forget()) })
            };
            let (t1, t2, t3, t4) = (acquire(), acquire(), acquire(), acquire());
            yield0().await;
            t1.cancel(None);
            t2.cancel(None);
            sem.release();
            yield0().await;
            yield0().await;
            assert!(t3.done());
            assert!(!t4.done());
            t3.cancel(None);
            t4.cancel(None);
            yield0().await;
            assert!(t4.cancelled());
            assert!(t1.cancelled() && t2.cancelled() && !t3.cancelled());
        });
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore(value=0)
//     t1 = asyncio.create_task(sem.acquire())
//     t2 = asyncio.create_task(sem.acquire())
//     await asyncio.sleep(0)
//     t1.cancel()
//     sem.release()
//     await asyncio.sleep(0)
//     await asyncio.sleep(0)
//     assert sem.locked()
//     assert t2.done()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_hang() {
    util::deadline(|| {
        rt1().block_on(async {
            let sem = Arc::new(Semaphore::new(0));
            let acquire = || {
                let sem = sem.clone();
                asyncio::create_task(async move { sem.acquire().await.map(|p| p.forget()) })
            };
            let (t1, t2) = (acquire(), acquire());
            yield0().await;
            t1.cancel(None);
            sem.release();
            yield0().await;
            yield0().await;
            assert!(sem.locked());
            assert!(t2.done());
        });
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore(1)
//     async def c1():
//         async with sem:
//             await asyncio.sleep(0)
//         t2.cancel()
//     async def c2():
//         async with sem:
//             assert False
//     t1 = asyncio.create_task(c1())
//     t2 = asyncio.create_task(c2())
//     r1, r2 = await asyncio.gather(t1, t2, return_exceptions=True)
//     assert r1 is None
//     assert isinstance(r2, asyncio.CancelledError)
//     await asyncio.wait_for(sem.acquire(), timeout=1.0)
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_no_hang() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let sem = Arc::new(Semaphore::new(1));
                let t2_ref: Arc<OnceLock<TaskRef>> = Arc::new(OnceLock::new());
                let t1 = {
                    let (sem, t2_ref) = (sem.clone(), t2_ref.clone());
                    asyncio::create_task(async move {
                        {
                            let _p = sem.acquire().await?;
                            asyncio::sleep(Duration::ZERO).await?;
                        }
                        while t2_ref.get().is_none() {
                            asyncio::sleep(Duration::ZERO).await?;
                        }
                        t2_ref.get().unwrap().cancel(None);
                        Ok::<_, CancelledError>(())
                    })
                };
                let t2 = {
                    let sem = sem.clone();
                    asyncio::create_task(async move {
                        let _p = sem.acquire().await?;
                        Ok::<_, CancelledError>("acquired")
                    })
                };
                t2_ref.set(t2.task_ref()).unwrap();
                t1.await.unwrap();
                // Cancelled while waiting, or after its permit was handed over, or it got the
                // permit first (multi-worker): in every case no permit is lost.
                let _ = t2.await;
                let p = asyncio::wait_for(sem.acquire(), Some(Duration::from_secs(10)))
                    .await
                    .expect("a permit was lost")
                    .unwrap();
                drop(p);
                assert_eq!(sem.value(), 1);
            });
        }
    });
}

#[test]
fn test_release_not_acquired() {
    util::deadline(|| {
        let sem = BoundedSemaphore::new(1);
        let err = sem.release().unwrap_err();
        assert_eq!(err.to_string(), "BoundedSemaphore released too many times");
    });
}

#[test]
fn test_release_no_waiters() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let sem = Semaphore::new(1);
                sem.acquire().await.unwrap().forget();
                assert!(sem.locked());
                sem.release();
                assert!(!sem.locked());
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore(1)
//     result = []
//     async def coro(tag):
//         await sem.acquire()
//         result.append(f'{tag}_1')
//         await asyncio.sleep(0)
//         sem.release()
//         await sem.acquire()
//         result.append(f'{tag}_2')
//         await asyncio.sleep(0)
//         sem.release()
//     async with asyncio.TaskGroup() as tg:
//         tg.create_task(coro('c1'))
//         tg.create_task(coro('c2'))
//         tg.create_task(coro('c3'))
//     assert result == ['c1_1', 'c2_1', 'c3_1', 'c1_2', 'c2_2', 'c3_2'], result
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_fifo_order() {
    util::deadline(|| {
        rt1().block_on(async {
            let sem = Arc::new(Semaphore::new(1));
            let result = Log::default();
            let coro = |tag: &'static str| {
                let (sem, result) = (sem.clone(), result.clone());
                async move {
                    sem.acquire().await?.forget();
                    result.push(format!("{tag}_1"));
                    asyncio::sleep(Duration::ZERO).await?;
                    sem.release();
                    sem.acquire().await?.forget();
                    result.push(format!("{tag}_2"));
                    asyncio::sleep(Duration::ZERO).await?;
                    sem.release();
                    Ok::<_, CancelledError>(())
                }
            };
            let tasks = [
                asyncio::create_task(coro("c1")),
                asyncio::create_task(coro("c2")),
                asyncio::create_task(coro("c3")),
            ];
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(
                result.get(),
                strs(&["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"])
            );
        });
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore(1)
//     result = []
//     async def c1(result):
//         await sem.acquire()
//         result.append(1)
//         return True
//     async def c2(result):
//         await sem.acquire()
//         result.append(2)
//         sem.release()
//         await sem.acquire()
//         result.append(4)
//         return True
//     async def c3(result):
//         await sem.acquire()
//         result.append(3)
//         return True
//     t1 = asyncio.create_task(c1(result))
//     t2 = asyncio.create_task(c2(result))
//     t3 = asyncio.create_task(c3(result))
//     await asyncio.sleep(0)
//     sem.release()
//     sem.release()
//     await asyncio.gather(t1, t2, t3)
//     assert result == [1, 2, 3, 4], result
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_fifo_order_2() {
    util::deadline(|| {
        rt1().block_on(async {
            let sem = Arc::new(Semaphore::new(1));
            let result = Log::default();
            let t1 = {
                let (sem, result) = (sem.clone(), result.clone());
                asyncio::create_task(async move {
                    sem.acquire().await?.forget();
                    result.push(1);
                    Ok::<_, CancelledError>(true)
                })
            };
            let t2 = {
                let (sem, result) = (sem.clone(), result.clone());
                asyncio::create_task(async move {
                    sem.acquire().await?.forget();
                    result.push(2);
                    sem.release();
                    sem.acquire().await?.forget();
                    result.push(4);
                    Ok::<_, CancelledError>(true)
                })
            };
            let t3 = {
                let (sem, result) = (sem.clone(), result.clone());
                asyncio::create_task(async move {
                    sem.acquire().await?.forget();
                    result.push(3);
                    Ok::<_, CancelledError>(true)
                })
            };
            yield0().await;
            sem.release();
            sem.release();
            for t in [t1, t2, t3] {
                assert!(t.await.unwrap());
            }
            assert_eq!(result.get(), strs(&["1", "2", "3", "4"]));
        });
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore(0)
//     result = []
//     async def c(i):
//         await sem.acquire()
//         result.append(i)
//         return True
//     t1 = asyncio.create_task(c(1))
//     t2 = asyncio.create_task(c(2))
//     t3 = asyncio.create_task(c(3))
//     await asyncio.sleep(0)
//     t1.cancel()
//     await asyncio.sleep(0)
//     sem.release()
//     sem.release()
//     await asyncio.gather(t1, t2, t3, return_exceptions=True)
//     assert result == [2, 3], result
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_fifo_order_3() {
    util::deadline(|| {
        rt1().block_on(async {
            let sem = Arc::new(Semaphore::new(0));
            let result = Log::default();
            let c = |i: i32| {
                let (sem, result) = (sem.clone(), result.clone());
                async move {
                    sem.acquire().await?.forget();
                    result.push(i);
                    Ok::<_, CancelledError>(true)
                }
            };
            let (t1, t2, t3) = (
                asyncio::create_task(c(1)),
                asyncio::create_task(c(2)),
                asyncio::create_task(c(3)),
            );
            yield0().await;
            t1.cancel(None);
            yield0().await;
            sem.release();
            sem.release();
            assert!(t1.await.unwrap_err().is_cancelled());
            t2.await.unwrap();
            t3.await.unwrap();
            assert_eq!(result.get(), strs(&["2", "3"]));
        });
    });
}

// ```python
// import asyncio
// async def main():
//     sem = asyncio.Semaphore(0)
//     result = []
//     t4 = None
//     async def c1(result):
//         nonlocal t4
//         assert sem._value == 0
//         await sem.acquire()
//         assert sem._value == 0
//         t4 = asyncio.create_task(c4(result))
//         result.append(1)
//         return True
//     async def c2(result):
//         sem.release()
//         sem.release()
//         sem.release()
//         assert sem._value == 2
//         assert sem.locked()
//         await sem.acquire()
//         result.append(2)
//         return True
//     async def c3(result):
//         await sem.acquire()
//         assert sem.locked()
//         result.append(3)
//         return True
//     async def c4(result):
//         result.append(4)
//         return True
//     t1 = asyncio.create_task(c1(result))
//     t2 = asyncio.create_task(c2(result))
//     t3 = asyncio.create_task(c3(result))
//     await asyncio.sleep(0)
//     assert sem._value == 2
//     assert len(sem._waiters) == 3
//     await asyncio.sleep(0)
//     await asyncio.gather(t1, t2, t3, t4)
//     assert result == [1, 2, 3, 4], result
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_acquire_fifo_order_4() {
    util::deadline(|| {
        rt1().block_on(async {
            let sem = Arc::new(Semaphore::new(0));
            let result = Log::default();
            let t4: Arc<OnceLock<asyncio::Task<bool>>> = Arc::new(OnceLock::new());
            let t1 = {
                let (sem, result, t4) = (sem.clone(), result.clone(), t4.clone());
                asyncio::create_task(async move {
                    assert_eq!(sem.value(), 0);
                    sem.acquire().await?.forget();
                    // All waiting tasks were woken now.
                    assert_eq!(sem.value(), 0);
                    // A fourth task: it runs after c3, not c2.
                    let r = result.clone();
                    let _ = t4.set(asyncio::create_task(async move {
                        r.push(4);
                        true
                    }));
                    result.push(1);
                    Ok::<_, CancelledError>(true)
                })
            };
            let t2 = {
                let (sem, result) = (sem.clone(), result.clone());
                asyncio::create_task(async move {
                    sem.release();
                    sem.release();
                    sem.release();
                    assert_eq!(sem.value(), 2);
                    assert!(sem.locked(), "c1 has not woken up yet");
                    sem.acquire().await?.forget();
                    result.push(2);
                    Ok::<_, CancelledError>(true)
                })
            };
            let t3 = {
                let (sem, result) = (sem.clone(), result.clone());
                asyncio::create_task(async move {
                    sem.acquire().await?.forget();
                    assert!(sem.locked());
                    result.push(3);
                    Ok::<_, CancelledError>(true)
                })
            };
            yield0().await;
            assert_eq!(sem.value(), 2);
            assert_eq!(format!("{sem:?}"), "<Semaphore [locked, waiters:3]>");
            yield0().await;
            for t in [t1, t2, t3] {
                assert!(t.await.unwrap());
            }
            let t4 = Arc::try_unwrap(t4).ok().unwrap().into_inner().unwrap();
            assert!(t4.await.unwrap());
            assert_eq!(result.get(), strs(&["1", "2", "3", "4"]));
        });
    });
}

/// A permit dropped after the semaphore was over-released by hand does not push a
/// `BoundedSemaphore` above its bound, and does not panic.
#[test]
fn test_bounded_permit_drop_never_exceeds_bound() {
    util::deadline(|| {
        let sem = BoundedSemaphore::new(1);
        let p = sem.try_acquire().unwrap();
        sem.release().unwrap(); // by hand, while the permit is alive
        drop(p); // would exceed the bound: refused silently
        assert_eq!(sem.value(), 1);
        assert!(sem.release().is_err());
    });
}

/// Owned permits move between tasks.
#[test]
fn test_acquire_owned_permit() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let sem = Arc::new(Semaphore::new(1));
                let permit = sem.clone().acquire_owned().await.unwrap();
                assert!(sem.locked());
                asyncio::create_task(async move { drop(permit) })
                    .await
                    .unwrap();
                assert_eq!(sem.value(), 1);
            });
        }
    });
}

/// Several workers, a semaphore of 3, 300 tasks with random cancellations: never more
/// than 3 inside, every surviving task gets in, and all permits come back.
#[test]
fn test_semaphore_contention_with_cancellations_multi_worker() {
    util::deadline(|| {
        for n in [2, 4] {
            rt(n).block_on(async {
                let sem = Arc::new(Semaphore::new(3));
                let inside = Arc::new(AtomicUsize::new(0));
                let entered = Arc::new(AtomicUsize::new(0));
                let mut tasks = Vec::new();
                for i in 0..300 {
                    let (sem, inside, entered) = (sem.clone(), inside.clone(), entered.clone());
                    tasks.push(asyncio::create_task(async move {
                        let _p = sem.acquire().await?;
                        assert!(inside.fetch_add(1, Ordering::SeqCst) < 3, "over the limit");
                        if i % 2 == 0 {
                            asyncio::sleep(Duration::ZERO).await.ok();
                        }
                        inside.fetch_sub(1, Ordering::SeqCst);
                        entered.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, CancelledError>(())
                    }));
                }
                for (i, t) in tasks.iter().enumerate() {
                    if i % 5 == 1 {
                        t.cancel(Some("random"));
                    }
                }
                let mut ok = 0;
                for t in tasks {
                    if t.await.is_ok() {
                        ok += 1;
                    }
                }
                assert_eq!(entered.load(Ordering::SeqCst), ok);
                assert_eq!(sem.value(), 3, "a permit was lost");
                assert!(!sem.locked());
            });
        }
    });
}
