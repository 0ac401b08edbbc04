//! `cancel_storm`: [`NUM_TASKS`] pending tasks cancelled from the bench thread.
//!
//! Set-up (not timed): the bench thread spawns the tasks and waits until each has been
//! polled once and is suspended. Timed region, **the same for every runtime**: from the
//! first cancel request until every task's future has been dropped, including, for each
//! task, the request *and the release of its handle*: this runtime `task.cancel(None)`
//! (or `abort()`) then drops the `Task`, tokio `abort()` then drops the `JoinHandle`,
//! async-executor drops its `Task` (which is its cancel request). One pass over the
//! handles, each consumed in turn, then a spin until the drop counter reaches
//! [`NUM_TASKS`].
//!
//! The tasks are pending on a never-ready foreign future, so this runtime's `cancel()`
//! cannot be delivered as a value: the task runs one more step and is then cancelled by
//! force (docs/design.md §4.2). [`asyncio_delivered`] cancels tasks sleeping on
//! `asyncio::sleep` instead, where the cancellation is delivered and propagated.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::AsyncExecutorPool;

/// Tasks cancelled per iteration.
pub const NUM_TASKS: usize = 10_000;

/// How this runtime's tasks are cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelBy {
    /// `task.cancel(None)`: asyncio's request (forced here: the task awaits a foreign
    /// future).
    Cancel,
    /// `task.abort()`: tokio's abort, no asyncio semantics.
    Abort,
}

/// Counts futures dropped.
struct OnDrop(Arc<AtomicUsize>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Relaxed);
    }
}

/// Spins until `counter` reaches `n`.
fn wait_for(counter: &AtomicUsize, n: usize) {
    while counter.load(Relaxed) < n {
        std::hint::spin_loop();
    }
}

/// A future that counts its first poll, then never completes.
async fn pending_after_start(started: Arc<AtomicUsize>, dropped: Arc<AtomicUsize>) {
    let _guard = OnDrop(dropped);
    started.fetch_add(1, Relaxed);
    std::future::pending::<()>().await;
}

/// The two counters of one iteration: tasks started, futures dropped.
fn counters() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)))
}

/// One iteration on this runtime, tasks pending on a foreign future.
pub fn asyncio(rt: &asyncio::Runtime, by: CancelBy) -> Duration {
    let handle = rt.handle();
    let (started, dropped) = counters();
    let tasks: Vec<_> = (0..NUM_TASKS)
        .map(|_| handle.create_task(pending_after_start(started.clone(), dropped.clone())))
        .collect();
    wait_for(&started, NUM_TASKS);
    let t0 = Instant::now();
    for t in tasks {
        match by {
            CancelBy::Cancel => {
                t.cancel(None);
            }
            CancelBy::Abort => t.abort(),
        }
    }
    wait_for(&dropped, NUM_TASKS);
    t0.elapsed()
}

/// One iteration on this runtime, tasks sleeping on `asyncio::sleep`: `cancel()` is
/// delivered as `Err(CancelledError)`, which the task returns.
pub fn asyncio_delivered(rt: &asyncio::Runtime) -> Duration {
    let handle = rt.handle();
    let (started, dropped) = counters();
    let tasks: Vec<_> = (0..NUM_TASKS)
        .map(|_| {
            let (s, d) = (started.clone(), dropped.clone());
            handle.create_task(async move {
                let _guard = OnDrop(d);
                s.fetch_add(1, Relaxed);
                asyncio::sleep(Duration::from_secs(3600)).await?;
                Ok::<_, asyncio::CancelledError>(())
            })
        })
        .collect();
    wait_for(&started, NUM_TASKS);
    let t0 = Instant::now();
    for t in tasks {
        t.cancel(None);
    }
    wait_for(&dropped, NUM_TASKS);
    t0.elapsed()
}

/// One iteration on tokio (`abort()`).
pub fn tokio(rt: &tokio::runtime::Runtime) -> Duration {
    let handle = rt.handle();
    let (started, dropped) = counters();
    let tasks: Vec<_> = (0..NUM_TASKS)
        .map(|_| handle.spawn(pending_after_start(started.clone(), dropped.clone())))
        .collect();
    wait_for(&started, NUM_TASKS);
    let t0 = Instant::now();
    for t in tasks {
        t.abort();
    }
    wait_for(&dropped, NUM_TASKS);
    t0.elapsed()
}

/// One iteration on async-executor (dropping each `Task` cancels it).
pub fn async_executor(pool: &AsyncExecutorPool) -> Duration {
    let (started, dropped) = counters();
    let tasks: Vec<_> = (0..NUM_TASKS)
        .map(|_| {
            pool.ex
                .spawn(pending_after_start(started.clone(), dropped.clone()))
        })
        .collect();
    wait_for(&started, NUM_TASKS);
    let t0 = Instant::now();
    for t in tasks {
        drop(t);
    }
    wait_for(&dropped, NUM_TASKS);
    t0.elapsed()
}
