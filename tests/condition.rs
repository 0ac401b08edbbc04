//! `Condition` (asyncio's `locks.py`): wait/notify with the lock released and
//! re-acquired (also when cancelled), notifications never lost to a cancelled waiter,
//! `RuntimeError` values on un-acquired use.
//!
//! Mirrors CPython 3.13 `test_locks.py` `ConditionTests`. Ordering-sensitive tests run on
//! the 1-worker runtime and carry the Python 3.13 script they were checked against
//! (`PYENV_VERSION=3.13.0 python script.py` prints `ok`).

mod util;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{Condition, ConditionError, Lock};
use util::{rt, rt1, WORKER_COUNTS};

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

const NONE: [i32; 0] = [];

// ```python
// import asyncio
// async def main():
//     cond = asyncio.Condition()
//     result = []
//     async def c(i):
//         await cond.acquire()
//         if await cond.wait():
//             result.append(i)
//         return True
//     t1 = asyncio.create_task(c(1))
//     t2 = asyncio.create_task(c(2))
//     t3 = asyncio.create_task(c(3))
//     await asyncio.sleep(0)
//     assert result == []
//     assert not cond.locked()
//     assert await cond.acquire()
//     cond.notify()
//     await asyncio.sleep(0)
//     assert result == []
//     assert cond.locked()
//     cond.release()
//     await asyncio.sleep(0)
//     assert result == [1]
//     assert cond.locked()
//     cond.notify(2)
//     await asyncio.sleep(0)
//     assert result == [1]
//     assert cond.locked()
//     cond.release()
//     await asyncio.sleep(0)
//     assert result == [1, 2]
//     assert cond.locked()
//     cond.release()
//     await asyncio.sleep(0)
//     assert result == [1, 2, 3]
//     assert cond.locked()
//     assert t1.done() and t2.done() and t3.done()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_wait() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            let result = Log::default();
            let c = |i: i32| {
                let (cond, result) = (cond.clone(), result.clone());
                async move {
                    cond.acquire().await?.forget();
                    cond.wait().await?;
                    result.push(i);
                    Ok::<_, ConditionError>(true)
                }
            };
            let t1 = asyncio::create_task(c(1));
            let t2 = asyncio::create_task(c(2));
            let t3 = asyncio::create_task(c(3));
            yield0().await;
            assert_eq!(result.get(), NONE);
            assert!(!cond.locked());
            cond.acquire().await.unwrap().forget();
            cond.notify(1).unwrap();
            yield0().await;
            assert_eq!(result.get(), NONE);
            assert!(cond.locked());
            cond.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1]);
            assert!(cond.locked());
            cond.notify(2).unwrap();
            yield0().await;
            assert_eq!(result.get(), [1]);
            assert!(cond.locked());
            cond.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1, 2]);
            assert!(cond.locked());
            cond.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1, 2, 3]);
            assert!(cond.locked());
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
//     cond = asyncio.Condition()
//     await cond.acquire()
//     wait = asyncio.create_task(cond.wait())
//     asyncio.get_running_loop().call_soon(wait.cancel)
//     try:
//         await wait
//         assert False
//     except asyncio.CancelledError:
//         pass
//     assert not cond._waiters
//     assert cond.locked()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_wait_cancel() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let cond = Arc::new(Condition::new());
                cond.acquire().await.unwrap().forget();
                let wait = {
                    let cond = cond.clone();
                    asyncio::create_task(async move { cond.wait().await })
                };
                let w = wait.task_ref();
                asyncio::call_soon(move || {
                    w.cancel(None);
                });
                let err = wait.await.unwrap_err();
                assert!(err.is_cancelled());
                assert!(!format!("{cond:?}").contains("waiters"));
                assert!(
                    cond.locked(),
                    "re-acquired before the cancellation was raised"
                );
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     cond = asyncio.Condition()
//     await cond.acquire()
//     assert cond.locked()
//     wait_task = asyncio.create_task(cond.wait())
//     await asyncio.sleep(0)
//     assert not cond.locked()
//     await cond.acquire()
//     assert cond.locked()
//     cond.notify()
//     asyncio.get_running_loop().call_soon(wait_task.cancel)
//     asyncio.get_running_loop().call_soon(cond.release)
//     try:
//         await wait_task
//     except asyncio.CancelledError:
//         pass
//     assert cond.locked()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_wait_cancel_contested() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            cond.acquire().await.unwrap().forget();
            assert!(cond.locked());
            let wait_task = {
                let cond = cond.clone();
                asyncio::create_task(async move { cond.wait().await })
            };
            yield0().await;
            assert!(!cond.locked());
            cond.acquire().await.unwrap().forget();
            assert!(cond.locked());
            cond.notify(1).unwrap();
            let w = wait_task.task_ref();
            asyncio::call_soon(move || {
                w.cancel(None);
            });
            let c = cond.clone();
            asyncio::call_soon(move || c.release().unwrap());
            let _ = wait_task.await;
            assert!(cond.locked());
        });
    });
}

