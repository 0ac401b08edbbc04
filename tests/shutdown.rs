//! Shutdown: every pending task's future is dropped exactly once, every cell is freed,
//! and nothing hangs (docs/design.md §4.5, issue "Runtime core" point 6).

use asyncio::test_util::HandleTestExt;
use std::future::Future;
use std::future::IntoFuture;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Counts drops of the futures (and outputs) it is attached to.
#[derive(Clone, Default)]
struct DropCounter(Arc<AtomicUsize>);

struct Tracked(DropCounter);

impl Drop for Tracked {
    fn drop(&mut self) {
        (self.0).0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A foreign future that is never ready and drops the waker it is given.
struct NeverReady(#[allow(dead_code)] Tracked);

impl Future for NeverReady {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

#[test]
fn dropping_runtime_drops_every_pending_future_exactly_once() {
    util::deadline(|| {
        const N: usize = 100_000;
        let counter = DropCounter::default();
        let rt = asyncio::Builder::new().worker_threads(2).build().unwrap();
        let spawned = Arc::new(AtomicUsize::new(0));
        {
            let c = counter.clone();
            let spawned = spawned.clone();
            rt.block_on(async move {
                for i in 0..N {
                    let tracked = Tracked(c.clone());
                    spawned.fetch_add(1, Ordering::SeqCst);
                    match i % 3 {
                        // Pending forever on a foreign future.
                        0 => drop(asyncio::create_task(NeverReady(tracked))),
                        // Pending on a long sleep (a timer entry).
                        1 => drop(asyncio::create_task(async move {
                            let _t = tracked;
                            let _ = asyncio::sleep(Duration::from_secs(3600)).await;
                        })),
                        // Finished normally.
                        _ => drop(asyncio::create_task(async move {
                            let _t = tracked;
                        })),
                    }
                }
                // Let every task be polled at least once.
                asyncio::sleep(Duration::from_millis(50)).await.unwrap();
            });
        }
        let handle = rt.handle().clone();
        drop(rt);
        assert_eq!(spawned.load(Ordering::SeqCst), N);
        assert_eq!(counter.0.load(Ordering::SeqCst), N);
        if cfg!(debug_assertions) {
            assert_eq!(handle.live_cells(), Some(0), "every cell is freed");
        }
    });
}

// ---- helpers for the tests below ---------------------------------------------------------

use std::sync::{mpsc, Mutex};
use std::task::{Wake, Waker};
use std::thread;

mod util;

use asyncio::{Task, TaskError};

/// Only reached when the runtime is broken: the test fails instead of hanging.
const HANG_GUARD: Duration = Duration::from_secs(60);

impl DropCounter {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Runs `f` on another thread and waits for it with a guard, so a hang is a failure.
fn within_guard<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG_GUARD)
        .unwrap_or_else(|_| panic!("{what} hung (no result within {HANG_GUARD:?})"))
}

/// Waits until `cond` holds, spinning; fails after the guard.
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: never happened"
        );
        thread::yield_now();
    }
}

struct ThreadWaker(thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls a future to completion on this (non-runtime) thread.
fn poll_here<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    let deadline = std::time::Instant::now() + HANG_GUARD;
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "future never completed"
        );
        thread::park_timeout(Duration::from_millis(100));
    }
}

/// A foreign future that stays pending and hands its waker to whoever asks.
#[derive(Clone, Default)]
struct WakerSlot(Arc<Mutex<Option<Waker>>>);

struct PendingWithWaker(WakerSlot, #[allow(dead_code)] Tracked);

impl Future for PendingWithWaker {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *(self.0).0.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

// ---- dropping a runtime with blocked tasks -----------------------------------------------

/// Tasks blocked on timers, on never-ready foreign futures, and on foreign futures whose
/// waker another thread holds: dropping the runtime returns, drops each future once and
/// frees every cell (once the foreign waker is gone too).
#[test]
fn dropping_runtime_with_tasks_blocked_on_timers_and_foreign_futures_never_hangs() {
    util::deadline(|| {
        const N: usize = 3_000;
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let counter = DropCounter::default();
            let started = Arc::new(AtomicUsize::new(0));
            let slot = WakerSlot::default();
            for i in 0..N {
                let tracked = Tracked(counter.clone());
                let started = started.clone();
                let fut: Pin<Box<dyn Future<Output = ()> + Send>> = match i % 3 {
                    0 => Box::pin(async move {
                        started.fetch_add(1, Ordering::SeqCst);
                        NeverReady(tracked).await
                    }),
                    1 => Box::pin(async move {
                        let _t = tracked;
                        started.fetch_add(1, Ordering::SeqCst);
                        let _ = asyncio::sleep(Duration::from_secs(3600)).await;
                    }),
                    _ => {
                        let slot = slot.clone();
                        Box::pin(async move {
                            started.fetch_add(1, Ordering::SeqCst);
                            PendingWithWaker(slot, tracked).await
                        })
                    }
                };
                drop(handle.create_task(fut));
            }
            // The foreign thread keeps one of the wakers.
            let s = started.clone();
            rt.block_on(async move {
                while s.load(Ordering::SeqCst) < N {
                    asyncio::yield_now().await.unwrap();
                }
            });
            let foreign_waker = slot.0.lock().unwrap().take().expect("a waker was stored");
            within_guard("dropping the runtime", move || drop(rt));
            assert_eq!(counter.get(), N, "workers={workers}");
            assert!(handle.is_closed());
            assert_eq!(handle.live_timers(), 0);
            // Waking a task of a dropped runtime does nothing.
            foreign_waker.wake_by_ref();
            drop(foreign_waker);
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0), "workers={workers}");
            }
        }
    });
}

