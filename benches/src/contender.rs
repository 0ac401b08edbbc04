//! The runtimes a workload is measured on, and a fresh instance of one.
//!
//! The interleaved runner (`src/bin/interleaved.rs`) builds a new [`Instance`] for every
//! contender in every round, so that no runtime carries state (warm caches, grown queues,
//! a slow vCPU placement) from one round into the next, and drops it before the next
//! contender starts: only one runtime's threads exist at a time.

use crate::{asyncio_eager_rt, asyncio_rt, tokio_rt, AsyncExecutorPool};

/// One runtime configuration under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Contender {
    /// This runtime, asyncio's default task factory (a new task is queued).
    Asyncio,
    /// This runtime with the eager task factory (`Builder::eager_tasks(true)`): a task
    /// created on a worker runs its first step inside `create_task`.
    AsyncioEager,
    /// tokio's multi-thread runtime.
    Tokio,
    /// async-executor driven by [`crate::WORKERS`] threads.
    AsyncExecutor,
}

impl Contender {
    /// The name printed in the runner's output.
    pub fn name(self) -> &'static str {
        match self {
            Contender::Asyncio => "asyncio",
            Contender::AsyncioEager => "asyncio eager",
            Contender::Tokio => "tokio",
            Contender::AsyncExecutor => "async-executor",
        }
    }

    /// Builds a fresh runtime of this kind with [`crate::WORKERS`] worker threads.
    pub fn start(self) -> Instance {
        match self {
            Contender::Asyncio => Instance::Asyncio(asyncio_rt()),
            Contender::AsyncioEager => Instance::Asyncio(asyncio_eager_rt()),
            Contender::Tokio => Instance::Tokio(tokio_rt()),
            Contender::AsyncExecutor => Instance::AsyncExecutor(AsyncExecutorPool::new()),
        }
    }
}

/// A running runtime; dropping it shuts it down (and joins its threads).
pub enum Instance {
    /// This runtime (either task factory: the factory is part of the runtime).
    Asyncio(asyncio::Runtime),
    /// tokio's multi-thread runtime.
    Tokio(tokio::runtime::Runtime),
    /// async-executor and its threads.
    AsyncExecutor(AsyncExecutorPool),
}