// ```python
// import asyncio
// async def main():
//     waited = False
//     cond = asyncio.Condition()
//     async def wait_on_cond():
//         nonlocal waited
//         async with cond:
//             waited = True
//             await cond.wait()
//     waiter = asyncio.create_task(wait_on_cond())
//     await asyncio.sleep(0)
//     await cond.acquire()
//     cond.notify()
//     await asyncio.sleep(0)
//     waiter.cancel()
//     await asyncio.sleep(0)
//     cond.release()
//     await asyncio.sleep(0)
//     assert waiter.cancelled()
//     assert waited
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_wait_cancel_after_notify() {
    util::deadline(|| {
        rt1().block_on(async {
            let waited = Arc::new(AtomicBool::new(false));
            let cond = Arc::new(Condition::new());
            let waiter = {
                let (cond, waited) = (cond.clone(), waited.clone());
                asyncio::create_task(async move {
                    let _g = cond.acquire().await?;
                    waited.store(true, Ordering::SeqCst);
                    cond.wait().await?;
                    Ok::<_, ConditionError>(())
                })
            };
            yield0().await;
            cond.acquire().await.unwrap().forget();
            cond.notify(1).unwrap();
            yield0().await;
            waiter.cancel(None);
            yield0().await;
            cond.release().unwrap();
            yield0().await;
            assert!(waiter.cancelled());
            assert!(waited.load(Ordering::SeqCst));
        });
    });
}

#[test]
fn test_wait_unacquired() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let cond = Condition::new();
                match cond.wait().await {
                    Err(ConditionError::NotAcquired(e)) => {
                        assert_eq!(e.to_string(), "cannot wait on un-acquired lock")
                    }
                    other => panic!("{other:?}"),
                }
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     cond = asyncio.Condition()
//     presult = False
//     def predicate():
//         return presult
//     result = []
//     async def c1(result):
//         await cond.acquire()
//         if await cond.wait_for(predicate):
//             result.append(1)
//             cond.release()
//         return True
//     t = asyncio.create_task(c1(result))
//     await asyncio.sleep(0)
//     assert result == []
//     await cond.acquire()
//     cond.notify()
//     cond.release()
//     await asyncio.sleep(0)
//     assert result == []
//     presult = True
//     await cond.acquire()
//     cond.notify()
//     cond.release()
//     await asyncio.sleep(0)
//     assert result == [1]
//     assert t.done() and t.result()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_wait_for() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            let presult = Arc::new(AtomicBool::new(false));
            let result = Log::default();
            let t = {
                let (cond, presult, result) = (cond.clone(), presult.clone(), result.clone());
                asyncio::create_task(async move {
                    cond.acquire().await?.forget();
                    cond.wait_for(|| presult.load(Ordering::SeqCst)).await?;
                    result.push(1);
                    cond.release().unwrap();
                    Ok::<_, ConditionError>(true)
                })
            };
            yield0().await;
            assert_eq!(result.get(), NONE);
            cond.acquire().await.unwrap().forget();
            cond.notify(1).unwrap();
            cond.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), NONE);
            presult.store(true, Ordering::SeqCst);
            cond.acquire().await.unwrap().forget();
            cond.notify(1).unwrap();
            cond.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1]);
            assert!(t.done());
            assert!(t.await.unwrap());
        });
    });
}

