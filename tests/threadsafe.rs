//! Cross-thread entry (docs/design.md §3.4): `run_coroutine_threadsafe` and its `ConcurrentFuture`
//! (`result` with and without a timeout, `done`, `cancel`, `exception`, `add_done_callback`,
//! `wait`), `Handle::call_soon_threadsafe` from foreign threads, and task wakers cloned to
//! and woken from foreign threads, also after the task finished and after the runtime is
//! gone (no crash, no leak).

use asyncio::test_util::HandleTestExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

mod util;
use util::Gate;

use asyncio::{run_coroutine_threadsafe, ConcurrentError, ConcurrentFuture, TaskError};

const HANG_GUARD: Duration = Duration::from_secs(60);

/// Sends a clone of the task's waker on its first poll, then completes.
struct SendWaker(Option<mpsc::Sender<Waker>>);

impl Future for SendWaker {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(tx) = self.0.take() {
            tx.send(cx.waker().clone()).unwrap();
        }
        Poll::Ready(())
    }
}

// ---- run_coroutine_threadsafe ------------------------------------------------------------

/// CPython: test_tasks.py `RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe`.
#[test]
fn test_run_coroutine_threadsafe() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let v = thread::spawn(move || {
                let fut = run_coroutine_threadsafe(
                    async {
                        asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                        42
                    },
                    &handle,
                );
                let v = fut.result(Some(HANG_GUARD)).unwrap();
                assert!(fut.done());
                assert!(!fut.cancelled());
                assert!(fut.task().done());
                v
            })
            .join()
            .unwrap();
            assert_eq!(v, 42, "workers={workers}");
        }
    });
}

#[test]
fn run_coroutine_threadsafe_from_many_foreign_threads() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let total: usize = thread::scope(|s| {
                let joins: Vec<_> = (0..4usize)
                    .map(|t| {
                        let handle = rt.handle().clone();
                        s.spawn(move || {
                            let futs: Vec<ConcurrentFuture<usize>> = (0..250usize)
                                .map(|i| {
                                    run_coroutine_threadsafe(
                                        async move {
                                            asyncio::yield_now().await.unwrap();
                                            t * 1000 + i
                                        },
                                        &handle,
                                    )
                                })
                                .collect();
                            futs.into_iter()
                                .map(|f| f.result(Some(HANG_GUARD)).unwrap())
                                .sum::<usize>()
                        })
                    })
                    .collect();
                joins.into_iter().map(|j| j.join().unwrap()).sum()
            });
            let expected: usize = (0..4usize)
                .flat_map(|t| (0..250usize).map(move |i| t * 1000 + i))
                .sum();
            assert_eq!(total, expected, "workers={workers}");
        }
    });
}

/// CPython: test_tasks.py `test_run_coroutine_threadsafe_with_exception`.
#[test]
fn test_run_coroutine_threadsafe_with_exception() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let fut = run_coroutine_threadsafe(
                async {
                    asyncio::yield_now().await.unwrap();
                    if true {
                        panic!("Oops");
                    }
                    0u8
                },
                rt.handle(),
            );
            match fut.result(Some(HANG_GUARD)) {
                Err(ConcurrentError::Panicked(p)) => assert_eq!(p.message(), "Oops"),
                other => panic!("unexpected {other:?}"),
            }
            match fut.exception(None) {
                Ok(Some(TaskError::Panicked(p))) => assert_eq!(p.message(), "Oops"),
                other => panic!("unexpected {other:?}"),
            }
            assert!(fut.done() && !fut.cancelled());
        }
    });
}

/// CPython: test_tasks.py `test_run_coroutine_threadsafe_with_timeout`, extended: the
/// timeout expires while the task keeps running (it makes progress afterwards), and a
/// later `result()` gets the value.
#[test]
fn test_run_coroutine_threadsafe_with_timeout() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let gate = Gate::default();
            let steps = Arc::new(AtomicUsize::new(0));
            let (g, st) = (gate.clone(), steps.clone());
            let fut = run_coroutine_threadsafe(
                async move {
                    // Keeps running (yielding) until the gate opens.
                    while !g.is_open() {
                        st.fetch_add(1, Ordering::SeqCst);
                        asyncio::yield_now().await.unwrap();
                    }
                    String::from("finished")
                },
                rt.handle(),
            );
            match fut.result(Some(Duration::from_millis(20))) {
                Err(ConcurrentError::Timeout(t)) => assert_eq!(t.to_string(), "TimeoutError"),
                other => panic!("expected a timeout, got {other:?}"),
            }
            assert!(matches!(
                fut.exception(Some(Duration::from_millis(1))),
                Err(asyncio::TimeoutError { .. })
            ));
            assert!(!fut.done());
            assert!(!fut.cancelled());
            assert!(!fut.task().done(), "the timeout must not cancel the task");
            // The task is still making progress after the timeout.
            let seen = steps.load(Ordering::SeqCst);
            while steps.load(Ordering::SeqCst) <= seen + 10 {
                thread::yield_now();
            }
            gate.open();
            assert_eq!(fut.result(Some(HANG_GUARD)).unwrap(), "finished");
            assert!(fut.done());
            // result() can be asked again.
            assert_eq!(fut.result(Some(Duration::ZERO)).unwrap(), "finished");
        }
    });
}

