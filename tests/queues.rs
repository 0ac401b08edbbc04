//! `Queue`, `LifoQueue`, `PriorityQueue` (asyncio's `queues.py`, 3.13): ordering,
//! blocking get/put, cancellation that loses no item and no wake-up, `task_done`/`join`,
//! `shutdown(immediate)`.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_queues.py`. Ordering-sensitive tests
//! run on the 1-worker runtime and carry the Python 3.13 script they were checked against
//! (`PYENV_VERSION=3.13.0 python script.py` prints `ok`); the others also run with
//! several workers. `stress_bounded_queue_1m_items_random_cancellations` is the
//! `#[ignore]`d multi-worker stress test (run it in `--release`).

mod util;

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asyncio::{CancelledError, GetError, LifoQueue, PriorityQueue, PutError, Queue};
use util::{rt, rt1, WORKER_COUNTS};

async fn yield0() {
    asyncio::sleep(Duration::ZERO).await.unwrap();
}

// ---- QueueBasicTests -------------------------------------------------------------------

// ```python
// import asyncio
// async def main():
//     q = asyncio.Queue()
//     async with asyncio.TaskGroup() as tg:
//         getter = tg.create_task(q.get())
//         await asyncio.sleep(0)
//         assert '_getters[1]' in repr(q)
//         q.put_nowait(0)
//     assert 0 == await getter
//     q = asyncio.Queue(maxsize=1)
//     async with asyncio.TaskGroup() as tg:
//         q.put_nowait(1)
//         putter = tg.create_task(q.put(2))
//         await asyncio.sleep(0)
//         assert '_putters[1]' in repr(q)
//         q.get_nowait()
//     assert putter.done()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_repr() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Arc::new(Queue::new(0));
            assert_eq!(format!("{q:?}"), "<Queue maxsize=0>");
            let getter = {
                let q = q.clone();
                asyncio::create_task(async move { q.get().await })
            };
            yield0().await;
            assert_eq!(format!("{q:?}"), "<Queue maxsize=0 _getters[1]>");
            q.put_nowait(0).unwrap();
            assert_eq!(getter.await.unwrap(), 0);

            let q = Arc::new(Queue::new(1));
            q.put_nowait(1).unwrap();
            let putter = {
                let q = q.clone();
                asyncio::create_task(async move { q.put(2).await.map_err(|e| e.without_item()) })
            };
            yield0().await;
            assert_eq!(
                format!("{q:?}"),
                "<Queue maxsize=1 qsize=1 _putters[1] tasks=1>"
            );
            q.get_nowait().unwrap();
            putter.await.unwrap();
            assert_eq!(format!("{q:?}"), "<Queue maxsize=1 qsize=1 tasks=2>");
        });
    });
}

#[test]
fn test_empty() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Queue::new(0);
                assert!(q.empty());
                q.put(1).await.unwrap();
                assert!(!q.empty());
                assert_eq!(q.get().await.unwrap(), 1);
                assert!(q.empty());
            });
        }
    });
}

#[test]
fn test_full() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Queue::<i32>::new(0);
                assert!(!q.full());
                let q = Queue::new(1);
                q.put(1).await.unwrap();
                assert!(q.full());
            });
        }
    });
}

#[test]
fn test_order() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Queue::new(0);
            for i in [1, 3, 2] {
                q.put(i).await.unwrap();
            }
            let mut items = Vec::new();
            for _ in 0..3 {
                items.push(q.get().await.unwrap());
            }
            assert_eq!(items, [1, 3, 2]);
        });
    });
}

// ```python
// import asyncio
// async def main():
//     q = asyncio.Queue(maxsize=2)
//     assert 2 == q.maxsize
//     have_been_put = []
//     async def putter():
//         for i in range(3):
//             await q.put(i)
//             have_been_put.append(i)
//         return True
//     t = asyncio.create_task(putter())
//     for i in range(2):
//         await asyncio.sleep(0)
//     assert [0, 1] == have_been_put
//     assert 0 == await q.get()
//     await asyncio.sleep(0)
//     assert [0, 1, 2] == have_been_put
//     assert 1 == await q.get()
//     assert 2 == await q.get()
//     assert t.done()
//     assert t.result()
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_maxsize() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Arc::new(Queue::new(2));
            assert_eq!(q.maxsize(), 2);
            let have_been_put: Arc<Mutex<Vec<i32>>> = Arc::default();
            let t = {
                let (q, have) = (q.clone(), have_been_put.clone());
                asyncio::create_task(async move {
                    for i in 0..3 {
                        q.put(i).await.map_err(|e| e.without_item())?;
                        have.lock().unwrap().push(i);
                    }
                    Ok::<_, PutError<()>>(true)
                })
            };
            for _ in 0..2 {
                yield0().await;
            }
            // The putter is blocked after putting two items.
            assert_eq!(*have_been_put.lock().unwrap(), [0, 1]);
            assert_eq!(q.get().await.unwrap(), 0);
            // Let the putter resume and put the last item.
            yield0().await;
            assert_eq!(*have_been_put.lock().unwrap(), [0, 1, 2]);
            assert_eq!(q.get().await.unwrap(), 1);
            assert_eq!(q.get().await.unwrap(), 2);
            assert!(t.done());
            assert!(t.await.unwrap());
        });
    });
}

