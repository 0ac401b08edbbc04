//! The nine workloads of docs/design.md §6, one file each, each with one body per runtime
//! (`asyncio`, `tokio`, `async_executor`) that runs one iteration and returns the time of
//! its timed region. The criterion benches (`benches/*.rs`) and the interleaved runner
//! (`src/bin/interleaved.rs`) call the same bodies, with the same sizes.
//!
//! [`Workload`] lists them for the runner: name, unit, how many units one iteration
//! holds, the contenders it runs on, and how many inner iterations a round measures.

pub mod all_tasks_under_load;
pub mod cancel_storm;
pub mod chained_spawn;
pub mod ping_pong;
pub mod spawn_many_local;
pub mod spawn_many_remote;
pub mod sync_complete;
pub mod threadsafe_roundtrip;
pub mod yield_many;

use std::time::Duration;

use crate::contender::{Contender, Instance};

/// The total of `iters` iterations of `once` (for criterion's `iter_custom`).
pub fn repeat(iters: u64, mut once: impl FnMut() -> Duration) -> Duration {
    (0..iters).map(|_| once()).sum()
}

/// Calls of `all_tasks()` per iteration of `all_tasks_under_load` in the runner.
pub const ALL_TASKS_CALLS: usize = 10;

/// One of the nine workloads, as the interleaved runner measures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// [`spawn_many_local`].
    SpawnManyLocal,
    /// [`spawn_many_remote`].
    SpawnManyRemote,
    /// [`yield_many`].
    YieldMany,
    /// [`ping_pong`].
    PingPong,
    /// [`chained_spawn`].
    ChainedSpawn,
    /// [`sync_complete`], handles held and awaited ([`sync_complete::Handles::Awaited`]).
    SyncComplete,
    /// [`cancel_storm`], this runtime with `cancel()` (the forced path).
    CancelStorm,
    /// [`threadsafe_roundtrip`], [`threadsafe_roundtrip::ROUND_TRIPS`] per iteration.
    ThreadsafeRoundtrip,
    /// [`all_tasks_under_load`], this runtime only.
    AllTasksUnderLoad,
}

/// The peers every workload but `all_tasks_under_load` runs on.
const PEERS: [Contender; 2] = [Contender::Tokio, Contender::AsyncExecutor];

impl Workload {
    /// All nine, in the order of benches/README.md.
    pub const ALL: [Workload; 9] = [
        Workload::SpawnManyLocal,
        Workload::SpawnManyRemote,
        Workload::YieldMany,
        Workload::PingPong,
        Workload::ChainedSpawn,
        Workload::SyncComplete,
        Workload::CancelStorm,
        Workload::ThreadsafeRoundtrip,
        Workload::AllTasksUnderLoad,
    ];

