//! Timers (issue "Runtime core" point 5, docs/design.md §4.4): `sleep` ordering and "never early",
//! `sleep(0)` yielding exactly once, `call_later` / `call_at` (with an `Instant` or an f64 on
//! the `time()` scale), cancelling `TimerHandle`s (the closure is dropped and the timer
//! freed), the monotonic clock, 10,000 concurrent sleepers, and the ignored 1,000,000
//! sleeper stress test.
//!
//! The only time assertions here are "did not return / fire early", which are correctness
//! properties, never upper bounds.

use asyncio::test_util::HandleTestExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

mod util;

use asyncio::{Task, TaskError};

const HANG_GUARD: Duration = Duration::from_secs(60);

/// Counts drops of the closures / futures it is moved into.
#[derive(Clone, Default)]
struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    fn track(&self) -> Tracked {
        Tracked(self.clone())
    }
}

struct Tracked(DropCounter);

impl Drop for Tracked {
    fn drop(&mut self) {
        (self.0).0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls the inner future once and reports what it returned, then drops it.
struct PollOnce<F>(Option<Pin<Box<F>>>);

impl<F: Future> Future for PollOnce<F> {
    type Output = Poll<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut f = self.0.take().expect("polled once");
        Poll::Ready(f.as_mut().poll(cx))
    }
}

fn poll_once<F: Future>(f: F) -> PollOnce<F> {
    PollOnce(Some(Box::pin(f)))
}

/// Counts how many times the inner future is polled.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: usize,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = (F::Output, usize);
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.polls += 1;
        let polls = self.polls;
        self.inner.as_mut().poll(cx).map(|out| (out, polls))
    }
}

/// Increments a counter right after the first poll of the inner future.
struct CountFirstPoll<F>(Pin<Box<F>>, Option<Arc<AtomicUsize>>);

impl<F: Future> Future for CountFirstPoll<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let r = self.0.as_mut().poll(cx);
        if let Some(c) = self.1.take() {
            c.fetch_add(1, Ordering::SeqCst);
        }
        r
    }
}

/// The callback signalled from inside its closure; the handle is marked done right after
/// the closure returns, possibly on another thread.
fn wait_done(h: &asyncio::TimerHandle) {
    let deadline = Instant::now() + HANG_GUARD;
    while !h.done() {
        assert!(
            Instant::now() < deadline,
            "the timer handle never became done"
        );
        std::thread::yield_now();
    }
}

struct NoopWaker;

impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

// ---- sleep -------------------------------------------------------------------------------

