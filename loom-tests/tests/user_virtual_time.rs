#![cfg(loom)]
//! `asyncio::testing`'s virtual time and its clear failures (public API only).
//!
//! * Sleeps of an hour and timeouts fire without real waiting, in deadline order, and
//!   only when no task can run (a ready task always runs before a timer fires).
//! * `to_thread` resolves to an error naming the feature instead of hanging.

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn sleeps_fire_in_deadline_order() {
    asyncio::testing::Builder::new()
        .worker_threads(2)
        .preemption_bound(1)
        .check(|| async {
            let order = Arc::new(Mutex::new(Vec::new()));
            let start = asyncio::time();
            let mut tasks = Vec::new();
            for (name, secs) in [("late", 7200), ("early", 3600)] {
                let order = order.clone();
                tasks.push(asyncio::create_task(async move {
                    asyncio::sleep(Duration::from_secs(secs)).await?;
                    order.lock().unwrap().push(name);
                    Ok::<_, asyncio::CancelledError>(())
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(*order.lock().unwrap(), ["early", "late"]);
            // Virtual: exactly the later deadline (millisecond ticks), however long the
            // model really took.
            let elapsed = asyncio::time() - start;
            assert!((7200.0..7200.01).contains(&elapsed), "elapsed {elapsed}");
        });
}

#[test]
fn timeout_fires_only_when_nothing_can_run() {
    asyncio::testing::Builder::new()
        .worker_threads(2)
        .preemption_bound(1)
        .check(|| async {
            // The awaited task is ready at once: the timeout never beats it.
            let quick = asyncio::create_task(async { 7 });
            let v = asyncio::wait_for(quick, Some(Duration::from_millis(1))).await;
            assert_eq!(v.unwrap().unwrap(), 7);
            // Nothing else can run: the timeout fires (an hour of virtual time).
            let slow = asyncio::sleep(Duration::from_secs(3600));
            let r = asyncio::wait_for(slow, Some(Duration::from_secs(1))).await;
            assert!(r.is_err(), "the timeout must fire");
        });
}

#[test]
fn to_thread_fails_clearly() {
    asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(1)
        .check(|| async {
            let err = asyncio::to_thread(|| 1).await.unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains("not supported under loom"),
                "unexpected error: {message}"
            );
        });
}