#[test]
fn test_wait_for_unacquired() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let cond = Condition::new();
                // The predicate can be true at once: no lock needed.
                cond.wait_for(|| true).await.unwrap();
                assert!(matches!(
                    cond.wait_for(|| false).await,
                    Err(ConditionError::NotAcquired(_))
                ));
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     cond = asyncio.Condition()
//     result = []
//     async def c(i):
//         await cond.acquire()
//         if await cond.wait():
//             result.append(i)
//             cond.release()
//         return True
//     t1 = asyncio.create_task(c(1))
//     t2 = asyncio.create_task(c(2))
//     t3 = asyncio.create_task(c(3))
//     await asyncio.sleep(0)
//     assert result == []
//     await cond.acquire()
//     cond.notify(1)
//     cond.release()
//     await asyncio.sleep(0)
//     assert result == [1]
//     await cond.acquire()
//     cond.notify(1)
//     cond.notify(2048)
//     cond.release()
//     await asyncio.sleep(0)
//     assert result == [1, 2, 3]
//     assert t1.done() and t2.done() and t3.done()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_notify() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            let result = Log::default();
            let c = |i: i32| {
                let (cond, result) = (cond.clone(), result.clone());
                async move {
                    cond.acquire().await?.forget();
                    cond.wait().await?;
                    result.push(i);
                    cond.release().unwrap();
                    Ok::<_, ConditionError>(true)
                }
            };
            let t1 = asyncio::create_task(c(1));
            let t2 = asyncio::create_task(c(2));
            let t3 = asyncio::create_task(c(3));
            yield0().await;
            assert_eq!(result.get(), NONE);
            cond.acquire().await.unwrap().forget();
            cond.notify(1).unwrap();
            cond.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1]);
            cond.acquire().await.unwrap().forget();
            cond.notify(1).unwrap();
            cond.notify(2048).unwrap();
            cond.release().unwrap();
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
//     cond = asyncio.Condition()
//     result = []
//     async def c(i):
//         await cond.acquire()
//         if await cond.wait():
//             result.append(i)
//             cond.release()
//         return True
//     t1 = asyncio.create_task(c(1))
//     t2 = asyncio.create_task(c(2))
//     await asyncio.sleep(0)
//     assert result == []
//     await cond.acquire()
//     cond.notify_all()
//     cond.release()
//     await asyncio.sleep(0)
//     assert result == [1, 2]
//     assert t1.done() and t2.done()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_notify_all() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            let result = Log::default();
            let c = |i: i32| {
                let (cond, result) = (cond.clone(), result.clone());
                async move {
                    cond.acquire().await?.forget();
                    cond.wait().await?;
                    result.push(i);
                    cond.release().unwrap();
                    Ok::<_, ConditionError>(true)
                }
            };
            let t1 = asyncio::create_task(c(1));
            let t2 = asyncio::create_task(c(2));
            yield0().await;
            assert_eq!(result.get(), NONE);
            cond.acquire().await.unwrap().forget();
            cond.notify_all().unwrap();
            cond.release().unwrap();
            yield0().await;
            assert_eq!(result.get(), [1, 2]);
            assert!(t1.done() && t2.done());
        });
    });
}

#[test]
fn test_notify_unacquired() {
    util::deadline(|| {
        let cond = Condition::new();
        let err = cond.notify(1).unwrap_err();
        assert_eq!(err.to_string(), "cannot notify on un-acquired lock");
    });
}

#[test]
fn test_notify_all_unacquired() {
    util::deadline(|| {
        let cond = Condition::new();
        assert!(cond.notify_all().is_err());
    });
}

#[test]
fn test_repr() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            assert_eq!(format!("{cond:?}"), "<Condition [unlocked]>");
            cond.acquire().await.unwrap().forget();
            assert_eq!(format!("{cond:?}"), "<Condition [locked]>");
            let t = {
                let cond = cond.clone();
                asyncio::create_task(async move { cond.wait().await })
            };
            yield0().await;
            assert_eq!(format!("{cond:?}"), "<Condition [unlocked, waiters:1]>");
            t.cancel(None);
            let _ = t.await;
        });
    });
}

