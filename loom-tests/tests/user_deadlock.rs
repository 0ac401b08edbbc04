#![cfg(loom)]
//! A user program that can deadlock, checked with `asyncio::testing` (public API only).
//!
//! Two tasks each need two `asyncio::Lock`s, with an audit-log write in between. The
//! buggy version takes them in opposite orders. Every await in a transfer completes at
//! once when nothing contends (an uncontended `Lock`, a `put` on an unbounded `Queue`),
//! so in asyncio's one-worker FIFO order one transfer takes both locks and finishes
//! before the other starts: no deadlock, and the model with one worker passes
//! (`opposite_lock_order_not_visible_with_one_worker`). With two workers the transfers
//! really run at once; in the interleavings where each takes its first lock before the
//! other asks for its second, both wait forever. With no timer pending every worker
//! parks and the model's thread waits for the main task: `asyncio::testing` reports the
//! deadlock with the pending tasks. The fixed version takes the locks in one order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use asyncio::{CancelledError, Lock, Queue};

/// Takes `first`, writes to the audit log (an unbounded queue: `put` never suspends),
/// takes `second`.
async fn transfer(
    first: Arc<Lock>,
    second: Arc<Lock>,
    audit: Arc<Queue<&'static str>>,
) -> Result<(), CancelledError> {
    let _a = first.acquire().await?;
    audit.put("transfer started").await.map_err(|e| {
        e.as_cancelled()
            .cloned()
            .expect("the log is never shut down")
    })?;
    let _b = second.acquire().await?;
    Ok(())
}

/// BUG: the two tasks take the locks in opposite orders.
async fn buggy_program() {
    let (a, b) = (Arc::new(Lock::new()), Arc::new(Lock::new()));
    let audit = Arc::new(Queue::new(0));
    let t1 = asyncio::create_task(transfer(a.clone(), b.clone(), audit.clone()));
    let t2 = asyncio::create_task(transfer(b, a, audit));
    t1.await.unwrap();
    t2.await.unwrap();
}

/// The fixed program: one global order (a before b).
async fn fixed_program() {
    let (a, b) = (Arc::new(Lock::new()), Arc::new(Lock::new()));
    let audit = Arc::new(Queue::new(0));
    let t1 = asyncio::create_task(transfer(a.clone(), b.clone(), audit.clone()));
    let t2 = asyncio::create_task(transfer(a, b, audit));
    t1.await.unwrap();
    t2.await.unwrap();
}

/// Executions of the buggy program the `_is_found` test ran.
static BUGGY_EXECUTIONS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn opposite_lock_order_deadlock_is_found() {
    let failure = std::panic::catch_unwind(|| {
        asyncio::testing::Builder::new()
            .worker_threads(2)
            .preemption_bound(1)
            .check(|| {
                BUGGY_EXECUTIONS.fetch_add(1, Ordering::Relaxed);
                buggy_program()
            })
    })
    .expect_err("the model must find the deadlock");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.starts_with("asyncio::testing: deadlock"),
        "unexpected failure: {message}"
    );
    assert!(
        message.contains("Pending tasks: <Task pending"),
        "the pending tasks are named: {message}"
    );
    let executions = BUGGY_EXECUTIONS.load(Ordering::Relaxed);
    println!("deadlock found in execution {executions}");
    // A replay (`LOOM_CHECKPOINT_FILE`, see the guide) starts at the failing execution.
    if std::env::var_os("LOOM_CHECKPOINT_FILE").is_none() {
        assert!(
            executions > 1,
            "the first interleaving must not show the bug"
        );
    }
}

#[test]
fn opposite_lock_order_not_visible_with_one_worker() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(2)
        .check(buggy_program);
    assert!(report.executions() > 1);
}

#[test]
fn same_lock_order_two_workers() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(2)
        .preemption_bound(1)
        .check(fixed_program);
    assert!(report.executions() > 1);
}

#[test]
fn same_lock_order_one_worker() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(2)
        .check(fixed_program);
    assert!(report.executions() > 1);
}
