//! `ping_pong`: a task on a worker spawns [`NUM_PINGS`] tasks; each spawns a partner and
//! the two exchange one message each way (asyncio: two `asyncio::Future`s; tokio and
//! async-executor: two oneshot channels). The last pair to finish signals the bench
//! thread. Timed from spawning the root task until the signal arrives.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::AsyncExecutorPool;

/// Pairs per iteration.
pub const NUM_PINGS: usize = 1_000;

/// One iteration on this runtime (eager if the runtime's task factory is).
pub fn asyncio(rt: &asyncio::Runtime) -> Duration {
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
    let t0 = Instant::now();
    drop(rt.create_task(async move {
        for _ in 0..NUM_PINGS {
            let (done_tx, rem) = (done_tx.clone(), rem.clone());
            drop(asyncio::create_task(async move {
                let ping = asyncio::Future::<()>::new();
                let pong = asyncio::Future::<()>::new();
                let (ping2, pong2) = (ping.clone(), pong.clone());
                drop(asyncio::create_task(async move {
                    ping2.await.unwrap();
                    pong2.set_result(()).unwrap();
                }));
                ping.set_result(()).unwrap();
                pong.await.unwrap();
                if rem.fetch_sub(1, Relaxed) == 1 {
                    done_tx.send(()).unwrap();
                }
            }));
        }
    }));
    done_rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on tokio.
pub fn tokio(rt: &tokio::runtime::Runtime) -> Duration {
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
    let t0 = Instant::now();
    drop(rt.spawn(async move {
        for _ in 0..NUM_PINGS {
            let (done_tx, rem) = (done_tx.clone(), rem.clone());
            drop(tokio::spawn(async move {
                let (tx1, rx1) = oneshot::channel::<()>();
                let (tx2, rx2) = oneshot::channel::<()>();
                drop(tokio::spawn(async move {
                    rx1.await.unwrap();
                    tx2.send(()).unwrap();
                }));
                tx1.send(()).unwrap();
                rx2.await.unwrap();
                if rem.fetch_sub(1, Relaxed) == 1 {
                    done_tx.send(()).unwrap();
                }
            }));
        }
    }));
    done_rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on async-executor.
pub fn async_executor(pool: &AsyncExecutorPool) -> Duration {
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
    let ex = pool.ex.clone();
    let t0 = Instant::now();
    pool.ex
        .spawn(async move {
            for _ in 0..NUM_PINGS {
                let (done_tx, rem) = (done_tx.clone(), rem.clone());
                let ex2 = ex.clone();
                ex.spawn(async move {
                    let (tx1, rx1) = oneshot::channel::<()>();
                    let (tx2, rx2) = oneshot::channel::<()>();
                    ex2.spawn(async move {
                        rx1.await.unwrap();
                        tx2.send(()).unwrap();
                    })
                    .detach();
                    tx1.send(()).unwrap();
                    rx2.await.unwrap();
                    if rem.fetch_sub(1, Relaxed) == 1 {
                        done_tx.send(()).unwrap();
                    }
                })
                .detach();
            }
        })
        .detach();
    done_rx.recv().unwrap();
    t0.elapsed()
}