#[test]
fn test_context_manager() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let cond = Condition::new();
                assert!(!cond.locked());
                {
                    let _g = cond.acquire().await.unwrap();
                    assert!(cond.locked());
                }
                assert!(!cond.locked());
            });
        }
    });
}

#[test]
fn test_explicit_lock() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                async fn f(lock: Arc<Lock>, cond: Condition) {
                    assert!(Arc::ptr_eq(cond.lock(), &lock));
                    assert!(!lock.locked());
                    assert!(!cond.locked());
                    {
                        let _g = cond.acquire().await.unwrap();
                        assert!(lock.locked());
                        assert!(cond.locked());
                    }
                    assert!(!lock.locked());
                    assert!(!cond.locked());
                    {
                        let _g = lock.acquire().await.unwrap();
                        assert!(lock.locked());
                        assert!(cond.locked());
                    }
                    assert!(!lock.locked());
                    assert!(!cond.locked());
                }
                let cond = Condition::new();
                f(cond.lock().clone(), cond).await;
                let lock = Arc::new(Lock::new());
                f(lock.clone(), Condition::with_lock(lock)).await;
            });
        }
    });
}

// async with condition: await asyncio.wait_for(condition.wait(), timeout=...) raises
// TimeoutError, and the lock is held again after it.
#[test]
fn test_timeout_in_block() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let cond = Condition::new();
                let g = cond.acquire().await.unwrap();
                let r = asyncio::wait_for(cond.wait(), Some(Duration::from_millis(5))).await;
                assert!(r.is_err(), "expected TimeoutError, got {r:?}");
                assert!(
                    g.is_held(),
                    "the lock was re-acquired for the caller's guard"
                );
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     wake = False
//     raised = None
//     cond = asyncio.Condition()
//     async def func():
//         nonlocal raised
//         async with cond:
//             try:
//                 await cond.wait_for(lambda: wake)
//             except asyncio.CancelledError as e:
//                 raised = e
//                 raise
//     task = asyncio.create_task(func())
//     await asyncio.sleep(0)
//     task.cancel(msg="foo")
//     try:
//         await task
//         assert False
//     except asyncio.CancelledError as e:
//         assert e.args == ("foo",)
//         assert e is raised
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_cancelled_error_wakeup() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let cond = Arc::new(Condition::new());
                let raised: Arc<Mutex<Option<String>>> = Arc::default();
                let task = {
                    let (cond, raised) = (cond.clone(), raised.clone());
                    asyncio::create_task(async move {
                        let _g = cond.acquire().await?;
                        if let Err(e) = cond.wait_for(|| false).await {
                            let msg = e.as_cancelled().unwrap().message().map(str::to_owned);
                            *raised.lock().unwrap() = msg;
                            return Err(e);
                        }
                        Ok::<_, ConditionError>(())
                    })
                };
                while !format!("{cond:?}").contains("waiters:1") {
                    yield0().await;
                }
                task.cancel(Some("foo"));
                let err = task.await.unwrap_err();
                assert_eq!(err.as_cancelled().unwrap().message(), Some("foo"));
                assert_eq!(raised.lock().unwrap().as_deref(), Some("foo"));
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     wake = False
//     raised = None
//     cond = asyncio.Condition()
//     async def func():
//         nonlocal raised
//         async with cond:
//             try:
//                 await cond.wait_for(lambda: wake)
//             except asyncio.CancelledError as e:
//                 raised = e
//                 raise
//     task = asyncio.create_task(func())
//     await asyncio.sleep(0)
//     await cond.acquire()
//     wake = True
//     cond.notify()
//     await asyncio.sleep(0)
//     task.cancel(msg="foo")
//     cond.release()
//     try:
//         await task
//         assert False
//     except asyncio.CancelledError as e:
//         assert e.args == ("foo",)
//         assert e is raised
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_cancelled_error_re_aquire() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            let wake = Arc::new(AtomicBool::new(false));
            let raised: Arc<Mutex<Option<String>>> = Arc::default();
            let task = {
                let (cond, wake, raised) = (cond.clone(), wake.clone(), raised.clone());
                asyncio::create_task(async move {
                    let _g = cond.acquire().await?;
                    if let Err(e) = cond.wait_for(|| wake.load(Ordering::SeqCst)).await {
                        let msg = e.as_cancelled().unwrap().message().map(str::to_owned);
                        *raised.lock().unwrap() = msg;
                        return Err(e);
                    }
                    Ok::<_, ConditionError>(())
                })
            };
            yield0().await;
            cond.acquire().await.unwrap().forget();
            wake.store(true, Ordering::SeqCst);
            cond.notify(1).unwrap();
            yield0().await;
            // The task now waits to re-acquire the lock: cancel it there.
            task.cancel(Some("foo"));
            cond.release().unwrap();
            let err = task.await.unwrap_err();
            assert_eq!(err.as_cancelled().unwrap().message(), Some("foo"));
            assert_eq!(raised.lock().unwrap().as_deref(), Some("foo"));
        });
    });
}