/// CPython: test_tasks.py `test_sleep` (a shorter sleep finishes first). On one worker the
/// completion order is exactly the deadline order.
#[test]
fn test_sleep_shorter_sleep_finishes_first_one_worker() {
    util::deadline(|| {
        let rt = util::rt(1);
        let order = rt.block_on(async {
            let order = Arc::new(Mutex::new(Vec::new()));
            let tasks: Vec<Task<()>> = [50u64, 10, 40, 20, 30]
                .into_iter()
                .map(|ms| {
                    let order = order.clone();
                    asyncio::create_task(async move {
                        asyncio::sleep(Duration::from_millis(ms)).await.unwrap();
                        order.lock().unwrap().push(ms);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let v = order.lock().unwrap().clone();
            v
        });
        assert_eq!(order, [10, 20, 30, 40, 50]);
    });
}

/// The same on two workers, with deadlines far enough apart that the woken tasks cannot
/// race each other.
#[test]
fn test_sleep_shorter_sleep_finishes_first_two_workers() {
    util::deadline(|| {
        let rt = util::rt(2);
        let order = rt.block_on(async {
            let order = Arc::new(Mutex::new(Vec::new()));
            let tasks: Vec<Task<()>> = [160u64, 5, 80]
                .into_iter()
                .map(|ms| {
                    let order = order.clone();
                    asyncio::create_task(async move {
                        asyncio::sleep(Duration::from_millis(ms)).await.unwrap();
                        order.lock().unwrap().push(ms);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let v = order.lock().unwrap().clone();
            v
        });
        assert_eq!(order, [5, 80, 160]);
    });
}

/// Correctness (not timing): a sleep never returns before the requested duration, also
/// for sub-millisecond durations and for `sleep_until`.
#[test]
fn sleep_never_returns_early() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            rt.block_on(async {
                let mut durations: Vec<Duration> = (1..=40).map(Duration::from_millis).collect();
                durations.extend([
                    Duration::from_nanos(1),
                    Duration::from_micros(300),
                    Duration::from_micros(1500),
                    Duration::from_micros(2999),
                ]);
                let tasks: Vec<Task<()>> = durations
                    .into_iter()
                    .enumerate()
                    .map(|(i, d)| {
                        asyncio::create_task(async move {
                            let start = Instant::now();
                            if i % 2 == 0 {
                                asyncio::sleep(d).await.unwrap();
                            } else {
                                asyncio::sleep_until(start + d).await.unwrap();
                            }
                            let elapsed = start.elapsed();
                            assert!(elapsed >= d, "sleep({d:?}) returned after {elapsed:?}");
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            });
        }
    });
}

/// CPython: test_tasks.py `test_sleep_zero`; `sleep(0)` yields exactly once: on one worker
/// two tasks interleave A, B, A, B.
#[test]
fn test_sleep_zero_interleaves_two_tasks() {
    util::deadline(|| {
        let rt = util::rt(1);
        let trace = rt.block_on(async {
            let trace = Arc::new(Mutex::new(Vec::new()));
            let mk = |name: &'static str, use_yield_now: bool| {
                let trace = trace.clone();
                asyncio::create_task(async move {
                    for i in 0..3 {
                        trace.lock().unwrap().push(format!("{name}{i}"));
                        if use_yield_now {
                            asyncio::yield_now().await.unwrap();
                        } else {
                            asyncio::sleep(Duration::ZERO).await.unwrap();
                        }
                    }
                })
            };
            let a = mk("A", false);
            let b = mk("B", true);
            a.await.unwrap();
            b.await.unwrap();
            let v = trace.lock().unwrap().clone();
            v
        });
        assert_eq!(trace, ["A0", "B0", "A1", "B1", "A2", "B2"]);
    });
}

/// `sleep(0)` is pending exactly once and ready at the next poll, on any worker count.
#[test]
fn sleep_zero_is_pending_exactly_once() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let (zero, yielded) = rt.block_on(async {
                let z = CountPolls {
                    inner: Box::pin(asyncio::sleep(Duration::ZERO)),
                    polls: 0,
                };
                let y = CountPolls {
                    inner: Box::pin(asyncio::yield_now()),
                    polls: 0,
                };
                let (rz, pz) = z.await;
                let (ry, py) = y.await;
                rz.unwrap();
                ry.unwrap();
                (pz, py)
            });
            assert_eq!((zero, yielded), (2, 2), "workers={workers}");
        }
    });
}

/// CPython: test_tasks.py `test_sleep_cancel` / `test_task_cancel_sleeping_task`.
#[test]
fn test_sleep_cancel() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let t = asyncio::create_task(async {
                    asyncio::sleep(Duration::from_secs(3600)).await?;
                    Ok::<_, asyncio::CancelledError>(())
                });
                // Let it start sleeping.
                while handle.live_timers() == 0 {
                    asyncio::yield_now().await.unwrap();
                }
                assert!(t.cancel(Some("wake up")));
                match t.await {
                    Err(TaskError::Cancelled(c)) => assert_eq!(c.message(), Some("wake up")),
                    other => panic!("unexpected {other:?}"),
                }
                assert_eq!(
                    handle.live_timers(),
                    0,
                    "the cancelled sleep's timer is freed"
                );
            });
        }
    });
}

#[test]
fn sleep_polled_outside_a_runtime_panics() {
    util::deadline(|| {
        let waker = Waker::from(Arc::new(NoopWaker));
        let mut cx = Context::from_waker(&waker);
        let mut s = Box::pin(asyncio::sleep(Duration::from_millis(5)));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.as_mut().poll(&mut cx)));
        assert!(r.is_err(), "polling a sleep outside a runtime must panic");
    });
}

