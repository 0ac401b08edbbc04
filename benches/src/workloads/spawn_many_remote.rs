//! `spawn_many_remote`: the bench thread (not a worker) spawns [`NUM_SPAWN`] tasks that
//! each decrement a counter; the last one signals the bench thread. Timed from the first
//! spawn until the signal arrives.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::AsyncExecutorPool;

/// Tasks spawned per iteration.
pub const NUM_SPAWN: usize = 10_000;

/// One iteration on this runtime (`Handle::create_task` from a foreign thread: never
/// eager, whatever the task factory).
pub fn asyncio(rt: &asyncio::Runtime) -> Duration {
    let handle = rt.handle();
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    let t0 = Instant::now();
    for _ in 0..NUM_SPAWN {
        let (tx, rem) = (tx.clone(), rem.clone());
        drop(handle.create_task(async move {
            if rem.fetch_sub(1, Relaxed) == 1 {
                tx.send(()).unwrap();
            }
        }));
    }
    rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on tokio (`Handle::spawn` from a foreign thread).
pub fn tokio(rt: &tokio::runtime::Runtime) -> Duration {
    let handle = rt.handle();
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    let t0 = Instant::now();
    for _ in 0..NUM_SPAWN {
        let (tx, rem) = (tx.clone(), rem.clone());
        drop(handle.spawn(async move {
            if rem.fetch_sub(1, Relaxed) == 1 {
                tx.send(()).unwrap();
            }
        }));
    }
    rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on async-executor (`Executor::spawn(..).detach()` from a foreign thread).
pub fn async_executor(pool: &AsyncExecutorPool) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    let t0 = Instant::now();
    for _ in 0..NUM_SPAWN {
        let (tx, rem) = (tx.clone(), rem.clone());
        pool.ex
            .spawn(async move {
                if rem.fetch_sub(1, Relaxed) == 1 {
                    tx.send(()).unwrap();
                }
            })
            .detach();
    }
    rx.recv().unwrap();
    t0.elapsed()
}