/// A channel that receives one message when `task` is done (a done callback).
fn on_done(task: &asyncio::TaskRef) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    task.add_done_callback(move |_| {
        let _ = tx.send(());
    });
    rx
}

/// CPython: test_tasks.py `test_run_coroutine_threadsafe_task_cancelled`: the coroutine
/// cancels its own task; `result()` raises `CancelledError`, and the concurrent future is
/// cancelled too (`_set_concurrent_future_state` cancels it), so a later `cancel()` is
/// `True` (`concurrent.futures`: cancelling a cancelled future). Then the same through
/// `ConcurrentFuture::cancel()`, with the task suspended on a runtime-aware sleep (the
/// cancellation is delivered there) and on a foreign future (cancelled by force).
#[test]
fn test_run_coroutine_threadsafe_task_cancelled() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            // async def add(...): current_task().cancel(); await asyncio.sleep(0)
            let fut = run_coroutine_threadsafe(
                async {
                    asyncio::current_task().unwrap().cancel(None);
                    asyncio::sleep(Duration::ZERO).await?;
                    Ok::<_, asyncio::CancelledError>(3)
                },
                rt.handle(),
            );
            assert!(matches!(
                fut.result(Some(HANG_GUARD)),
                Err(ConcurrentError::Cancelled(_))
            ));
            assert!(fut.done() && fut.cancelled());
            assert!(fut.task().cancelled());
            assert!(fut.cancel(), "cancel() of a cancelled future is true");
            assert!(matches!(
                fut.exception(None),
                Ok(Some(TaskError::Cancelled(_)))
            ));

            // Suspended on a runtime-aware sleep: the cancellation is delivered there.
            let fut = run_coroutine_threadsafe(
                async {
                    asyncio::sleep(Duration::from_secs(3600)).await?;
                    Ok::<_, asyncio::CancelledError>(1)
                },
                rt.handle(),
            );
            let task_done = on_done(fut.task());
            assert!(fut.cancel());
            assert!(matches!(
                fut.result(Some(Duration::ZERO)),
                Err(ConcurrentError::Cancelled(_))
            ));
            assert!(fut.cancelled());
            assert!(fut.cancel(), "cancel() of a cancelled future is true");
            task_done.recv_timeout(HANG_GUARD).unwrap();
            assert!(fut.task().cancelled(), "the task was asked to cancel");

            // Suspended on a foreign future: cancelled by force.
            let gate = Gate::default();
            let g = gate.clone();
            let fut = run_coroutine_threadsafe(
                async move {
                    g.wait().await;
                    2
                },
                rt.handle(),
            );
            // Wait until it is suspended on the gate.
            while !gate.has_waiters() {
                thread::yield_now();
            }
            let task_done = on_done(fut.task());
            assert!(fut.cancel());
            assert!(matches!(
                fut.result(Some(Duration::ZERO)),
                Err(ConcurrentError::Cancelled(_))
            ));
            assert!(fut.cancelled());
            task_done.recv_timeout(HANG_GUARD).unwrap();
            assert!(fut.task().cancelled());
        }
    });
}

