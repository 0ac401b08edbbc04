#![cfg(loom)]
//! A user program that can deadlock, checked with `asyncio::testing` (public API only).
//!
//! Two tasks each need two `asyncio::Lock`s, with an await in between (reading what the
//! first lock protects, say). The buggy version takes them in opposite orders: when each
//! task gets its first lock before the other asks for its second, both wait forever.
//! With no timer pending, every worker parks and the model's thread waits for the main
//! task: loom reports the deadlock, `asyncio::testing` names it. Interleavings where one
//! task takes both locks before the other starts do not deadlock. The fixed version
//! takes the locks in one order.

use std::sync::Arc;
use std::time::Duration;

use asyncio::{CancelledError, Lock};

async fn transfer(first: Arc<Lock>, second: Arc<Lock>) -> Result<(), CancelledError> {
    let _a = first.acquire().await?;
    asyncio::sleep(Duration::ZERO).await?;
    let _b = second.acquire().await?;
    Ok(())
}

#[test]
fn opposite_lock_order_deadlock_is_found() {
    let failure = std::panic::catch_unwind(|| {
        asyncio::testing::Builder::new()
            .worker_threads(2)
            .preemption_bound(2)
            .check(|| async {
                let (a, b) = (Arc::new(Lock::new()), Arc::new(Lock::new()));
                // BUG: the two tasks take the locks in opposite orders.
                let t1 = asyncio::create_task(transfer(a.clone(), b.clone()));
                let t2 = asyncio::create_task(transfer(b, a));
                t1.await.unwrap();
                t2.await.unwrap();
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
}

/// The fixed program: one global order (a before b).
async fn fixed_program() {
    let (a, b) = (Arc::new(Lock::new()), Arc::new(Lock::new()));
    let t1 = asyncio::create_task(transfer(a.clone(), b.clone()));
    let t2 = asyncio::create_task(transfer(a, b));
    t1.await.unwrap();
    t2.await.unwrap();
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
