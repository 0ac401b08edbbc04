//! `all_tasks_under_load`: `Handle::all_tasks()` called from a foreign thread while
//! [`LIVE`] tasks are alive (pending on one future) and [`BUSY`] more keep both workers
//! busy yielding. tokio and async-executor have no equivalent (n/a).
//!
//! [`Load::start`] sets the load up and waits until every task is registered (polled
//! once); [`Load::all_tasks`] is the measured call; [`Load::stop`] releases every task
//! and awaits it, so nothing outlives the measurement.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Live pending tasks.
pub const LIVE: usize = 10_000;
/// Tasks keeping the workers busy (one per worker).
pub const BUSY: usize = crate::WORKERS;
/// Tasks every call lists.
pub const LISTED: usize = LIVE + BUSY;

/// The tasks under which `all_tasks()` is measured.
pub struct Load {
    handle: asyncio::Handle,
    gate: asyncio::Future<()>,
    stop: Arc<AtomicBool>,
    tasks: Vec<asyncio::Task<()>>,
}

impl Load {
    /// Spawns the live and busy tasks on `rt` and waits until all are registered.
    pub fn start(rt: &asyncio::Runtime) -> Load {
        let handle = rt.handle().clone();
        let gate = asyncio::Future::<()>::new_on(&handle);
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks: Vec<_> = (0..LIVE)
            .map(|_| {
                let g = gate.clone();
                handle.create_task(async move {
                    let _ = g.await;
                })
            })
            .collect();
        tasks.extend((0..BUSY).map(|_| {
            let stop = stop.clone();
            handle.create_task(async move {
                while !stop.load(Relaxed) {
                    asyncio::yield_now().await.unwrap();
                }
            })
        }));
        while handle.all_tasks().len() < LISTED {
            std::thread::yield_now();
        }
        Load {
            handle,
            gate,
            stop,
            tasks,
        }
    }

    /// The measured call: every task of the runtime that is not done.
    pub fn all_tasks(&self) -> Vec<asyncio::TaskRef> {
        let tasks = self.handle.all_tasks();
        assert!(tasks.len() >= LIVE);
        tasks
    }

    /// `calls` calls one after the other, timed as a whole (each list dropped inside).
    pub fn time_calls(&self, calls: usize) -> Duration {
        let t0 = Instant::now();
        for _ in 0..calls {
            drop(std::hint::black_box(self.all_tasks()));
        }
        t0.elapsed()
    }

    /// Releases every task and awaits it.
    pub fn stop(self, rt: &asyncio::Runtime) {
        self.stop.store(true, Relaxed);
        self.gate.set_result(()).unwrap();
        for t in self.tasks {
            rt.block_on(t).unwrap();
        }
    }
}