// CPython: test_tasks.py `test_run_coroutine_threadsafe_with_timeout` (the `finally:
// future.done() or future.cancel()` of its `target`), with a coroutine that catches the
// cancellation and returns a value anyway. `cancel()` cancels the concurrent future at once;
// it stays cancelled when the task then returns:
//
// import asyncio, threading, concurrent.futures
// loop = asyncio.new_event_loop(); t = threading.Thread(target=loop.run_forever); t.start()
// started = threading.Event(); task_done = threading.Event(); box = {}
// async def coro():
//     box['task'] = asyncio.current_task()
//     asyncio.current_task().add_done_callback(lambda _: task_done.set())
//     started.set()
//     try: await asyncio.sleep(3600)
//     except asyncio.CancelledError: return 42
// fut = asyncio.run_coroutine_threadsafe(coro(), loop); started.wait()
// try: fut.result(0)
// except TimeoutError: print('result(0) -> TimeoutError')
// fut.add_done_callback(lambda f: print('callback: cancelled =', f.cancelled()))
// print('cancel ->', fut.cancel())
// print('cancelled ->', fut.cancelled(), 'done ->', fut.done())
// try: fut.result(0)
// except concurrent.futures.CancelledError: print('result(0) -> CancelledError')
// task_done.wait(); print('task result', box['task'].result())
// try: fut.result()
// except concurrent.futures.CancelledError: print('still CancelledError')
// print('cancel again ->', fut.cancel())
// loop.call_soon_threadsafe(loop.stop); t.join()
//
// -> result(0) -> TimeoutError / callback: cancelled = True / cancel -> True /
//    cancelled -> True done -> True / result(0) -> CancelledError / task result 42 /
//    still CancelledError / cancel again -> True
#[test]
fn test_run_coroutine_threadsafe_with_timeout_then_cancel() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let started = Gate::default();
            let s = started.clone();
            let fut = run_coroutine_threadsafe(
                async move {
                    s.open();
                    match asyncio::sleep(Duration::from_secs(3600)).await {
                        Ok(()) => 0,
                        Err(_caught) => 42,
                    }
                },
                rt.handle(),
            );
            let task = fut.task().clone();
            let task_done = on_done(&task);
            // started.wait()
            while !started.is_open() {
                thread::yield_now();
            }
            assert!(matches!(
                fut.result(Some(Duration::ZERO)),
                Err(ConcurrentError::Timeout(_))
            ));
            let (tx, rx) = mpsc::channel();
            fut.add_done_callback(move |f| tx.send(f.cancelled()).unwrap());
            assert!(fut.cancel());
            // The callback ran on this thread, before cancel() returned.
            assert_eq!(rx.try_recv(), Ok(true), "callback: cancelled = True");
            assert!(fut.cancelled() && fut.done());
            assert!(matches!(
                fut.result(Some(Duration::ZERO)),
                Err(ConcurrentError::Cancelled(_))
            ));
            task_done.recv_timeout(HANG_GUARD).unwrap();
            assert!(!task.cancelled(), "the task caught its cancellation");
            assert!(matches!(
                fut.result(None),
                Err(ConcurrentError::Cancelled(_))
            ));
            assert!(fut.cancelled());
            assert!(fut.cancel(), "cancel again -> True");
            assert!(matches!(fut.wait(), Err(TaskError::Cancelled(_))));
        }
    });
}

/// `cancel()` racing the task's completion from another thread: exactly one wins. If
/// `cancel()` returns `true`, every reader sees the cancellation (also after the task has
/// returned its value); if `false`, every reader sees the value and `cancelled()` is false.
/// A thread blocked in `result(None)` wakes in both cases.
#[test]
fn concurrent_future_cancel_races_completion() {
    util::deadline(|| {
        const ROUNDS: usize = 300;
        let rt = util::rt(2);
        let (mut won_by_cancel, mut won_by_value) = (0, 0);
        for i in 0..ROUNDS {
            let gate = Gate::default();
            let g = gate.clone();
            let fut = Arc::new(run_coroutine_threadsafe(
                async move {
                    g.wait().await;
                    // Catches a cancellation delivered here and returns anyway.
                    let _ = asyncio::checkpoint().await;
                    i
                },
                rt.handle(),
            ));
            let task_done = on_done(fut.task());
            let blocked = {
                let fut = fut.clone();
                thread::spawn(move || fut.result(None))
            };
            let barrier = Arc::new(std::sync::Barrier::new(2));
            let canceller = {
                let (fut, barrier) = (fut.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    fut.cancel()
                })
            };
            barrier.wait();
            gate.open();
            let accepted = canceller.join().unwrap();
            let seen = blocked.join().unwrap();
            task_done.recv_timeout(HANG_GUARD).unwrap();
            let after = fut.result(None);
            if accepted {
                won_by_cancel += 1;
                assert!(
                    matches!(seen, Err(ConcurrentError::Cancelled(_))),
                    "{seen:?}"
                );
                assert!(
                    matches!(after, Err(ConcurrentError::Cancelled(_))),
                    "{after:?}"
                );
                assert!(fut.cancelled());
            } else {
                won_by_value += 1;
                assert_eq!(seen.unwrap(), i);
                assert_eq!(after.unwrap(), i);
                assert!(!fut.cancelled());
            }
            assert!(fut.done());
        }
        // Both outcomes are legal; say which ones this run saw.
        eprintln!("cancel won {won_by_cancel} times, the value {won_by_value} times");
    });
}