    /// The name used on the command line and in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnManyLocal => "spawn_many_local",
            Workload::SpawnManyRemote => "spawn_many_remote",
            Workload::YieldMany => "yield_many",
            Workload::PingPong => "ping_pong",
            Workload::ChainedSpawn => "chained_spawn",
            Workload::SyncComplete => "sync_complete",
            Workload::CancelStorm => "cancel_storm",
            Workload::ThreadsafeRoundtrip => "threadsafe_roundtrip",
            Workload::AllTasksUnderLoad => "all_tasks_under_load",
        }
    }

    /// The workload called `name`, if any.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The unit of the figures.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::SpawnManyLocal
            | Workload::SpawnManyRemote
            | Workload::ChainedSpawn
            | Workload::SyncComplete
            | Workload::CancelStorm => "ns/task",
            Workload::YieldMany => "ns per 1,000 yields",
            Workload::PingPong => "ns/pair",
            Workload::ThreadsafeRoundtrip => "ns/round trip",
            Workload::AllTasksUnderLoad => "ns per task listed",
        }
    }

    /// Units in one iteration: an iteration's time ÷ this is the figure.
    pub fn units_per_iteration(self) -> usize {
        match self {
            Workload::SpawnManyLocal => spawn_many_local::NUM_SPAWN,
            Workload::SpawnManyRemote => spawn_many_remote::NUM_SPAWN,
            // 1,000 yields per task: one unit per task.
            Workload::YieldMany => yield_many::NUM_YIELD_TASKS,
            Workload::PingPong => ping_pong::NUM_PINGS,
            Workload::ChainedSpawn => chained_spawn::CHAIN,
            Workload::SyncComplete => sync_complete::NUM_TASKS,
            Workload::CancelStorm => cancel_storm::NUM_TASKS,
            Workload::ThreadsafeRoundtrip => threadsafe_roundtrip::ROUND_TRIPS,
            Workload::AllTasksUnderLoad => ALL_TASKS_CALLS * all_tasks_under_load::LISTED,
        }
    }

    /// Whether the eager task factory changes anything: the workload creates its tasks
    /// from a task on a worker (created off the workers, a task is queued whatever the
    /// factory).
    pub fn eager_applies(self) -> bool {
        matches!(
            self,
            Workload::SpawnManyLocal
                | Workload::PingPong
                | Workload::ChainedSpawn
                | Workload::SyncComplete
        )
    }

    /// The contenders this workload runs on: this runtime (and its eager mode where that
    /// applies), then the peers (none for `all_tasks_under_load`).
    pub fn contenders(self) -> Vec<Contender> {
        let mut out = vec![Contender::Asyncio];
        if self.eager_applies() {
            out.push(Contender::AsyncioEager);
        }
        if self != Workload::AllTasksUnderLoad {
            out.extend(PEERS);
        }
        out
    }

    /// Inner iterations per contender per round at full length: about 0.1–1 s of
    /// measurement each on the reference machine (a full 9-round run of all nine
    /// workloads: a few minutes).
    pub fn inner_iterations(self) -> usize {
        match self {
            Workload::SpawnManyLocal | Workload::SpawnManyRemote => 61,
            Workload::YieldMany => 25,
            Workload::PingPong => 301,
            Workload::ChainedSpawn => 601,
            Workload::SyncComplete => 11,
            Workload::CancelStorm => 21,
            Workload::ThreadsafeRoundtrip => 15,
            Workload::AllTasksUnderLoad => 41,
        }
    }

    /// Runs `warmup + inner` iterations on `instance` and returns the timed regions of
    /// the last `inner` (the warm-up ones are discarded).
    ///
    /// # Panics
    ///
    /// If `instance` is not a runtime this workload runs on (see [`Self::contenders`]).
    pub fn measure(self, instance: &Instance, warmup: usize, inner: usize) -> Vec<Duration> {
        let mut times = Vec::with_capacity(warmup + inner);
        match (self, instance) {
            (Workload::AllTasksUnderLoad, Instance::Asyncio(rt)) => {
                let load = all_tasks_under_load::Load::start(rt);
                for _ in 0..warmup + inner {
                    times.push(load.time_calls(ALL_TASKS_CALLS));
                }
                load.stop(rt);
            }
            (Workload::AllTasksUnderLoad, _) => {
                panic!("all_tasks_under_load runs on this runtime only")
            }
            _ => {
                for _ in 0..warmup + inner {
                    times.push(self.once(instance));
                }
            }
        }
        times.split_off(warmup)
    }

    /// One iteration of every workload but `all_tasks_under_load`.
    fn once(self, instance: &Instance) -> Duration {
        use sync_complete::Handles::Awaited;
        use threadsafe_roundtrip::ROUND_TRIPS;
        use Instance::{AsyncExecutor as Ae, Asyncio as Aio, Tokio as Tk};
        match (self, instance) {
            (Workload::SpawnManyLocal, Aio(rt)) => spawn_many_local::asyncio(rt),
            (Workload::SpawnManyLocal, Tk(rt)) => spawn_many_local::tokio(rt),
            (Workload::SpawnManyLocal, Ae(p)) => spawn_many_local::async_executor(p),
            (Workload::SpawnManyRemote, Aio(rt)) => spawn_many_remote::asyncio(rt),
            (Workload::SpawnManyRemote, Tk(rt)) => spawn_many_remote::tokio(rt),
            (Workload::SpawnManyRemote, Ae(p)) => spawn_many_remote::async_executor(p),
            (Workload::YieldMany, Aio(rt)) => yield_many::asyncio(rt),
            (Workload::YieldMany, Tk(rt)) => yield_many::tokio(rt),
            (Workload::YieldMany, Ae(p)) => yield_many::async_executor(p),
            (Workload::PingPong, Aio(rt)) => ping_pong::asyncio(rt),
            (Workload::PingPong, Tk(rt)) => ping_pong::tokio(rt),
            (Workload::PingPong, Ae(p)) => ping_pong::async_executor(p),
            (Workload::ChainedSpawn, Aio(rt)) => chained_spawn::asyncio(rt),
            (Workload::ChainedSpawn, Tk(rt)) => chained_spawn::tokio(rt),
            (Workload::ChainedSpawn, Ae(p)) => chained_spawn::async_executor(p),
            (Workload::SyncComplete, Aio(rt)) => sync_complete::asyncio(rt, Awaited),
            (Workload::SyncComplete, Tk(rt)) => sync_complete::tokio(rt, Awaited),
            (Workload::SyncComplete, Ae(p)) => sync_complete::async_executor(p, Awaited),
            (Workload::CancelStorm, Aio(rt)) => {
                cancel_storm::asyncio(rt, cancel_storm::CancelBy::Cancel)
            }
            (Workload::CancelStorm, Tk(rt)) => cancel_storm::tokio(rt),
            (Workload::CancelStorm, Ae(p)) => cancel_storm::async_executor(p),
            (Workload::ThreadsafeRoundtrip, Aio(rt)) => {
                threadsafe_roundtrip::asyncio(rt, ROUND_TRIPS)
            }
            (Workload::ThreadsafeRoundtrip, Tk(rt)) => threadsafe_roundtrip::tokio(rt, ROUND_TRIPS),
            (Workload::ThreadsafeRoundtrip, Ae(p)) => {
                threadsafe_roundtrip::async_executor(p, ROUND_TRIPS)
            }
            (Workload::AllTasksUnderLoad, _) => unreachable!("measured by `measure`"),
        }
    }
}
