#![cfg(loom)]
//! A user program that loses a queue item when cancelled, checked with
//! `asyncio::testing` (public API only).
//!
//! A worker task takes jobs from an `asyncio::Queue` and records each one as done under
//! a state `asyncio::Lock`. Shutdown (the main task) lets the worker start, takes the
//! state lock so that nothing is recorded meanwhile, cancels the worker and waits for it.
//! Invariant: every job is recorded as done or still in the queue.
//!
//! A cancellation is delivered where the task suspends (asyncio's rule: a request made
//! while a task runs reaches it at its next suspension). The buggy worker propagates the
//! `CancelledError` (`?`) from the lock's `acquire()`: delivered there, it drops the job
//! the worker holds. In asyncio's one-worker FIFO order that never happens: no await of
//! the worker suspends while jobs are queued (`get()` with an item ready, the lock free),
//! so the worker drains the queue in one step and the cancellation reaches it in `get()`
//! on the empty queue, where nothing is held: the model with one worker passes
//! (`job_lost_not_visible_with_one_worker`). With two workers shutdown runs on the other
//! worker while the worker task runs; in the interleavings where shutdown takes the lock
//! after the worker's `get()` returned a job and before the worker's `acquire()`, the
//! worker suspends in `acquire()`, the cancellation is delivered there and the job is
//! lost. The fixed worker puts the job back before it propagates the cancellation
//! (asyncio's `try: ... except CancelledError: queue.put_nowait(job); raise`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{CancelledError, Lock, Queue};

/// What the worker and shutdown share.
#[derive(Clone)]
struct Shared {
    queue: Arc<Queue<u32>>,
    /// Held while the jobs done are recorded, and by shutdown.
    state: Arc<Lock>,
    done: Arc<Mutex<Vec<u32>>>,
}

/// Records a job as done: an await on the state lock (it may be where the cancellation
/// is delivered), then the record.
async fn record(job: u32, shared: &Shared) -> Result<(), CancelledError> {
    let _held = shared.state.acquire().await?;
    shared.done.lock().unwrap().push(job);
    Ok(())
}

async fn worker_buggy(shared: Shared) -> Result<(), CancelledError> {
    loop {
        let job = shared
            .queue
            .get()
            .await
            .map_err(|e| e.as_cancelled().cloned().expect("not shut down"))?;
        // BUG: cancelled here, the job is dropped with the error.
        record(job, &shared).await?;
    }
}

async fn worker_fixed(shared: Shared) -> Result<(), CancelledError> {
    loop {
        let job = shared
            .queue
            .get()
            .await
            .map_err(|e| e.as_cancelled().cloned().expect("not shut down"))?;
        if let Err(cancelled) = record(job, &shared).await {
            // `finally`: the job goes back before the cancellation propagates.
            shared.queue.put_nowait(job).expect("unbounded queue");
            return Err(cancelled);
        }
    }
}

/// Executions of the buggy program the `_is_found` test ran.
static BUGGY_EXECUTIONS: AtomicUsize = AtomicUsize::new(0);

/// The program: the worker, then shutdown; every job must be done or still queued. The
/// second argument, `Some(&counter)` or `None`, counts the executions.
macro_rules! program {
    ($worker:ident, $count:expr) => {
        || {
            let executions: Option<&AtomicUsize> = $count;
            if let Some(executions) = executions {
                executions.fetch_add(1, Ordering::Relaxed);
            }
            async {
                let shared = Shared {
                    queue: Arc::new(Queue::new(0)),
                    state: Arc::new(Lock::new()),
                    done: Arc::new(Mutex::new(Vec::new())),
                };
                shared.queue.put_nowait(1).unwrap();
                let worker = asyncio::create_task($worker(shared.clone()));
                // Let the worker start (asyncio's `await asyncio.sleep(0)`).
                asyncio::sleep(Duration::ZERO).await.unwrap();
                // Shutdown: nothing is recorded while the worker is stopped.
                let _held = shared.state.acquire().await.unwrap();
                worker.cancel(Some("shutting down"));
                assert!(worker.await.unwrap_err().is_cancelled());
                let processed = shared.done.lock().unwrap().len();
                let queued = shared.queue.qsize();
                assert_eq!(
                    processed + queued,
                    1,
                    "a job was lost: {processed} processed, {queued} left in the queue"
                );
            }
        }
    };
}

#[test]
fn job_lost_on_cancel_is_found() {
    let failure = std::panic::catch_unwind(|| {
        asyncio::testing::Builder::new()
            .worker_threads(2)
            .preemption_bound(1)
            .check(program!(worker_buggy, Some(&BUGGY_EXECUTIONS)))
    })
    .expect_err("the model must find the lost job");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("a job was lost: 0 processed, 0 left in the queue"),
        "unexpected failure: {message}"
    );
    let executions = BUGGY_EXECUTIONS.load(Ordering::Relaxed);
    println!("lost job found in execution {executions}");
    // A replay (`LOOM_CHECKPOINT_FILE`, see the guide) starts at the failing execution.
    if std::env::var_os("LOOM_CHECKPOINT_FILE").is_none() {
        assert!(
            executions > 1,
            "the first interleaving must not show the bug"
        );
    }
}

#[test]
fn job_lost_not_visible_with_one_worker() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(2)
        .check(program!(worker_buggy, None));
    assert!(report.executions() > 1);
}

#[test]
fn job_put_back_on_cancel_two_workers() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(2)
        .preemption_bound(1)
        .check(program!(worker_fixed, None));
    assert!(report.executions() > 1);
}

#[test]
fn job_put_back_on_cancel_one_worker() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(2)
        .check(program!(worker_fixed, None));
    assert!(report.executions() > 1);
}