// ---- shutdown_timeout --------------------------------------------------------------------

#[test]
fn shutdown_timeout_on_an_idle_runtime_returns_true() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let counter = DropCounter::default();
            let t = Tracked(counter.clone());
            drop(rt.handle().create_task(async move {
                let _t = t;
                let _ = asyncio::sleep(Duration::from_secs(3600)).await;
            }));
            assert!(rt.shutdown_timeout(HANG_GUARD));
            assert!(handle.is_closed());
            assert_eq!(counter.get(), 1);
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0));
            }
        }
    });
}

/// A worker stuck in a synchronous call inside a poll: `shutdown_timeout` gives up on it
/// and returns `false`; once the poll returns, that task is cancelled (its future dropped)
/// and the worker leaves.
#[test]
fn shutdown_timeout_with_a_worker_stuck_in_a_poll_returns_false() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let counter = DropCounter::default();
            let (entered_tx, entered_rx) = mpsc::channel();
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let t = Tracked(counter.clone());
            let stuck = rt.handle().create_task(async move {
                let _t = t;
                entered_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                // Still pending after the synchronous call: the runtime must cancel it.
                asyncio::yield_now().await.unwrap();
                asyncio::sleep(Duration::from_secs(3600)).await.unwrap();
            });
            entered_rx.recv_timeout(HANG_GUARD).unwrap();
            assert!(!rt.shutdown_timeout(Duration::from_millis(50)));
            assert!(handle.is_closed());
            release_tx.send(()).unwrap();
            wait_until("the stuck task's future is dropped", || counter.get() == 1);
            wait_until("the stuck task ends", || stuck.done());
            assert!(stuck.cancelled());
            drop(stuck);
            if cfg!(debug_assertions) {
                wait_until("every cell is freed", || handle.live_cells() == Some(0));
            }
        }
    });
}

// ---- a handle that outlives its runtime --------------------------------------------------

#[test]
fn handle_used_after_runtime_dropped() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            drop(rt);
            assert!(handle.is_closed());
            let counter = DropCounter::default();

            // create_task: a task that resolves to a cancellation error, its future dropped.
            let ran = Arc::new(AtomicUsize::new(0));
            let (r, t) = (ran.clone(), Tracked(counter.clone()));
            let task: Task<u32> = handle.create_task(async move {
                let _t = t;
                r.fetch_add(1, Ordering::SeqCst);
                1
            });
            assert!(task.done());
            assert!(task.cancelled());
            match poll_here(task.into_future()) {
                Err(TaskError::Cancelled(_)) => {}
                other => panic!("expected a cancellation error, got {other:?}"),
            }
            assert_eq!(counter.get(), 1);

            // call_soon / call_soon_threadsafe / call_later: no-ops, closures dropped.
            let (r1, t1) = (ran.clone(), Tracked(counter.clone()));
            let cb = handle.call_soon(move || {
                let _t = t1;
                r1.fetch_add(1, Ordering::SeqCst);
            });
            let (r2, t2) = (ran.clone(), Tracked(counter.clone()));
            let cb2 = handle.call_soon_threadsafe(move || {
                let _t = t2;
                r2.fetch_add(1, Ordering::SeqCst);
            });
            let (r3, t3) = (ran.clone(), Tracked(counter.clone()));
            let timer = handle.call_later(Duration::from_millis(1), move || {
                let _t = t3;
                r3.fetch_add(1, Ordering::SeqCst);
            });
            assert!(timer.cancelled());
            // (Whether the call_soon closures are dropped before their handles is checked by
            // `call_soon_after_runtime_dropped_cancels_the_callback`.)
            drop((cb, cb2, timer));
            assert_eq!(counter.get(), 4, "the closures are freed, not leaked");

            // run_coroutine_threadsafe: a cancellation, not a hang.
            let t4 = Tracked(counter.clone());
            let fut = asyncio::run_coroutine_threadsafe(
                async move {
                    let _t = t4;
                    2
                },
                &handle,
            );
            assert!(matches!(
                fut.result(Some(HANG_GUARD)),
                Err(asyncio::ConcurrentError::Cancelled(_))
            ));
            drop(fut);
            assert_eq!(counter.get(), 5);
            assert_eq!(ran.load(Ordering::SeqCst), 0, "nothing ran after the drop");
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0));
            }
        }
    });
}