/// `consumer()` of `test_cancelled_wakeup` / `test_cancelled_wakeup_relock`.
async fn consumer(cond: Arc<Condition>, state: Arc<AtomicI64>) -> Result<(), ConditionError> {
    let _g = cond.acquire().await?;
    loop {
        cond.wait_for(|| state.load(Ordering::SeqCst) != 0).await?;
        if state.load(Ordering::SeqCst) < 0 {
            return Ok(());
        }
        state.fetch_sub(1, Ordering::SeqCst);
    }
}

// ```python
// import asyncio
// async def main():
//     condition = asyncio.Condition()
//     state = 0
//     async def consumer():
//         nonlocal state
//         async with condition:
//             while True:
//                 await condition.wait_for(lambda: state != 0)
//                 if state < 0:
//                     return
//                 state -= 1
//     c = [asyncio.create_task(consumer()) for _ in range(2)]
//     await asyncio.sleep(0)
//     async with condition:
//         state += 1
//         condition.notify(1)
//         c[0].cancel()
//         try:
//             async with asyncio.timeout(0.01):
//                 await condition.wait_for(lambda: state == 0)
//         except TimeoutError:
//             pass
//         assert state == 0
//         state = -1
//         condition.notify_all()
//     await c[1]
//     assert c[0].cancelled()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_cancelled_wakeup() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            let state = Arc::new(AtomicI64::new(0));
            let c: Vec<_> = (0..2)
                .map(|_| asyncio::create_task(consumer(cond.clone(), state.clone())))
                .collect();
            yield0().await;
            {
                let _g = cond.acquire().await.unwrap();
                state.fetch_add(1, Ordering::SeqCst);
                cond.notify(1).unwrap();
                // Cancel it while it waits to run.
                c[0].cancel(None);
                // The item must be consumed: the notification was not lost to the cancel.
                // (The timeout only keeps the test from hanging if it were.)
                let _ = asyncio::timeout(Some(Duration::from_millis(10)))
                    .run(cond.wait_for(|| state.load(Ordering::SeqCst) == 0))
                    .await;
                assert_eq!(state.load(Ordering::SeqCst), 0);
                state.store(-1, Ordering::SeqCst);
                cond.notify_all().unwrap();
            }
            let mut c = c.into_iter();
            let c0 = c.next().unwrap();
            c.next().unwrap().await.unwrap();
            assert!(c0.cancelled());
        });
    });
}

// ```python
// import asyncio
// async def main():
//     condition = asyncio.Condition()
//     state = 0
//     async def consumer():
//         nonlocal state
//         async with condition:
//             while True:
//                 await condition.wait_for(lambda: state != 0)
//                 if state < 0:
//                     return
//                 state -= 1
//     c = [asyncio.create_task(consumer()) for _ in range(2)]
//     await asyncio.sleep(0)
//     async with condition:
//         state += 1
//         condition.notify(1)
//         await asyncio.sleep(0)
//         c[0].cancel()
//         try:
//             async with asyncio.timeout(0.01):
//                 await condition.wait_for(lambda: state == 0)
//         except TimeoutError:
//             pass
//         assert state == 0
//         state = -1
//         condition.notify_all()
//     await c[1]
//     assert c[0].cancelled()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_cancelled_wakeup_relock() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            let state = Arc::new(AtomicI64::new(0));
            let c: Vec<_> = (0..2)
                .map(|_| asyncio::create_task(consumer(cond.clone(), state.clone())))
                .collect();
            yield0().await;
            {
                let _g = cond.acquire().await.unwrap();
                state.fetch_add(1, Ordering::SeqCst);
                cond.notify(1).unwrap();
                // Let it wake up and queue for the lock; cancel it there.
                yield0().await;
                c[0].cancel(None);
                let _ = asyncio::timeout(Some(Duration::from_millis(10)))
                    .run(cond.wait_for(|| state.load(Ordering::SeqCst) == 0))
                    .await;
                assert_eq!(state.load(Ordering::SeqCst), 0);
                state.store(-1, Ordering::SeqCst);
                cond.notify_all().unwrap();
            }
            let mut c = c.into_iter();
            let c0 = c.next().unwrap();
            c.next().unwrap().await.unwrap();
            assert!(c0.cancelled());
        });
    });
}