// ---- QueueGetTests ---------------------------------------------------------------------

#[test]
fn test_blocking_get() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Queue::new(0);
                q.put_nowait(1).unwrap();
                assert_eq!(q.get().await.unwrap(), 1);
            });
        }
    });
}

#[test]
fn test_blocking_get_wait() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(0));
                let started = Arc::new(asyncio::Event::new());
                let finished = Arc::new(AtomicBool::new(false));
                let t = {
                    let (q, started, finished) = (q.clone(), started.clone(), finished.clone());
                    asyncio::create_task(async move {
                        started.set();
                        let res = q.get().await;
                        finished.store(true, Ordering::SeqCst);
                        res
                    })
                };
                started.wait().await.unwrap();
                assert!(!finished.load(Ordering::SeqCst));
                let q2 = q.clone();
                asyncio::call_later(Duration::from_millis(1), move || {
                    q2.put_nowait(1).unwrap();
                });
                assert_eq!(t.await.unwrap(), 1);
                assert!(finished.load(Ordering::SeqCst));
            });
        }
    });
}

#[test]
fn test_nonblocking_get() {
    util::deadline(|| {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait().unwrap(), 1);
    });
}

#[test]
fn test_nonblocking_get_exception() {
    util::deadline(|| {
        let q = Queue::<i32>::new(0);
        assert!(matches!(q.get_nowait(), Err(GetError::Empty(_))));
    });
}

// ```python
// import asyncio
// async def main():
//     q = asyncio.Queue()
//     t1 = asyncio.create_task(q.get())
//     t2 = asyncio.create_task(q.get())
//     await asyncio.sleep(0)
//     t1.cancel()
//     await asyncio.sleep(0)
//     assert t1.done()
//     await q.put('a')
//     await asyncio.sleep(0)
//     assert 'a' == await t2
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_get_cancelled_race() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Arc::new(Queue::new(0));
            let get = || {
                let q = q.clone();
                asyncio::create_task(async move { q.get().await })
            };
            let (t1, t2) = (get(), get());
            yield0().await;
            t1.cancel(None);
            yield0().await;
            assert!(t1.done());
            q.put("a").await.unwrap();
            yield0().await;
            assert_eq!(t2.await.unwrap(), "a");
        });
    });
}

// ```python
// import asyncio
// async def main():
//     q = asyncio.Queue(maxsize=1)
//     asyncio.create_task(q.put('a'))
//     asyncio.create_task(q.put('b'))
//     assert await q.get() == 'a'
//     assert await q.get() == 'b'
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_get_with_waiting_putters() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Arc::new(Queue::new(1));
            for item in ["a", "b"] {
                let q = q.clone();
                drop(asyncio::create_task(async move {
                    q.put(item).await.map_err(|e| e.without_item())
                }));
            }
            assert_eq!(q.get().await.unwrap(), "a");
            assert_eq!(q.get().await.unwrap(), "b");
        });
    });
}

#[test]
fn test_why_are_getters_waiting() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(1));
                let producer_num_items = 5;
                let consumer = {
                    let q = q.clone();
                    asyncio::create_task(async move {
                        for _ in 0..producer_num_items {
                            q.get().await?;
                        }
                        Ok::<_, GetError>(())
                    })
                };
                let producer = {
                    let q = q.clone();
                    asyncio::create_task(async move {
                        for i in 0..producer_num_items {
                            q.put(i).await.map_err(|e| e.without_item())?;
                        }
                        Ok::<_, PutError<()>>(())
                    })
                };
                producer.await.unwrap();
                consumer.await.unwrap();
            });
        }
    });
}

#[test]
fn test_cancelled_getters_not_being_held_in_self_getters() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Queue::<i32>::new(5);
                let r = asyncio::wait_for(q.get(), Some(Duration::from_millis(5))).await;
                assert!(r.is_err(), "expected TimeoutError");
                assert_eq!(
                    format!("{q:?}"),
                    "<Queue maxsize=5>",
                    "no getter left behind"
                );
            });
        }
    });
}

// ---- QueuePutTests ---------------------------------------------------------------------

