//! `spawn_many_local`: a task on a worker spawns [`NUM_SPAWN`] tasks that each decrement
//! a counter; the last one signals the bench thread. Timed from spawning the root task
//! until the signal arrives.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::AsyncExecutorPool;

/// Tasks spawned per iteration.
pub const NUM_SPAWN: usize = 10_000;

/// One iteration on this runtime (`asyncio::create_task`; eager if the runtime's task
/// factory is).
pub fn asyncio(rt: &asyncio::Runtime) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    let t0 = Instant::now();
    drop(rt.create_task(async move {
        for _ in 0..NUM_SPAWN {
            let (tx, rem) = (tx.clone(), rem.clone());
            drop(asyncio::create_task(async move {
                if rem.fetch_sub(1, Relaxed) == 1 {
                    tx.send(()).unwrap();
                }
            }));
        }
    }));
    rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on tokio (`tokio::spawn`).
pub fn tokio(rt: &tokio::runtime::Runtime) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    let t0 = Instant::now();
    drop(rt.spawn(async move {
        for _ in 0..NUM_SPAWN {
            let (tx, rem) = (tx.clone(), rem.clone());
            drop(tokio::spawn(async move {
                if rem.fetch_sub(1, Relaxed) == 1 {
                    tx.send(()).unwrap();
                }
            }));
        }
    }));
    rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on async-executor (`Executor::spawn(..).detach()`).
pub fn async_executor(pool: &AsyncExecutorPool) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    let ex = pool.ex.clone();
    let t0 = Instant::now();
    pool.ex
        .spawn(async move {
            for _ in 0..NUM_SPAWN {
                let (tx, rem) = (tx.clone(), rem.clone());
                ex.spawn(async move {
                    if rem.fetch_sub(1, Relaxed) == 1 {
                        tx.send(()).unwrap();
                    }
                })
                .detach();
            }
        })
        .detach();
    rx.recv().unwrap();
    t0.elapsed()
}
