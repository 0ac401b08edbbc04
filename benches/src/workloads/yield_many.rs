//! `yield_many`: the bench thread spawns [`NUM_YIELD_TASKS`] tasks that yield
//! [`NUM_YIELDS`] times each (`asyncio::yield_now`, asyncio's `sleep(0)`; tokio's and
//! futures-lite's `yield_now`), then signal. Timed from the first spawn until every task
//! has signalled.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::AsyncExecutorPool;

/// Tasks per iteration.
pub const NUM_YIELD_TASKS: usize = 200;
/// Yields per task.
pub const NUM_YIELDS: usize = 1_000;

/// One iteration on this runtime.
pub fn asyncio(rt: &asyncio::Runtime) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(NUM_YIELD_TASKS);
    let t0 = Instant::now();
    for _ in 0..NUM_YIELD_TASKS {
        let tx = tx.clone();
        drop(rt.create_task(async move {
            for _ in 0..NUM_YIELDS {
                asyncio::yield_now().await.unwrap();
            }
            tx.send(()).unwrap();
        }));
    }
    for _ in 0..NUM_YIELD_TASKS {
        rx.recv().unwrap();
    }
    t0.elapsed()
}

/// One iteration on tokio.
pub fn tokio(rt: &tokio::runtime::Runtime) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(NUM_YIELD_TASKS);
    let t0 = Instant::now();
    for _ in 0..NUM_YIELD_TASKS {
        let tx = tx.clone();
        drop(rt.spawn(async move {
            for _ in 0..NUM_YIELDS {
                tokio::task::yield_now().await;
            }
            tx.send(()).unwrap();
        }));
    }
    for _ in 0..NUM_YIELD_TASKS {
        rx.recv().unwrap();
    }
    t0.elapsed()
}

/// One iteration on async-executor.
pub fn async_executor(pool: &AsyncExecutorPool) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(NUM_YIELD_TASKS);
    let t0 = Instant::now();
    for _ in 0..NUM_YIELD_TASKS {
        let tx = tx.clone();
        pool.ex
            .spawn(async move {
                for _ in 0..NUM_YIELDS {
                    futures_lite::future::yield_now().await;
                }
                tx.send(()).unwrap();
            })
            .detach();
    }
    for _ in 0..NUM_YIELD_TASKS {
        rx.recv().unwrap();
    }
    t0.elapsed()
}