#[test]
fn test_blocking_put() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Queue::new(0);
                // No maxsize: does not block.
                q.put(1).await.unwrap();
                assert_eq!(q.get().await.unwrap(), 1);
            });
        }
    });
}

#[test]
fn test_blocking_put_wait() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(1));
                let started = Arc::new(asyncio::Event::new());
                let finished = Arc::new(AtomicBool::new(false));
                let q2 = q.clone();
                asyncio::call_later(Duration::from_millis(1), move || {
                    let _ = q2.get_nowait();
                });
                let t = {
                    let (q, started, finished) = (q.clone(), started.clone(), finished.clone());
                    asyncio::create_task(async move {
                        started.set();
                        q.put(1).await.map_err(|e| e.without_item())?;
                        q.put(2).await.map_err(|e| e.without_item())?;
                        finished.store(true, Ordering::SeqCst);
                        Ok::<_, PutError<()>>(())
                    })
                };
                started.wait().await.unwrap();
                t.await.unwrap();
                assert!(finished.load(Ordering::SeqCst));
            });
        }
    });
}

#[test]
fn test_nonblocking_put() {
    util::deadline(|| {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait().unwrap(), 1);
    });
}

// ```python
// import asyncio
// async def main():
//     q = asyncio.Queue()
//     reader = asyncio.create_task(q.get())
//     await asyncio.sleep(0)
//     q.put_nowait(1)
//     q.put_nowait(2)
//     reader.cancel()
//     try:
//         await reader
//     except asyncio.CancelledError:
//         reader = asyncio.create_task(q.get())
//         await reader
//     result = reader.result()
//     assert 1 == result
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_get_cancel_drop_one_pending_reader() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Arc::new(Queue::new(0));
            let get = || {
                let q = q.clone();
                asyncio::create_task(async move { q.get().await })
            };
            let reader = get();
            yield0().await;
            q.put_nowait(1).unwrap();
            q.put_nowait(2).unwrap();
            reader.cancel(None);
            let result = match reader.await {
                Ok(r) => r,
                Err(e) => {
                    assert!(e.is_cancelled());
                    // Try again.
                    get().await.unwrap()
                }
            };
            // 2 would mean 1 was dropped.
            assert_eq!(result, 1);
        });
    });
}

#[test]
fn test_get_cancel_drop_many_pending_readers() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(0));
                let get = || {
                    let q = q.clone();
                    asyncio::create_task(async move { q.get().await })
                };
                let (reader1, reader2, reader3) = (get(), get(), get());
                while !format!("{q:?}").contains("_getters[3]") {
                    yield0().await;
                }
                q.put_nowait(1).unwrap();
                q.put_nowait(2).unwrap();
                reader1.cancel(None);
                let r1 = reader1.await;
                let mut got = Vec::new();
                if let Ok(v) = r1 {
                    // It may have taken its item before the cancel arrived (several
                    // workers); then one of the others waits for a third.
                    got.push(v);
                    q.put_nowait(3).unwrap();
                }
                got.push(reader2.await.unwrap());
                got.push(reader3.await.unwrap());
                got.sort();
                // It is undefined in which order concurrent readers receive items, but none
                // is lost.
                assert_eq!(&got[..2], [1, 2]);
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     q = asyncio.Queue(1)
//     q.put_nowait(1)
//     writer = asyncio.create_task(q.put(2))
//     await asyncio.sleep(0)
//     value1 = q.get_nowait()
//     assert value1 == 1
//     writer.cancel()
//     try:
//         await writer
//     except asyncio.CancelledError:
//         writer = asyncio.create_task(q.put(2))
//         await writer
//     value2 = q.get_nowait()
//     assert value2 == 2
//     assert q.qsize() == 0
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_put_cancel_drop() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Arc::new(Queue::new(1));
            q.put_nowait(1).unwrap();
            let put = |item: i32| {
                let q = q.clone();
                asyncio::create_task(async move { q.put(item).await })
            };
            // Putting a second item has to block (qsize=1).
            let writer = put(2);
            yield0().await;
            assert_eq!(q.get_nowait().unwrap(), 1);
            writer.cancel(None);
            match writer.await {
                Ok(r) => r,
                Err(e) => {
                    assert!(e.is_cancelled());
                    put(2).await.unwrap();
                }
            }
            assert_eq!(q.get_nowait().unwrap(), 2);
            assert_eq!(q.qsize(), 0);
        });
    });
}