// ---- call_later / call_at ----------------------------------------------------------------

/// CPython: test_events.py `test_call_later`.
#[test]
fn test_call_later() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            // From a foreign thread through the handle.
            let (tx, rx) = mpsc::channel();
            let start = Instant::now();
            let delay = Duration::from_millis(10);
            let h = rt
                .handle()
                .call_later(delay, move || tx.send(Instant::now()).unwrap());
            let fired = rx.recv_timeout(HANG_GUARD).expect("call_later never ran");
            assert!(fired - start >= delay, "fired after {:?}", fired - start);
            wait_done(&h);
            assert!(!h.cancelled());

            // From inside the runtime.
            let (tx, rx) = mpsc::channel();
            rt.block_on(async move {
                let start = Instant::now();
                asyncio::call_later(delay, move || tx.send(start.elapsed()).unwrap());
            });
            let elapsed = rx.recv_timeout(HANG_GUARD).expect("call_later never ran");
            assert!(elapsed >= delay, "fired after {elapsed:?}");
        }
    });
}

/// CPython: test_base_events.py `test_time_and_call_at`, with `when = time() + x` as f64.
#[test]
fn test_time_and_call_at() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let (tx, rx) = mpsc::channel();
            let (when, h) = rt.block_on(async move {
                let when = asyncio::time() + 0.02;
                let h = asyncio::call_at(when, move || tx.send(asyncio::time()).unwrap());
                (when, h)
            });
            assert!(
                (h.when() - when).abs() < 1e-6,
                "when()={} != {when}",
                h.when()
            );
            let fired_at = rx.recv_timeout(HANG_GUARD).expect("call_at never ran");
            assert!(fired_at >= when, "fired at {fired_at} before {when}");
            wait_done(&h);
            assert!(!h.cancelled());
        }
    });
}

#[test]
fn call_at_with_an_instant() {
    util::deadline(|| {
        let rt = util::rt(2);
        let (tx, rx) = mpsc::channel();
        let when = Instant::now() + Duration::from_millis(15);
        rt.handle()
            .call_at(when, move || tx.send(Instant::now()).unwrap());
        let fired = rx.recv_timeout(HANG_GUARD).expect("call_at never ran");
        assert!(fired >= when);
    });
}

/// CPython: test_base_events.py `test_call_later_negative_delays` (a deadline in the past
/// runs as soon as possible).
#[test]
fn test_call_later_negative_delays() {
    util::deadline(|| {
        let rt = util::rt(2);
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let tx3 = tx.clone();
        rt.handle()
            .call_at(asyncio::time() - 1.0, move || tx.send("past").unwrap());
        rt.handle().call_at(0.0, move || tx2.send("zero").unwrap());
        rt.handle()
            .call_later(Duration::ZERO, move || tx3.send("now").unwrap());
        let mut got: Vec<&str> = (0..3)
            .map(|_| rx.recv_timeout(HANG_GUARD).unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, ["now", "past", "zero"]);
    });
}

/// Timers fire in deadline order; equal deadlines in registration order (documented in
/// `runtime/time`). One worker, so the run order is the firing order.
#[test]
fn call_later_callbacks_run_in_deadline_order() {
    util::deadline(|| {
        let rt = util::rt(1);
        let order = rt.block_on(async {
            let order = Arc::new(Mutex::new(Vec::new()));
            let when = Instant::now() + Duration::from_millis(20);
            for (name, offset) in [("c", 20u64), ("a", 0), ("b", 10), ("a2", 0), ("a3", 0)] {
                let order = order.clone();
                asyncio::call_at(when + Duration::from_millis(offset), move || {
                    order.lock().unwrap().push(name)
                });
            }
            asyncio::sleep(Duration::from_millis(60)).await.unwrap();
            let v = order.lock().unwrap().clone();
            v
        });
        assert_eq!(order, ["a", "a2", "a3", "b", "c"]);
    });
}

