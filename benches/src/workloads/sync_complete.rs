//! `sync_complete`: a task on a worker spawns [`NUM_TASKS`] tasks that return without
//! awaiting anything. Timed from spawning the root task until the bench thread hears
//! that all of them are done.
//!
//! Two ways to treat the handles ([`Handles`]): the criterion bench drops each handle at
//! once and the last task to run signals (`Dropped`); the interleaved runner holds all
//! of them and the root task awaits each in turn, as tokio's own spawn benches do
//! (`Awaited`, issue 18's reference measurement). With the eager task factory each task
//! finishes inside `create_task` (an inline first step, never queued), which the peers,
//! having no eager start, compare against a spawn.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::AsyncExecutorPool;

/// Tasks spawned per iteration.
pub const NUM_TASKS: usize = 100_000;

/// What the root task does with the handles of the tasks it spawns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handles {
    /// Dropped at once (detached); the last task to finish signals the bench thread.
    Dropped,
    /// Held in a `Vec`, then awaited one by one; the root task signals after the last.
    Awaited,
}

/// One iteration on this runtime (eager if the runtime's task factory is).
pub fn asyncio(rt: &asyncio::Runtime, handles: Handles) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_TASKS));
    let t0 = Instant::now();
    drop(rt.create_task(async move {
        match handles {
            Handles::Dropped => {
                for i in 0..NUM_TASKS {
                    let (tx, rem) = (tx.clone(), rem.clone());
                    drop(asyncio::create_task(async move {
                        if rem.fetch_sub(1, Relaxed) == 1 {
                            tx.send(()).unwrap();
                        }
                        i
                    }));
                }
            }
            Handles::Awaited => {
                let mut tasks = Vec::with_capacity(NUM_TASKS);
                for i in 0..NUM_TASKS {
                    tasks.push(asyncio::create_task(async move { i }));
                }
                for t in tasks {
                    black_box(t.await.unwrap());
                }
                tx.send(()).unwrap();
            }
        }
    }));
    rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on tokio.
pub fn tokio(rt: &tokio::runtime::Runtime, handles: Handles) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_TASKS));
    let t0 = Instant::now();
    drop(rt.spawn(async move {
        match handles {
            Handles::Dropped => {
                for i in 0..NUM_TASKS {
                    let (tx, rem) = (tx.clone(), rem.clone());
                    drop(tokio::spawn(async move {
                        if rem.fetch_sub(1, Relaxed) == 1 {
                            tx.send(()).unwrap();
                        }
                        i
                    }));
                }
            }
            Handles::Awaited => {
                let mut tasks = Vec::with_capacity(NUM_TASKS);
                for i in 0..NUM_TASKS {
                    tasks.push(tokio::spawn(async move { i }));
                }
                for t in tasks {
                    black_box(t.await.unwrap());
                }
                tx.send(()).unwrap();
            }
        }
    }));
    rx.recv().unwrap();
    t0.elapsed()
}

/// One iteration on async-executor.
pub fn async_executor(pool: &AsyncExecutorPool, handles: Handles) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let rem = Arc::new(AtomicUsize::new(NUM_TASKS));
    let ex = pool.ex.clone();
    let t0 = Instant::now();
    pool.ex
        .spawn(async move {
            match handles {
                Handles::Dropped => {
                    for i in 0..NUM_TASKS {
                        let (tx, rem) = (tx.clone(), rem.clone());
                        ex.spawn(async move {
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                tx.send(()).unwrap();
                            }
                            i
                        })
                        .detach();
                    }
                }
                Handles::Awaited => {
                    let mut tasks = Vec::with_capacity(NUM_TASKS);
                    for i in 0..NUM_TASKS {
                        tasks.push(ex.spawn(async move { i }));
                    }
                    for t in tasks {
                        black_box(t.await);
                    }
                    tx.send(()).unwrap();
                }
            }
        })
        .detach();
    rx.recv().unwrap();
    t0.elapsed()
}