#[test]
fn test_nonblocking_put_exception() {
    util::deadline(|| {
        let q = Queue::new(1);
        q.put_nowait(1).unwrap();
        match q.put_nowait(2) {
            Err(PutError::Full(_, item)) => assert_eq!(item, 2),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn test_put_cancelled() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(0));
                let t = {
                    let q = q.clone();
                    asyncio::create_task(async move {
                        q.put(1).await.map_err(|e| e.without_item())?;
                        Ok::<_, PutError<()>>(true)
                    })
                };
                assert_eq!(q.get().await.unwrap(), 1);
                assert!(t.await.unwrap());
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     q = asyncio.Queue(maxsize=1)
//     put_a = asyncio.create_task(q.put('a'))
//     put_b = asyncio.create_task(q.put('b'))
//     put_c = asyncio.create_task(q.put('X'))
//     await asyncio.sleep(0)
//     assert put_a.done()
//     assert not put_b.done()
//     put_c.cancel()
//     await asyncio.sleep(0)
//     assert put_c.done()
//     assert q.get_nowait() == 'a'
//     await asyncio.sleep(0)
//     assert q.get_nowait() == 'b'
//     await put_b
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_put_cancelled_race() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Arc::new(Queue::new(1));
            let put = |item: &'static str| {
                let q = q.clone();
                // The outcome is kept as a value (in an `Option`), so that the cancelled
                // put's item comes back.
                asyncio::create_task(async move { Some(q.put(item).await) })
            };
            let put_a = put("a");
            let put_b = put("b");
            let put_c = put("X");
            yield0().await;
            assert!(put_a.done());
            assert!(!put_b.done());
            put_c.cancel(None);
            yield0().await;
            assert!(put_c.done());
            // The cancelled put gives its item back.
            match put_c.await {
                Ok(Some(Err(PutError::Cancelled(_, item)))) => assert_eq!(item, "X"),
                Err(e) => assert!(e.is_cancelled()),
                other => panic!("{other:?}"),
            }
            assert_eq!(q.get_nowait().unwrap(), "a");
            yield0().await;
            assert_eq!(q.get_nowait().unwrap(), "b");
            put_b.await.unwrap();
        });
    });
}

#[test]
fn test_put_with_waiting_getters() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(0));
                let t = {
                    let q = q.clone();
                    asyncio::create_task(async move { q.get().await })
                };
                yield0().await;
                q.put("a").await.unwrap();
                assert_eq!(t.await.unwrap(), "a");
            });
        }
    });
}

#[test]
fn test_why_are_putters_waiting() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(2));
                let getter = {
                    let q = q.clone();
                    asyncio::create_task(async move {
                        asyncio::sleep(Duration::ZERO).await?;
                        let num = q.qsize();
                        for _ in 0..num {
                            let _ = q.get_nowait();
                        }
                        Ok::<_, CancelledError>(num)
                    })
                };
                let putters: Vec<_> = (0..4)
                    .map(|i| {
                        let q = q.clone();
                        asyncio::create_task(
                            async move { q.put(i).await.map_err(|e| e.without_item()) },
                        )
                    })
                    .collect();
                let got = getter.await.unwrap();
                // The getter took what was there; take the rest so every putter finishes.
                // (Counting items, not waiting for `p.done()`: with two workers a putter
                // whose item was already taken may still be finishing its step.)
                for _ in got..4 {
                    q.get().await.unwrap();
                }
                for p in putters {
                    p.await.unwrap();
                }
                assert!(q.empty());
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     queue = asyncio.Queue(maxsize=1)
//     queue.put_nowait(1)
//     put_task = asyncio.create_task(queue.put(1))
//     await asyncio.sleep(0)
//     assert len(queue._putters) == 1
//     put_task.cancel()
//     try:
//         await put_task
//         assert False
//     except asyncio.CancelledError:
//         pass
//     assert len(queue._putters) == 0
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_cancelled_puts_not_being_held_in_self_putters() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(1));
                q.put_nowait(1).unwrap();
                let put_task = {
                    let q = q.clone();
                    asyncio::create_task(
                        async move { q.put(1).await.map_err(|e| e.without_item()) },
                    )
                };
                while !format!("{q:?}").contains("_putters[1]") {
                    yield0().await;
                }
                put_task.cancel(None);
                assert!(put_task.await.unwrap_err().is_cancelled());
                assert!(!format!("{q:?}").contains("_putters"));
            });
        }
    });
}

// ```python
// import asyncio
// async def main():
//     queue = asyncio.Queue(1)
//     queue.put_nowait(1)
//     put_task = asyncio.create_task(queue.put(1))
//     await asyncio.sleep(0)
//     queue.get_nowait()
//     put_task.cancel()
//     try:
//         await put_task
//         assert False
//     except asyncio.CancelledError:
//         pass
//     print("ok")
// asyncio.run(main())
// ```
#[test]
fn test_cancelled_put_silence_value_error_exception() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = Arc::new(Queue::new(1));
            q.put_nowait(1).unwrap();
            let put_task = {
                let q = q.clone();
                asyncio::create_task(async move { q.put(1).await.map_err(|e| e.without_item()) })
            };
            yield0().await;
            // Wakes the putter; it is cancelled before it runs.
            q.get_nowait().unwrap();
            put_task.cancel(None);
            assert!(put_task.await.unwrap_err().is_cancelled());
            assert_eq!(q.qsize(), 0);
            assert!(!format!("{q:?}").contains("_putters"));
        });
    });
}