/// `call_soon` on a closed runtime is a no-op like `call_later` there: the callback is
/// cancelled at once (closure dropped, handle `cancelled()` and `done()`), rather than kept
/// pending until the handle is dropped.
#[test]
fn call_soon_after_runtime_dropped_cancels_the_callback() {
    util::deadline(|| {
        let rt = util::rt(2);
        let handle = rt.handle().clone();
        drop(rt);
        let counter = DropCounter::default();
        let t1 = Tracked(counter.clone());
        let cb = handle.call_soon(move || drop(t1));
        let t2 = Tracked(counter.clone());
        let cb2 = handle.call_soon_threadsafe(move || drop(t2));
        let t3 = Tracked(counter.clone());
        let timer = handle.call_later(Duration::from_millis(1), move || drop(t3));
        assert!(timer.cancelled() && timer.done());
        let state = |h: &asyncio::CallbackHandle| (h.done(), h.cancelled());
        assert_eq!(
            (counter.get(), state(&cb), state(&cb2)),
            (3, (true, true), (true, true)),
            "after the runtime closed, call_soon/call_soon_threadsafe keep their closure alive \
         and report a pending callback (done=false, cancelled=false) until the handle is \
         dropped; call_later cancels at once"
        );
    });
}

// ---- tasks created during shutdown -------------------------------------------------------

/// Futures dropped by the shutdown sweep create new tasks in their `Drop`: those tasks end
/// cancelled and never run.
#[test]
fn tasks_created_during_shutdown_end_cancelled() {
    util::deadline(|| {
        struct SpawnOnDrop {
            handle: asyncio::Handle,
            ran: Arc<AtomicUsize>,
            created: Arc<Mutex<Vec<Task<()>>>>,
            counter: DropCounter,
        }
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let ran = self.ran.clone();
                let t = Tracked(self.counter.clone());
                let task = self.handle.create_task(async move {
                    let _t = t;
                    ran.fetch_add(1, Ordering::SeqCst);
                });
                self.created.lock().unwrap().push(task);
            }
        }
        const N: usize = 500;
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let ran = Arc::new(AtomicUsize::new(0));
            let created = Arc::new(Mutex::new(Vec::new()));
            let counter = DropCounter::default();
            let started = Arc::new(AtomicUsize::new(0));
            for _ in 0..N {
                let guard = SpawnOnDrop {
                    handle: handle.clone(),
                    ran: ran.clone(),
                    created: created.clone(),
                    counter: counter.clone(),
                };
                let started = started.clone();
                drop(handle.create_task(async move {
                    let _g = guard;
                    started.fetch_add(1, Ordering::SeqCst);
                    let _ = asyncio::sleep(Duration::from_secs(3600)).await;
                }));
            }
            let s = started.clone();
            rt.block_on(async move {
                while s.load(Ordering::SeqCst) < N {
                    asyncio::yield_now().await.unwrap();
                }
            });
            within_guard("dropping the runtime", move || drop(rt));
            let created = std::mem::take(&mut *created.lock().unwrap());
            assert_eq!(created.len(), N);
            assert!(created.iter().all(|t| t.done() && t.cancelled()));
            assert_eq!(
                ran.load(Ordering::SeqCst),
                0,
                "a task created during shutdown ran"
            );
            assert_eq!(counter.get(), N, "their futures are dropped");
            drop(created);
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0), "workers={workers}");
            }
        }
    });
}

/// A foreign thread creates tasks in a loop while the runtime is dropped: every task ends
/// (run or cancelled), none stays pending, and every future is dropped once.
#[test]
fn tasks_created_concurrently_with_shutdown_all_end() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let counter = DropCounter::default();
            let (first_tx, first_rx) = mpsc::channel();
            let h = handle.clone();
            let c = counter.clone();
            let spawner = thread::spawn(move || {
                let mut tasks = Vec::new();
                while !h.is_closed() {
                    let t = Tracked(c.clone());
                    tasks.push(h.create_task(async move {
                        let _t = t;
                        asyncio::yield_now().await.unwrap();
                        asyncio::sleep(Duration::from_secs(3600)).await.unwrap();
                    }));
                    if tasks.len() == 100 {
                        first_tx.send(()).unwrap();
                    }
                }
                // A few more after the close.
                for _ in 0..100 {
                    let t = Tracked(c.clone());
                    tasks.push(h.create_task(async move {
                        let _t = t;
                    }));
                }
                tasks
            });
            first_rx.recv_timeout(HANG_GUARD).unwrap();
            within_guard("dropping the runtime", move || drop(rt));
            let tasks = spawner.join().unwrap();
            let n = tasks.len();
            assert!(tasks.iter().all(|t| t.done()), "a task stayed pending");
            assert!(tasks.iter().rev().take(100).all(|t| t.cancelled()));
            drop(tasks);
            assert_eq!(counter.get(), n);
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0), "workers={workers}");
            }
        }
    });
}