/// A `wait()` future dropped after it was notified passes the notification on (no lost
/// wake-up), and the caller's guard no longer holds the lock.
#[test]
fn test_dropped_notified_waiter_passes_notification_on() {
    util::deadline(|| {
        rt1().block_on(async {
            let cond = Arc::new(Condition::new());
            let state = Arc::new(AtomicI64::new(0));
            let a = {
                let cond = cond.clone();
                asyncio::create_task(async move {
                    let _g = cond.acquire().await?;
                    cond.wait().await?;
                    Ok::<_, ConditionError>("a woken")
                })
            };
            let b = asyncio::create_task(consumer(cond.clone(), state.clone()));
            yield0().await;
            {
                let _g = cond.acquire().await.unwrap();
                state.store(-1, Ordering::SeqCst);
                cond.notify(1).unwrap(); // wakes `a` only
            }
            a.abort(); // `a`'s wait future is dropped before it ran: B must be notified
            b.await.unwrap();
            assert!(!cond.locked());
        });
    });
}

/// Producers and consumers on several workers, a bounded buffer guarded by a condition,
/// random cancellations of consumers: every item is consumed exactly once.
#[test]
fn test_condition_producer_consumer_multi_worker() {
    util::deadline(|| {
        for n in [2, 4] {
            rt(n).block_on(async {
                let cond = Arc::new(Condition::new());
                let buf: Arc<Mutex<Vec<u32>>> = Arc::default();
                let seen: Arc<Mutex<Vec<u32>>> = Arc::default();
                let done = Arc::new(AtomicBool::new(false));
                let mut consumers = Vec::new();
                for _ in 0..8 {
                    let (cond, buf, seen, done) =
                        (cond.clone(), buf.clone(), seen.clone(), done.clone());
                    consumers.push(asyncio::create_task(async move {
                        let _g = cond.acquire().await?;
                        loop {
                            cond.wait_for(|| {
                                !buf.lock().unwrap().is_empty() || done.load(Ordering::SeqCst)
                            })
                            .await?;
                            match buf.lock().unwrap().pop() {
                                Some(v) => seen.lock().unwrap().push(v),
                                None => return Ok::<_, ConditionError>(()),
                            }
                        }
                    }));
                }
                for i in 0..2000u32 {
                    let _g = cond.acquire().await.unwrap();
                    buf.lock().unwrap().push(i);
                    cond.notify(1).unwrap();
                    if i % 250 == 0 {
                        consumers[(i / 250) as usize % 8].cancel(None);
                    }
                }
                // Make sure a surviving consumer drains what is left.
                let last = {
                    let (cond, buf, seen) = (cond.clone(), buf.clone(), seen.clone());
                    asyncio::create_task(async move {
                        let _g = cond.acquire().await?;
                        while let Some(v) = buf.lock().unwrap().pop() {
                            seen.lock().unwrap().push(v);
                        }
                        Ok::<_, ConditionError>(())
                    })
                };
                {
                    let _g = cond.acquire().await.unwrap();
                    done.store(true, Ordering::SeqCst);
                    cond.notify_all().unwrap();
                }
                for c in consumers {
                    let _ = c.await;
                }
                last.await.unwrap();
                let mut seen = seen.lock().unwrap().clone();
                seen.sort_unstable();
                assert_eq!(seen, (0..2000).collect::<Vec<_>>());
                assert!(!cond.locked());
            });
        }
    });
}