#[test]
fn concurrent_future_add_done_callback_before_and_after_completion() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let gate = Gate::default();
            let g = gate.clone();
            let fut = run_coroutine_threadsafe(
                async move {
                    g.wait().await;
                    7u32
                },
                rt.handle(),
            );
            let (tx, rx) = mpsc::channel();
            // Before completion: called once, on the completing thread, in registration order.
            for name in ["first", "second"] {
                let tx = tx.clone();
                fut.add_done_callback(move |f| {
                    let v = f.result(Some(Duration::ZERO)).unwrap();
                    tx.send((name, v, thread::current().id())).unwrap();
                });
            }
            assert!(rx.try_recv().is_err());
            gate.open();
            let a = rx.recv_timeout(HANG_GUARD).unwrap();
            let b = rx.recv_timeout(HANG_GUARD).unwrap();
            assert_eq!((a.0, a.1), ("first", 7));
            assert_eq!((b.0, b.1), ("second", 7));
            assert!(fut.done());

            // After completion: called right away, inline, on this thread.
            let me = thread::current().id();
            let tx2 = tx.clone();
            fut.add_done_callback(move |f| {
                tx2.send(("late", f.result(None).unwrap(), thread::current().id()))
                    .unwrap();
            });
            let late = rx.try_recv().expect("called inline when already done");
            assert_eq!((late.0, late.1, late.2), ("late", 7, me));
            // Each callback ran exactly once.
            drop(tx);
            drop(fut);
            drop(rt);
            assert!(rx.try_recv().is_err());
        }
    });
}

#[test]
fn concurrent_future_exception() {
    util::deadline(|| {
        let rt = util::rt(2);
        let ok = run_coroutine_threadsafe(async { 1 }, rt.handle());
        assert!(matches!(ok.exception(Some(HANG_GUARD)), Ok(None)));

        let panicked = run_coroutine_threadsafe(
            async {
                if true {
                    panic!("exc")
                }
            },
            rt.handle(),
        );
        match panicked.exception(Some(HANG_GUARD)) {
            Ok(Some(TaskError::Panicked(p))) => assert_eq!(p.message(), "exc"),
            other => panic!("unexpected {other:?}"),
        }

        let gate = Gate::default();
        let g = gate.clone();
        let pending = run_coroutine_threadsafe(async move { g.wait().await }, rt.handle());
        assert!(pending.exception(Some(Duration::from_millis(5))).is_err());
        gate.open();
        assert!(matches!(pending.exception(None), Ok(None)));
    });
}

#[test]
fn concurrent_future_wait_moves_a_non_clone_value() {
    util::deadline(|| {
        struct NotClone(u32);
        impl asyncio::TaskOutput for NotClone {}
        let rt = util::rt(2);
        let fut = run_coroutine_threadsafe(async { NotClone(9) }, rt.handle());
        assert_eq!(fut.wait().unwrap().0, 9);
    });
}

/// `result()` blocks in several threads at once; all get the value.
#[test]
fn concurrent_future_result_from_several_threads() {
    util::deadline(|| {
        let rt = util::rt(2);
        let gate = Gate::default();
        let g = gate.clone();
        let fut = Arc::new(run_coroutine_threadsafe(
            async move {
                g.wait().await;
                5u64
            },
            rt.handle(),
        ));
        let barrier = Arc::new(std::sync::Barrier::new(5));
        let joins: Vec<_> = (0..4)
            .map(|_| {
                let (fut, barrier) = (fut.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    fut.result(None).unwrap()
                })
            })
            .collect();
        barrier.wait();
        gate.open();
        for j in joins {
            assert_eq!(j.join().unwrap(), 5);
        }
    });
}

// ---- call_soon_threadsafe ----------------------------------------------------------------

/// CPython: test_events.py `test_call_soon_threadsafe`, from four foreign threads at once.
#[test]
fn test_call_soon_threadsafe() {
    util::deadline(|| {
        const THREADS: usize = 4;
        const PER_THREAD: usize = 2_500;
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let count = Arc::new(AtomicUsize::new(0));
            let done = Arc::new((Mutex::new(false), Condvar::new()));
            let on_worker = Arc::new(AtomicBool::new(true));
            thread::scope(|s| {
                for _ in 0..THREADS {
                    let handle = rt.handle().clone();
                    let (count, done, on_worker) = (count.clone(), done.clone(), on_worker.clone());
                    s.spawn(move || {
                        for _ in 0..PER_THREAD {
                            let (count, done, on_worker) =
                                (count.clone(), done.clone(), on_worker.clone());
                            handle.call_soon_threadsafe(move || {
                                let name = thread::current().name().map(str::to_owned);
                                if !name.is_some_and(|n| n.starts_with("asyncio-worker-")) {
                                    on_worker.store(false, Ordering::SeqCst);
                                }
                                if count.fetch_add(1, Ordering::SeqCst) + 1 == THREADS * PER_THREAD
                                {
                                    *done.0.lock().unwrap() = true;
                                    done.1.notify_all();
                                }
                            });
                        }
                    });
                }
            });
            let guard = done.0.lock().unwrap();
            let (guard, res) = done
                .1
                .wait_timeout_while(guard, HANG_GUARD, |d| !*d)
                .unwrap();
            assert!(
                *guard && !res.timed_out(),
                "only {} callbacks ran",
                count.load(Ordering::SeqCst)
            );
            assert!(
                on_worker.load(Ordering::SeqCst),
                "callbacks run on the workers"
            );
        }
    });
}