/// CPython: test_events.py `test_timer` / base_events `_run_once` cancelled-timer cleanup:
/// a cancelled timer never runs, its closure is dropped at once and its entry freed.
#[test]
fn timer_handle_cancel_prevents_callback_and_drops_closure() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let drops = DropCounter::default();
            let ran = Arc::new(AtomicBool::new(false));
            let (d, r) = (drops.clone(), ran.clone());
            rt.block_on(async move {
                let tracked = d.track();
                let h = asyncio::call_later(Duration::from_millis(5), move || {
                    drop(tracked);
                    r.store(true, Ordering::SeqCst);
                });
                assert_eq!(handle.live_timers(), 1);
                assert!(!h.cancelled() && !h.done());
                h.cancel();
                assert!(h.cancelled());
                assert!(h.done());
                assert_eq!(d.get(), 1, "cancel drops the closure at once");
                assert_eq!(handle.live_timers(), 0, "cancel frees the timer");
                h.cancel(); // idempotent
                assert_eq!(d.get(), 1);
                // Wait past its deadline: a later timer firing means the cancelled one would
                // have fired already.
                asyncio::sleep(Duration::from_millis(20)).await.unwrap();
            });
            assert!(!ran.load(Ordering::SeqCst), "a cancelled timer ran");
            assert_eq!(drops.get(), 1);
        }
    });
}

#[test]
fn timer_handle_cancel_after_it_ran_is_a_noop() {
    util::deadline(|| {
        let rt = util::rt(2);
        let (tx, rx) = mpsc::channel();
        let h = rt
            .handle()
            .call_later(Duration::from_millis(1), move || tx.send(()).unwrap());
        rx.recv_timeout(HANG_GUARD).unwrap();
        wait_done(&h);
        h.cancel();
        assert!(!h.cancelled(), "a timer that ran is not cancelled");
        assert_eq!(rt.handle().live_timers(), 0);
    });
}

/// asyncio's `Handle.cancel()` for `call_soon`: the callback never runs and its closure is
/// dropped at once. On two workers the other worker is kept busy in a task meanwhile, so the
/// callback cannot run (or be stolen) before `cancel`.
#[test]
fn callback_handle_cancel_prevents_call_soon() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let drops = DropCounter::default();
            let ran = Arc::new(AtomicBool::new(false));
            let (d, r) = (drops.clone(), ran.clone());
            rt.block_on(async move {
                let release = Arc::new(AtomicBool::new(false));
                let spinner = if workers == 2 {
                    let started = Arc::new(AtomicBool::new(false));
                    let (s, rel) = (started.clone(), release.clone());
                    let t = asyncio::create_task(async move {
                        s.store(true, Ordering::SeqCst);
                        while !rel.load(Ordering::SeqCst) {
                            std::thread::yield_now();
                        }
                    });
                    // Both this task and the spinner are running: the spinner holds the
                    // other worker.
                    while !started.load(Ordering::SeqCst) {
                        asyncio::yield_now().await.unwrap();
                    }
                    Some(t)
                } else {
                    None
                };
                let tracked = d.track();
                let h = asyncio::call_soon(move || {
                    drop(tracked);
                    r.store(true, Ordering::SeqCst);
                });
                assert!(!h.done());
                h.cancel();
                assert!(h.cancelled());
                assert!(h.done());
                assert_eq!(d.get(), 1, "cancel drops the closure at once");
                release.store(true, Ordering::SeqCst);
                if let Some(t) = spinner {
                    t.await.unwrap();
                }
                // Anything queued before this callback has run once it runs (FIFO per worker).
                let (tx, rx) = mpsc::channel();
                asyncio::call_soon(move || tx.send(()).unwrap());
                while rx.try_recv().is_err() {
                    asyncio::yield_now().await.unwrap();
                }
            });
            assert!(
                !ran.load(Ordering::SeqCst),
                "a cancelled callback ran (workers={workers})"
            );
            assert_eq!(drops.get(), 1);
        }
    });
}

