//! loom models of the asyncio runtime: see `tests/` and `README.md`.
//!
//! This library holds the helpers the models share. Everything is `cfg(loom)`: without
//! `RUSTFLAGS="--cfg loom"` the crate is empty.
//!
//! Bookkeeping counters (how many times a future was dropped, a callback ran, ...) are
//! plain `std` atomics on purpose: loom runs all model threads on one OS thread, one at a
//! time, so a `std` atomic always holds the latest value of the explored schedule, and
//! it adds no interleaving points (the state space stays that of the runtime's own
//! synchronisation). They are only read for assertions after the threads that wrote them
//! were joined (or on the thread that wrote them).

#![cfg(loom)]

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

pub use asyncio::loom_exports as rt;

/// Runs a loom model. `LOOM_MAX_PREEMPTIONS` (and the other `LOOM_*` variables) apply;
/// without it the preemption bound defaults to 2 (unbounded exploration of the real
/// runtime code would not finish).
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let n = executions.clone();
    builder.check(move || {
        n.fetch_add(1, Ordering::Relaxed);
        f();
    });
    // Visible with `--nocapture`: how much of the state space the bound let loom explore.
    println!(
        "loom explored {} executions (preemption bound {:?})",
        executions.load(Ordering::Relaxed),
        builder.preemption_bound
    );
}

/// A shared bookkeeping counter (see the crate docs for why it is a `std` atomic).
#[derive(Clone, Default)]
pub struct Counter(std::sync::Arc<AtomicUsize>);

impl Counter {
    pub fn new() -> Counter {
        Counter::default()
    }

    pub fn inc(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn dec(&self) -> usize {
        self.0.fetch_sub(1, Ordering::SeqCst) - 1
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// Increments its counter when dropped: put one in a future or an output to count drops.
pub struct DropCount(pub Counter);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.inc();
    }
}

/// A waker that does nothing.
pub fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    Waker::from(std::sync::Arc::new(Noop))
}

/// Polls `fut` once with a no-op waker.
pub fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let waker = noop_waker();
    Pin::new(fut).poll(&mut Context::from_waker(&waker))
}

/// A waker that unparks a loom thread.
struct Unpark(loom::thread::Thread);

impl Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `fut` to completion on this loom thread, parking (loom-visibly) between polls.
/// A lost wake-up leaves the thread parked forever, which loom reports as a deadlock.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let waker = Waker::from(std::sync::Arc::new(Unpark(loom::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        loom::thread::park();
    }
}

/// A slot where a future leaves its waker for another thread (loom-visible lock: cloning
/// or dropping a task waker touches the task's state word, a loom atomic).
#[derive(Clone, Default)]
pub struct WakerSlot(loom::sync::Arc<loom::sync::Mutex<Option<Waker>>>);

impl WakerSlot {
    pub fn new() -> WakerSlot {
        WakerSlot::default()
    }

    pub fn put(&self, waker: &Waker) {
        let old = self.0.lock().unwrap().replace(waker.clone());
        drop(old);
    }

    pub fn take(&self) -> Option<Waker> {
        self.0.lock().unwrap().take()
    }
}

/// A future that returns `Pending` the first `pending_polls` times it is polled (leaving
/// its waker in `slot` each time), then `Ready(value)`. It counts its polls and carries a
/// [`DropCount`].
pub struct PendingThen<T> {
    pub pending_polls: usize,
    pub slot: Option<WakerSlot>,
    pub polls: Counter,
    pub value: Option<T>,
    pub _drop: DropCount,
}

impl<T: Unpin> Future for PendingThen<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let n = self.polls.inc();
        if n <= self.pending_polls {
            if let Some(slot) = &self.slot {
                slot.put(cx.waker());
            }
            return Poll::Pending;
        }
        Poll::Ready(self.value.take().expect("polled after Ready"))
    }
}

/// A future that never completes; it leaves its waker in `slot` (if any) at every poll.
pub struct Forever {
    pub slot: Option<WakerSlot>,
    pub _drop: DropCount,
}

impl Future for Forever {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(slot) = &self.slot {
            slot.put(cx.waker());
        }
        Poll::Pending
    }
}