// ---- wakers on foreign threads -----------------------------------------------------------

/// Acceptance: a task's waker cloned to another thread and woken after the task finished,
/// and again after the runtime is dropped: no crash, and once the waker is dropped no cell
/// is left.
#[test]
fn waker_cloned_to_foreign_thread_woken_after_task_finished() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
            let (step_tx, step_rx) = mpsc::channel::<&'static str>();
            let (ack_tx, ack_rx) = mpsc::channel::<&'static str>();
            let foreign = thread::spawn(move || {
                let waker = waker_rx.recv().unwrap();
                assert_eq!(step_rx.recv().unwrap(), "task finished");
                waker.wake_by_ref();
                let clone = waker.clone();
                clone.wake();
                ack_tx.send("woken after finish").unwrap();
                assert_eq!(step_rx.recv().unwrap(), "runtime dropped");
                waker.wake_by_ref();
                let clone = waker.clone();
                ack_tx.send("woken after runtime drop").unwrap();
                assert_eq!(step_rx.recv().unwrap(), "drop it");
                drop(clone);
                drop(waker);
            });
            let out = rt.block_on(async move {
                asyncio::create_task(async move {
                    SendWaker(Some(waker_tx)).await;
                    11
                })
                .await
                .unwrap()
            });
            assert_eq!(out, 11);
            step_tx.send("task finished").unwrap();
            assert_eq!(ack_rx.recv().unwrap(), "woken after finish");
            // The runtime still works after those wakes.
            assert_eq!(rt.block_on(async { 1 }), 1);
            drop(rt);
            step_tx.send("runtime dropped").unwrap();
            assert_eq!(ack_rx.recv().unwrap(), "woken after runtime drop");
            if cfg!(debug_assertions) {
                assert_eq!(
                    handle.live_cells(),
                    Some(1),
                    "only the cell kept alive by the foreign waker is left"
                );
            }
            step_tx.send("drop it").unwrap();
            foreign.join().unwrap();
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0), "workers={workers}: leak");
            }
        }
    });
}

/// Many tasks whose wakers are woken on a foreign thread racing with the task finishing.
#[test]
fn foreign_wakes_racing_task_completion_do_not_crash_or_leak() {
    util::deadline(|| {
        const N: usize = 2_000;
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
            let waker_thread = thread::spawn(move || {
                let mut kept = Vec::new();
                for w in waker_rx.iter() {
                    w.wake_by_ref();
                    kept.push(w);
                }
                kept
            });
            let tx = waker_tx.clone();
            rt.block_on(async move {
                let tasks: Vec<_> = (0..N)
                    .map(|i| {
                        let tx = tx.clone();
                        asyncio::create_task(async move {
                            SendWaker(Some(tx)).await;
                            asyncio::yield_now().await.unwrap();
                            i
                        })
                    })
                    .collect();
                for (i, t) in tasks.into_iter().enumerate() {
                    assert_eq!(t.await.unwrap(), i);
                }
            });
            drop(waker_tx);
            let kept = waker_thread.join().unwrap();
            assert_eq!(kept.len(), N);
            drop(rt);
            for w in &kept {
                w.wake_by_ref();
            }
            drop(kept);
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0), "workers={workers}: leak");
            }
        }
    });
}

/// A task pending on a foreign future is woken from a foreign thread and finishes.
#[test]
fn task_woken_from_foreign_thread_while_pending() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let gate = Gate::default();
            let g = gate.clone();
            let fut = run_coroutine_threadsafe(
                async move {
                    g.wait().await;
                    "woken"
                },
                rt.handle(),
            );
            let g = gate.clone();
            thread::spawn(move || g.open()).join().unwrap();
            assert_eq!(fut.result(Some(HANG_GUARD)).unwrap(), "woken");
        }
    });
}