#[test]
fn cancelled_timers_are_freed() {
    util::deadline(|| {
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let drops = DropCounter::default();
            let d = drops.clone();
            let h2 = handle.clone();
            rt.block_on(async move {
                const N: usize = 10_000;
                let handles: Vec<_> = (0..N)
                    .map(|_| {
                        let t = d.track();
                        asyncio::call_later(Duration::from_secs(3600), move || drop(t))
                    })
                    .collect();
                assert_eq!(h2.live_timers(), N);
                for h in &handles {
                    h.cancel();
                }
                assert_eq!(h2.live_timers(), 0);
                assert_eq!(d.get(), N);

                // Sleeping tasks that are cancelled free their timers too.
                let tasks: Vec<Task<()>> = (0..1000)
                    .map(|_| asyncio::create_task(asyncio::sleep(Duration::from_secs(3600))))
                    .collect();
                while h2.live_timers() < 1000 {
                    asyncio::yield_now().await.unwrap();
                }
                for t in &tasks {
                    t.cancel(None);
                }
                for t in tasks {
                    assert!(t.await.unwrap_err().is_cancelled());
                }
                assert_eq!(h2.live_timers(), 0);

                // A sleep polled once and dropped (abandoned) deregisters its timer.
                let r = poll_once(asyncio::sleep(Duration::from_secs(3600))).await;
                assert!(r.is_pending());
                assert_eq!(h2.live_timers(), 0);
            });
            drop(rt);
            if cfg!(debug_assertions) {
                assert_eq!(handle.live_cells(), Some(0));
            }
        }
    });
}

// ---- clock -------------------------------------------------------------------------------

#[test]
fn time_is_monotonic() {
    util::deadline(|| {
        let mut last = asyncio::time();
        for _ in 0..100_000 {
            let now = asyncio::time();
            assert!(now >= last, "time() went backwards: {last} -> {now}");
            last = now;
        }
        let rt = util::rt(2);
        let h = rt.handle().clone();
        let inside = rt.block_on(async {
            let a = asyncio::time();
            let b = asyncio::get_running_loop().unwrap().time();
            (a, b)
        });
        assert!(inside.0 >= last && inside.1 >= inside.0);
        assert!(h.time() >= inside.1);
        // Across threads, values are on one scale.
        let before = asyncio::time();
        let other = std::thread::spawn(asyncio::time).join().unwrap();
        assert!(other >= before);
        // A timer's `when` is on the same scale.
        let t0 = asyncio::time();
        let th = h.call_later(Duration::from_secs(10), || {});
        assert!(th.when() >= t0 + 10.0 - 1e-3);
        th.cancel();
    });
}

// ---- many sleepers -----------------------------------------------------------------------

