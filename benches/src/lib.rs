//! Shared set-up for the benches: the three runtimes under test, built with the same
//! number of worker threads, so every workload runs on each of them in one process, one
//! after the other; the workloads themselves ([`workloads`]), one body per runtime,
//! shared by the criterion benches and the interleaved runner (`src/bin/interleaved.rs`);
//! and the runner's statistics ([`stats`]).

pub mod contender;
pub mod stats;
pub mod workloads;

use std::sync::Arc;
use std::thread::JoinHandle;

/// Worker threads for every runtime in the benches (the CI machines have 2 cores).
pub const WORKERS: usize = 2;

/// An `async-executor` driven by `WORKERS` threads, stopped on drop.
pub struct AsyncExecutorPool {
    /// The executor; tasks spawn onto it from inside other tasks too.
    pub ex: Arc<async_executor::Executor<'static>>,
    stops: Vec<tokio::sync::oneshot::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl AsyncExecutorPool {
    /// Starts `WORKERS` threads running the executor (each until its stop signal).
    pub fn new() -> Self {
        let ex = Arc::new(async_executor::Executor::new());
        let mut stops = Vec::new();
        let threads = (0..WORKERS)
            .map(|_| {
                let ex = ex.clone();
                let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                stops.push(tx);
                std::thread::spawn(move || {
                    futures_lite::future::block_on(ex.run(async {
                        let _ = rx.await;
                    }))
                })
            })
            .collect();
        AsyncExecutorPool { ex, stops, threads }
    }
}

impl Default for AsyncExecutorPool {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for AsyncExecutorPool {
    fn drop(&mut self) {
        for s in self.stops.drain(..) {
            let _ = s.send(());
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The asyncio runtime with `WORKERS` workers.
pub fn asyncio_rt() -> asyncio::Runtime {
    asyncio::Builder::new()
        .worker_threads(WORKERS)
        .build()
        .expect("asyncio runtime")
}

/// The asyncio runtime with the eager task factory.
pub fn asyncio_eager_rt() -> asyncio::Runtime {
    asyncio::Builder::new()
        .worker_threads(WORKERS)
        .eager_tasks(true)
        .build()
        .expect("asyncio runtime")
}

/// tokio's multi-thread runtime with `WORKERS` workers.
pub fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_time()
        .build()
        .expect("tokio runtime")
}