// ---- dropping a runtime from inside one of its tasks -------------------------------------

#[test]
fn runtime_dropped_from_inside_its_own_task_does_not_deadlock() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let slot = Arc::new(Mutex::new(Some(rt)));
            let counter = DropCounter::default();
            // A task pending on a timer: swept by the shutdown.
            let t = Tracked(counter.clone());
            drop(handle.create_task(async move {
                let _t = t;
                let _ = asyncio::sleep(Duration::from_secs(3600)).await;
            }));
            let s = slot.clone();
            let h = handle.clone();
            // Another thread blocks on the dropping task; the channel observes it finishing.
            let (tx, rx) = mpsc::channel();
            thread::spawn(move || {
                let fut = asyncio::run_coroutine_threadsafe(
                    async move {
                        let rt = s.lock().unwrap().take().expect("runtime in the slot");
                        drop(rt);
                        // Created during shutdown, from a worker: cancelled, never run.
                        let late = asyncio::create_task(async {});
                        late.cancelled()
                    },
                    &h,
                );
                let _ = tx.send(fut.wait());
            });
            // A drop takes far less than this; shorter than HANG_GUARD so a deadlock fails fast.
            let out = rx
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| {
                    panic!("workers={workers}: dropping the runtime from its own task deadlocked")
                });
            assert!(out.expect("the dropping task finishes normally"));
            assert!(handle.is_closed());
            assert_eq!(counter.get(), 1);
            if cfg!(debug_assertions) {
                wait_until("every cell is freed", || handle.live_cells() == Some(0));
            }
        }
    });
}

// ---- asyncio::run ------------------------------------------------------------------------

/// CPython: test_runners.py `test_asyncio_run_cancels_hanging_tasks`, plus a drop count:
/// `run` returns while tasks are pending, and their futures are dropped.
#[test]
fn test_asyncio_run_cancels_hanging_tasks() {
    util::deadline(|| {
        const N: usize = 1_000;
        let counter = DropCounter::default();
        let c = counter.clone();
        let (out, leftovers) = asyncio::run(async move {
            let mut leftovers = Vec::new();
            for i in 0..N {
                let t = Tracked(c.clone());
                let task = if i % 2 == 0 {
                    // Propagates the cancellation (`?`), so it ends cancelled.
                    asyncio::create_task(async move {
                        let _t = t;
                        asyncio::sleep(Duration::from_secs(3600)).await?;
                        Ok::<_, asyncio::CancelledError>(())
                    })
                    .task_ref()
                } else {
                    asyncio::create_task(NeverReady(t)).task_ref()
                };
                leftovers.push(task);
            }
            (123, leftovers)
        });
        assert_eq!(out, 123);
        assert!(leftovers.iter().all(|t| t.done() && t.cancelled()));
        assert_eq!(counter.get(), N);
    });
}

// import asyncio
//
// cleanup = []
// async def leftover():
//     try:
//         await asyncio.sleep(3600)
//     except asyncio.CancelledError:
//         cleanup.append("cleanup")
//         raise
// async def main():
//     global lo
//     lo = asyncio.create_task(leftover())
//     await asyncio.sleep(0)
//     return 123
// print(asyncio.run(main()), cleanup, lo.cancelled())
// -> 123 ['cleanup'] True
/// docs/design.md §4.5: `run` cancels the tasks still pending and waits for them, so their
/// cancellation handling runs (the cancellation is delivered at their await point).
#[test]
fn asyncio_run_delivers_cancellation_to_pending_tasks_so_cleanup_runs() {
    util::deadline(|| {
        let cleanup = Arc::new(AtomicUsize::new(0));
        let c = cleanup.clone();
        let (out, lo) = asyncio::run(async move {
            let lo = asyncio::create_task(async move {
                match asyncio::sleep(Duration::from_secs(3600)).await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        c.fetch_add(1, Ordering::SeqCst);
                        Err(e)
                    }
                }
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            (123, lo.task_ref())
        });
        assert_eq!(out, 123);
        assert!(lo.done() && lo.cancelled());
        assert_eq!(
            cleanup.load(Ordering::SeqCst),
            1,
            "the pending task's cancellation handling did not run during asyncio::run shutdown \
         (its future was dropped without delivering CancelledError)"
        );
    });
}
