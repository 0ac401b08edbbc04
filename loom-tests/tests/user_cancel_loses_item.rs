#![cfg(loom)]
//! A user program that loses a queue item when cancelled, checked with
//! `asyncio::testing` (public API only).
//!
//! A worker task takes jobs from an `asyncio::Queue` and processes them, with an await
//! between taking a job and finishing it. The program cancels the worker while jobs
//! remain. Invariant: every job is processed or still in the queue. The buggy worker
//! propagates the `CancelledError` (`?`) from the await after `get`: a cancellation that
//! lands there drops the job it holds. Only a cancellation delivered at that one await
//! point loses a job; the model finds the interleaving. The fixed worker puts the job
//! back before it propagates the cancellation (asyncio's `try: ... except
//! CancelledError: queue.put_nowait(job); raise`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{CancelledError, Queue};

/// Processing a job: an await (it may be where the cancellation is delivered).
async fn process(job: u32, done: &Mutex<Vec<u32>>) -> Result<(), CancelledError> {
    asyncio::sleep(Duration::ZERO).await?;
    done.lock().unwrap().push(job);
    Ok(())
}

async fn worker_buggy(
    queue: Arc<Queue<u32>>,
    done: Arc<Mutex<Vec<u32>>>,
) -> Result<(), CancelledError> {
    loop {
        let job = queue
            .get()
            .await
            .map_err(|e| e.as_cancelled().cloned().expect("not shut down"))?;
        // BUG: cancelled here, the job is dropped with the error.
        process(job, &done).await?;
    }
}

async fn worker_fixed(
    queue: Arc<Queue<u32>>,
    done: Arc<Mutex<Vec<u32>>>,
) -> Result<(), CancelledError> {
    loop {
        let job = queue
            .get()
            .await
            .map_err(|e| e.as_cancelled().cloned().expect("not shut down"))?;
        if let Err(cancelled) = process(job, &done).await {
            // `finally`: the job goes back before the cancellation propagates.
            queue.put_nowait(job).expect("unbounded queue");
            return Err(cancelled);
        }
    }
}

macro_rules! program {
    ($worker:ident) => {
        || async {
            let queue = Arc::new(Queue::new(0));
            let done = Arc::new(Mutex::new(Vec::new()));
            for job in [1, 2] {
                queue.put_nowait(job).unwrap();
            }
            let worker = asyncio::create_task($worker(queue.clone(), done.clone()));
            asyncio::sleep(Duration::ZERO).await.unwrap();
            worker.cancel(Some("shutting down"));
            assert!(worker.await.unwrap_err().is_cancelled());
            let processed = done.lock().unwrap().len();
            assert_eq!(
                processed + queue.qsize(),
                2,
                "a job was lost: {processed} processed, {} left in the queue",
                queue.qsize()
            );
        }
    };
}

#[test]
fn job_lost_on_cancel_is_found() {
    let failure = std::panic::catch_unwind(|| {
        asyncio::testing::Builder::new()
            .worker_threads(2)
            .preemption_bound(2)
            .check(program!(worker_buggy))
    })
    .expect_err("the model must find the lost job");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("a job was lost"),
        "unexpected failure: {message}"
    );
}

#[test]
fn job_put_back_on_cancel_two_workers() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(2)
        .preemption_bound(1)
        .check(program!(worker_fixed));
    assert!(report.executions() > 1);
}

#[test]
fn job_put_back_on_cancel_one_worker() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(2)
        .check(program!(worker_fixed));
    assert!(report.executions() > 1);
}
