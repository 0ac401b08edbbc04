//! `chained_spawn`: a chain of [`CHAIN`] tasks, each spawning the next; the last signals
//! the bench thread. Timed from spawning the first task until the signal arrives.
//!
//! With the eager task factory each spawn runs the next task's step inline, up to the
//! runtime's eager nesting limit, past which the next task is queued.

use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::AsyncExecutorPool;

/// Tasks in the chain.
pub const CHAIN: usize = 1_000;

/// One iteration on this runtime (eager if the runtime's task factory is).
pub fn asyncio(rt: &asyncio::Runtime) -> Duration {
    fn next(done_tx: mpsc::SyncSender<()>, n: usize) {
        if n == 0 {
            done_tx.send(()).unwrap();
        } else {
            drop(asyncio::create_task(async move { next(done_tx, n - 1) }));
        }
    }
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let t0 = Instant::now();
    drop(rt.create_task(async move { next(done_tx, CHAIN) }));
    done_rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on tokio.
pub fn tokio(rt: &tokio::runtime::Runtime) -> Duration {
    fn next(done_tx: mpsc::SyncSender<()>, n: usize) {
        if n == 0 {
            done_tx.send(()).unwrap();
        } else {
            drop(tokio::spawn(async move { next(done_tx, n - 1) }));
        }
    }
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let t0 = Instant::now();
    drop(rt.spawn(async move { next(done_tx, CHAIN) }));
    done_rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on async-executor.
pub fn async_executor(pool: &AsyncExecutorPool) -> Duration {
    fn next(ex: Arc<async_executor::Executor<'static>>, done_tx: mpsc::SyncSender<()>, n: usize) {
        if n == 0 {
            done_tx.send(()).unwrap();
        } else {
            let ex2 = ex.clone();
            ex.spawn(async move { next(ex2, done_tx, n - 1) }).detach();
        }
    }
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let ex = pool.ex.clone();
    let t0 = Instant::now();
    pool.ex
        .spawn(async move { next(ex, done_tx, CHAIN) })
        .detach();
    done_rx.recv().unwrap();
    t0.elapsed()
}