// ---- LifoQueueTests / PriorityQueueTests -----------------------------------------------

#[test]
fn test_lifo_queue_order() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = LifoQueue::new(0);
            for i in [1, 3, 2] {
                q.put(i).await.unwrap();
            }
            let mut items = Vec::new();
            for _ in 0..3 {
                items.push(q.get().await.unwrap());
            }
            assert_eq!(items, [2, 3, 1]);
        });
    });
}

#[test]
fn test_priority_queue_order() {
    util::deadline(|| {
        rt1().block_on(async {
            let q = PriorityQueue::new(0);
            for i in [1, 3, 2] {
                q.put(i).await.unwrap();
            }
            let mut items = Vec::new();
            for _ in 0..3 {
                items.push(q.get().await.unwrap());
            }
            assert_eq!(items, [1, 2, 3]);
        });
    });
}

// ---- _QueueJoinTestMixin and _QueueShutdownTestMixin, for each queue type --------------

macro_rules! join_and_shutdown_tests {
    ($modname:ident, $Q:ident) => {
        mod $modname {
            use super::*;

            #[test]
            fn test_task_done_underflow() {
                util::deadline(|| {
                    let q = $Q::<i32>::new(0);
                    let err = q.task_done().unwrap_err();
                    assert_eq!(err.to_string(), "task_done() called too many times");
                });
            }

            #[test]
            fn test_task_done() {
                util::deadline(|| {
                    for n in WORKER_COUNTS {
                        rt(n).block_on(async {
                            let q = Arc::new($Q::new(0));
                            for i in 0..100 {
                                q.put_nowait(i).unwrap();
                            }
                            let accumulator = Arc::new(AtomicUsize::new(0));
                            let running = Arc::new(AtomicBool::new(true));
                            // Two workers get items and call task_done after each.
                            let tasks: Vec<_> = (0..2)
                                .map(|_| {
                                    let (q, acc, running) =
                                        (q.clone(), accumulator.clone(), running.clone());
                                    asyncio::create_task(async move {
                                        while running.load(Ordering::SeqCst) {
                                            let item = q.get().await?;
                                            acc.fetch_add(item, Ordering::SeqCst);
                                            q.task_done().unwrap();
                                        }
                                        Ok::<_, GetError>(())
                                    })
                                })
                                .collect();
                            q.join().await.unwrap();
                            assert_eq!(accumulator.load(Ordering::SeqCst), (0..100).sum());
                            // Close the workers.
                            running.store(false, Ordering::SeqCst);
                            for _ in 0..tasks.len() {
                                q.put_nowait(0).unwrap();
                            }
                            for t in tasks {
                                t.await.unwrap();
                            }
                        });
                    }
                });
            }

            #[test]
            fn test_join_empty_queue() {
                util::deadline(|| {
                    for n in WORKER_COUNTS {
                        rt(n).block_on(async {
                            let q = $Q::<i32>::new(0);
                            // join() returns at once, twice.
                            q.join().await.unwrap();
                            q.join().await.unwrap();
                        });
                    }
                });
            }

            #[test]
            fn test_format() {
                util::deadline(|| {
                    let q = $Q::new(0);
                    q.put_nowait(1).unwrap();
                    q.put_nowait(2).unwrap();
                    let name = stringify!($Q);
                    assert_eq!(
                        format!("{q:?}"),
                        format!("<{name} maxsize=0 qsize=2 tasks=2>")
                    );
                    q.shutdown(true);
                    assert_eq!(format!("{q:?}"), format!("<{name} maxsize=0 shutdown>"));
                });
            }

            // ```python
            // import asyncio
            // async def main():
            //     for q_class in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
            //         q = q_class()
            //         loop = asyncio.get_running_loop()
            //         get_task = loop.create_task(q.get())
            //         await asyncio.sleep(0)
            //         q.shutdown(immediate=False)
            //         assert q.qsize() == 0
            //         await q.join()
            //         await asyncio.sleep(0)
            //         assert get_task.done()
            //         try:
            //             await get_task
            //             assert False
            //         except asyncio.QueueShutDown:
            //             pass
            //         for op in (lambda: q.put("data"), lambda: q.get()):
            //             try:
            //                 await op()
            //                 assert False
            //             except asyncio.QueueShutDown:
            //                 pass
            //         for op in (lambda: q.put_nowait("data"), q.get_nowait):
            //             try:
            //                 op()
            //                 assert False
            //             except asyncio.QueueShutDown:
            //                 pass
            //     print("ok")
            // asyncio.run(main())
            // ```
            #[test]
            fn test_shutdown_empty() {
                util::deadline(|| {
                    rt1().block_on(async {
                        let q = Arc::new($Q::<&'static str>::new(0));
                        let get_task = {
                            let q = q.clone();
                            asyncio::create_task(async move { q.get().await })
                        };
                        yield0().await; // the get task is pending before the shutdown
                        q.shutdown(false);
                        assert_eq!(q.qsize(), 0);
                        q.join().await.unwrap();
                        yield0().await;
                        assert!(get_task.done());
                        let err = get_task.await.unwrap_err();
                        assert!(err
                            .downcast_ref::<asyncio::GetError>()
                            .unwrap()
                            .is_shutdown());
                        assert!(q.put("data").await.unwrap_err().is_shutdown());
                        assert!(q.put_nowait("data").unwrap_err().is_shutdown());
                        assert!(q.get().await.unwrap_err().is_shutdown());
                        assert!(q.get_nowait().unwrap_err().is_shutdown());
                    });
                });
            }

            // ```python
            // import asyncio
            // async def main():
            //     for q_class in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
            //         q = q_class(maxsize=1)
            //         loop = asyncio.get_running_loop()
            //         q.put_nowait("data")
            //         join_task = loop.create_task(q.join())
            //         put_task = loop.create_task(q.put("data2"))
            //         await asyncio.sleep(0)
            //         assert not put_task.done()
            //         q.shutdown(immediate=False)
            //         assert q.qsize() == 1
            //         await asyncio.sleep(0)
            //         assert put_task.done()
            //         try:
            //             await put_task
            //             assert False
            //         except asyncio.QueueShutDown:
            //             pass
            //         assert await q.get() == "data"
            //         await asyncio.sleep(0)
            //         assert not join_task.done()
            //         for op in (lambda: q.put("data"), lambda: q.get()):
            //             try:
            //                 await op()
            //                 assert False
            //             except asyncio.QueueShutDown:
            //                 pass
            //         q.task_done()
            //         await asyncio.sleep(0)
            //         assert join_task.done()
            //         await join_task
            //         try:
            //             q.task_done()
            //             assert False
            //         except ValueError:
            //             pass
            //     print("ok")
            // asyncio.run(main())
            // ```
            #[test]
            fn test_shutdown_nonempty() {
                util::deadline(|| {
                    rt1().block_on(async {
                        let q = Arc::new($Q::<&'static str>::new(1));
                        q.put_nowait("data").unwrap();
                        let join_task = {
                            let q = q.clone();
                            asyncio::create_task(async move { q.join().await })
                        };
                        let put_task = {
                            let q = q.clone();
                            asyncio::create_task(async move { Some(q.put("data2").await) })
                        };
                        yield0().await;
                        assert!(!put_task.done());
                        q.shutdown(false);
                        assert_eq!(q.qsize(), 1);
                        yield0().await;
                        assert!(put_task.done());
                        match put_task.await.unwrap() {
                            Some(Err(PutError::ShutDown(_, item))) => assert_eq!(item, "data2"),
                            other => panic!("{other:?}"),
                        }
                        assert_eq!(q.get().await.unwrap(), "data");
                        yield0().await;
                        assert!(!join_task.done());
                        assert!(q.put("data").await.unwrap_err().is_shutdown());
                        assert!(q.put_nowait("data").unwrap_err().is_shutdown());
                        assert!(q.get().await.unwrap_err().is_shutdown());
                        assert!(q.get_nowait().unwrap_err().is_shutdown());
                        q.task_done().unwrap();
                        yield0().await;
                        assert!(join_task.done());
                        join_task.await.unwrap();
                        assert!(q.task_done().is_err());
                    });
                });
            }

            // ```python
            // import asyncio
            // async def main():
            //     for q_class in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
            //         q = q_class()
            //         loop = asyncio.get_running_loop()
            //         q.put_nowait("data")
            //         join_task = loop.create_task(q.join())
            //         q.shutdown(immediate=True)
            //         assert q.qsize() == 0
            //         await asyncio.sleep(0)
            //         assert join_task.done()
            //         await join_task
            //         for op in (lambda: q.put("data"), lambda: q.get()):
            //             try:
            //                 await op()
            //                 assert False
            //             except asyncio.QueueShutDown:
            //                 pass
            //         try:
            //             q.task_done()
            //             assert False
            //         except ValueError:
            //             pass
            //     print("ok")
            // asyncio.run(main())
            // ```
            #[test]
            fn test_shutdown_immediate() {
                util::deadline(|| {
                    rt1().block_on(async {
                        let q = Arc::new($Q::<&'static str>::new(0));
                        q.put_nowait("data").unwrap();
                        let join_task = {
                            let q = q.clone();
                            asyncio::create_task(async move { q.join().await })
                        };
                        q.shutdown(true);
                        assert_eq!(q.qsize(), 0);
                        yield0().await;
                        assert!(join_task.done());
                        join_task.await.unwrap();
                        assert!(q.put("data").await.unwrap_err().is_shutdown());
                        assert!(q.put_nowait("data").unwrap_err().is_shutdown());
                        assert!(q.get().await.unwrap_err().is_shutdown());
                        assert!(q.get_nowait().unwrap_err().is_shutdown());
                        assert!(q.task_done().is_err());
                    });
                });
            }

            // ```python
            // import asyncio
            // async def main():
            //     for q_class in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
            //         q = q_class()
            //         loop = asyncio.get_running_loop()
            //         q.put_nowait("data")
            //         q.put_nowait("data")
            //         join_task = loop.create_task(q.join())
            //         assert await q.get() == "data"
            //         q.shutdown(immediate=True)
            //         assert q.qsize() == 0
            //         await asyncio.sleep(0)
            //         assert not join_task.done()
            //         for op in (lambda: q.put("data"), lambda: q.get()):
            //             try:
            //                 await op()
            //                 assert False
            //             except asyncio.QueueShutDown:
            //                 pass
            //         q.task_done()
            //         try:
            //             q.task_done()
            //             assert False
            //         except ValueError:
            //             pass
            //         await asyncio.sleep(0)
            //         assert join_task.done()
            //         await join_task
            //     print("ok")
            // asyncio.run(main())
            // ```
            #[test]
            fn test_shutdown_immediate_with_unfinished() {
                util::deadline(|| {
                    rt1().block_on(async {
                        let q = Arc::new($Q::<&'static str>::new(0));
                        q.put_nowait("data").unwrap();
                        q.put_nowait("data").unwrap();
                        let join_task = {
                            let q = q.clone();
                            asyncio::create_task(async move { q.join().await })
                        };
                        assert_eq!(q.get().await.unwrap(), "data");
                        q.shutdown(true);
                        assert_eq!(q.qsize(), 0);
                        yield0().await;
                        assert!(!join_task.done());
                        assert!(q.put("data").await.unwrap_err().is_shutdown());
                        assert!(q.get().await.unwrap_err().is_shutdown());
                        q.task_done().unwrap();
                        assert!(q.task_done().is_err());
                        yield0().await;
                        assert!(join_task.done());
                        join_task.await.unwrap();
                    });
                });
            }
        }
    };
}

join_and_shutdown_tests!(queue, Queue);
join_and_shutdown_tests!(lifo_queue, LifoQueue);
join_and_shutdown_tests!(priority_queue, PriorityQueue);

// ---- beyond CPython's tests ------------------------------------------------------------

/// A getter woken by a put and then dropped (its task aborted) before it ran passes the
/// wake-up on: the item reaches the next getter.
#[test]
fn test_dropped_woken_getter_passes_item_on() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let q = Arc::new(Queue::new(0));
                let get = || {
                    let q = q.clone();
                    asyncio::create_task(async move { q.get().await })
                };
                let g1 = get();
                while !format!("{q:?}").contains("_getters[1]") {
                    yield0().await;
                }
                let g2 = get();
                while !format!("{q:?}").contains("_getters[2]") {
                    yield0().await;
                }
                q.put_nowait(42).unwrap(); // wakes g1
                g1.abort();
                let got = match g1.await {
                    Ok(r) => {
                        // g1 ran before the abort: g2 needs another item.
                        q.put_nowait(43).unwrap();
                        vec![r, g2.await.unwrap()]
                    }
                    Err(_) => vec![g2.await.unwrap()],
                };
                assert_eq!(got[0], 42);
            });
        }
    });
}