#[test]
fn ten_thousand_concurrent_sleepers_complete() {
    util::deadline(|| {
        const N: usize = 10_000;
        for workers in [1, 2] {
            let rt = util::rt(workers);
            let handle = rt.handle().clone();
            let done = Arc::new(AtomicUsize::new(0));
            let d = done.clone();
            rt.block_on(async move {
                let tasks: Vec<Task<()>> = (0..N)
                    .map(|i| {
                        let d = d.clone();
                        asyncio::create_task(async move {
                            let dur = Duration::from_millis((i % 50) as u64 + 1);
                            let start = Instant::now();
                            asyncio::sleep(dur).await.unwrap();
                            assert!(start.elapsed() >= dur);
                            d.fetch_add(1, Ordering::SeqCst);
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            });
            assert_eq!(done.load(Ordering::SeqCst), N);
            assert_eq!(handle.live_timers(), 0);
        }
    });
}

/// Stress: one million tasks sleeping at the same time. Run with
/// `cargo test --release --test timers -- --ignored --nocapture`.
#[test]
#[ignore = "stress test: 1,000,000 concurrent sleepers; run in --release"]
fn one_million_concurrent_sleepers() {
    util::deadline_of(Duration::from_secs(900), || {
        const N: usize = 1_000_000;
        let rt = util::rt(2);
        let handle = rt.handle().clone();
        let started = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let early = Arc::new(AtomicUsize::new(0));
        let t0 = Instant::now();
        let (s, f, e, h) = (
            started.clone(),
            finished.clone(),
            early.clone(),
            handle.clone(),
        );
        let peak = rt.block_on(async move {
            // Far enough out that every task has registered its sleep before the first one
            // is due (checked below), so all of them really sleep at the same time.
            let base = Instant::now() + Duration::from_secs(5);
            let tasks: Vec<Task<()>> = (0..N)
                .map(|i| {
                    let (s, f, e) = (s.clone(), f.clone(), e.clone());
                    asyncio::create_task(async move {
                        let when = base + Duration::from_millis((i % 1000) as u64);
                        // Counted once the first poll (which registers the timer) returned.
                        CountFirstPoll(Box::pin(asyncio::sleep_until(when)), Some(s))
                            .await
                            .unwrap();
                        if Instant::now() < when {
                            e.fetch_add(1, Ordering::Relaxed);
                        }
                        f.fetch_add(1, Ordering::Relaxed);
                    })
                })
                .collect();
            // Every task has registered its sleep once all have been counted.
            while s.load(Ordering::SeqCst) < N {
                asyncio::yield_now().await.unwrap();
            }
            let peak = h.live_timers();
            let all_registered_before_first_deadline = Instant::now() < base;
            println!(
                "1M sleepers: all registered after {:?}, {peak} timers live at that point",
                t0.elapsed()
            );
            if all_registered_before_first_deadline {
                assert_eq!(peak, N, "every sleeper holds a live timer");
            }
            for t in tasks {
                t.await.unwrap();
            }
            peak
        });
        let elapsed = t0.elapsed();
        println!(
            "1M sleepers: peak registered timers {peak}, all {} finished in {elapsed:?}, early {}",
            finished.load(Ordering::SeqCst),
            early.load(Ordering::SeqCst)
        );
        assert_eq!(finished.load(Ordering::SeqCst), N);
        assert_eq!(early.load(Ordering::SeqCst), 0);
        assert_eq!(handle.live_timers(), 0);
        drop(rt);
        if cfg!(debug_assertions) {
            assert_eq!(handle.live_cells(), Some(0));
        }
    });
}

/// A timer's replaced waker is dropped outside the timer lock. It may hold the last
/// reference of a task whose unretrieved panic then goes to the exception handler, and
/// the handler may use timers itself (here `call_later`): dropped under the lock, that
/// deadlocked the worker.
#[test]
fn replaced_timer_waker_is_dropped_outside_the_timer_lock() {
    for n in [1, 2] {
        util::deadline(move || {
            let handle: Arc<Mutex<Option<asyncio::Handle>>> = Arc::default();
            let (called_tx, called) = mpsc::channel::<()>();
            let h = handle.clone();
            let called_tx = Mutex::new(called_tx);
            let rt = asyncio::Builder::new()
                .worker_threads(n)
                .exception_handler(move |ctx| {
                    if ctx.message == "Task exception was never retrieved" {
                        let tx = called_tx.lock().unwrap().clone();
                        let handle = h.lock().unwrap().clone().unwrap();
                        handle.call_later(Duration::ZERO, move || tx.send(()).unwrap());
                    }
                })
                .build()
                .unwrap();
            *handle.lock().unwrap() = Some(rt.handle().clone());
            rt.block_on(async {
                // A task hands out its waker, then panics; nobody retrieves the panic.
                let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
                let t = asyncio::create_task(async move {
                    std::future::poll_fn(|cx| {
                        waker_tx.send(cx.waker().clone()).unwrap();
                        Poll::Ready(())
                    })
                    .await;
                    if true {
                        panic!("never retrieved");
                    }
                });
                t.wait_done().await.unwrap();
                drop(t);
                let last_ref = waker_rx.recv().unwrap();
                // A sleep registered with that waker, which is then its only owner ...
                let mut sleep = asyncio::sleep(Duration::from_secs(3600));
                assert!(Pin::new(&mut sleep)
                    .poll(&mut Context::from_waker(&last_ref))
                    .is_pending());
                drop(last_ref);
                // ... polled again by this task: the timer's waker is replaced, and the
                // panicked task is freed.
                std::future::poll_fn(|cx| {
                    assert!(Pin::new(&mut sleep).poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
            });
            called.recv().unwrap();
            handle.lock().unwrap().take();
        });
    }
}