/// Runs `producers` producers and `consumers` consumers over a bounded queue of
/// `capacity` with a task cancelling random producers and consumers all along; each
/// cancelled task catches its `CancelledError` (a put gives its item back) and goes on.
/// Returns (elapsed, cancellations requested, cancellations delivered); panics unless
/// every item was delivered exactly once.
fn produce_consume_with_cancellations(
    workers: usize,
    producers: usize,
    consumers: usize,
    items: usize,
    capacity: usize,
) -> (Duration, usize, usize) {
    assert_eq!(items % producers, 0);
    let rt = rt(workers);
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..items).map(|_| AtomicU8::new(0)).collect());
    let delivered_cancels = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let requested = rt.block_on({
        let seen = seen.clone();
        let delivered_cancels = delivered_cancels.clone();
        async move {
            let q = Arc::new(Queue::new(capacity));
            let per = items / producers;
            // A task cancelled before its first step never runs (docs/design.md §4.2): the
            // canceller starts once every task has started.
            let started = Arc::new(AtomicUsize::new(0));
            let all_started = Arc::new(asyncio::Event::new());
            let start_one = {
                let (started, all_started) = (started.clone(), all_started.clone());
                move || {
                    if started.fetch_add(1, Ordering::SeqCst) + 1 == producers + consumers {
                        all_started.set();
                    }
                }
            };
            let mut prods = Vec::new();
            for p in 0..producers {
                let (q, dc, start_one) = (q.clone(), delivered_cancels.clone(), start_one.clone());
                prods.push(asyncio::create_task(async move {
                    start_one();
                    for i in p * per..(p + 1) * per {
                        let mut item = i;
                        loop {
                            match q.put(item).await {
                                Ok(()) => break,
                                Err(PutError::Cancelled(_, back)) => {
                                    dc.fetch_add(1, Ordering::Relaxed);
                                    item = back; // nothing lost: retry the same item
                                }
                                Err(e) => panic!("unexpected {e}"),
                            }
                        }
                    }
                }));
            }
            let mut cons = Vec::new();
            for _ in 0..consumers {
                let (q, seen, dc, start_one) = (
                    q.clone(),
                    seen.clone(),
                    delivered_cancels.clone(),
                    start_one.clone(),
                );
                cons.push(asyncio::create_task(async move {
                    start_one();
                    loop {
                        match q.get().await {
                            Ok(i) => {
                                let prev = seen[i].fetch_add(1, Ordering::Relaxed);
                                assert_eq!(prev, 0, "item {i} delivered twice");
                            }
                            Err(GetError::Cancelled(_)) => {
                                dc.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(GetError::ShutDown(_)) => return,
                            Err(e) => panic!("unexpected {e}"),
                        }
                    }
                }));
            }
            let refs: Vec<asyncio::TaskRef> = prods
                .iter()
                .map(|t| t.task_ref())
                .chain(cons.iter().map(|t| t.task_ref()))
                .collect();
            all_started.wait().await.unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let canceller = {
                let stop = stop.clone();
                asyncio::create_task(async move {
                    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
                    let mut n = 0usize;
                    while !stop.load(Ordering::Relaxed) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        if refs[(x % refs.len() as u64) as usize].cancel(Some("random")) {
                            n += 1;
                        }
                        for _ in 0..(x % 16) {
                            asyncio::yield_now().await.ok();
                        }
                    }
                    n
                })
            };
            // A cancel that lands during a task's last poll (after its last put or get)
            // makes it end cancelled (asyncio's rule for a request still pending at
            // completion): accepted here; lost or duplicated items are checked below.
            for p in prods {
                if let Err(e) = p.await {
                    assert!(e.is_cancelled(), "{e}");
                }
            }
            stop.store(true, Ordering::Relaxed);
            let requested = canceller.await.unwrap();
            q.shutdown(false); // consumers drain what is left, then stop
            for c in cons {
                if let Err(e) = c.await {
                    assert!(e.is_cancelled(), "{e}");
                }
            }
            assert!(q.empty());
            requested
        }
    });
    let elapsed = start.elapsed();
    let missing = seen
        .iter()
        .enumerate()
        .filter(|(_, v)| v.load(Ordering::Relaxed) != 1)
        .map(|(i, _)| i)
        .take(10)
        .collect::<Vec<_>>();
    assert!(
        missing.is_empty(),
        "items not delivered exactly once: {missing:?}"
    );
    (
        elapsed,
        requested,
        delivered_cancels.load(Ordering::Relaxed),
    )
}

/// A small version of the stress test, in every run.
#[test]
fn test_no_item_lost_with_random_cancellations_multi_worker() {
    util::deadline(|| {
        for n in [2, 4] {
            produce_consume_with_cancellations(n, 8, 8, 20_000, 16);
        }
    });
}

/// 64 producers, 64 consumers, 1M items through a bounded queue (capacity 128) with
/// random cancellations, on every core: every item delivered exactly once.
///
/// `cargo test --release --test queues -- --ignored --nocapture`
#[test]
#[ignore]
fn stress_bounded_queue_1m_items_random_cancellations() {
    util::deadline_of(Duration::from_secs(900), || {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let items = 1_000_000;
        let (elapsed, requested, delivered) =
            produce_consume_with_cancellations(workers, 64, 64, items, 128);
        println!(
            "stress: {workers} workers, 64 producers, 64 consumers, {items} items, capacity 128: \
         {elapsed:?} ({:.0} items/s), {requested} cancellations requested (of tasks not done), {delivered} \
         delivered as errors of put/get (several requests before a delivery make one)",
            items as f64 / elapsed.as_secs_f64()
        );
    });
}
