//! Creating tasks: scheduled start, and eager start (docs/design.md §4.3).
//!
//! **Scheduled** (the default): the cell is created with three refs (the `Task<T>`, the
//! `Notified`, the registry entry), inserted into the scheduled registry and queued. It
//! does not run before `create_task` returns. If the runtime is shutting down, the
//! registry refuses it and the task ends cancelled without running.
//!
//! **Eager**: on a worker thread of the task's own runtime, the cell is created already
//! RUNNING and its first step runs inline, inside `create_task`, with the new task as
//! `current_task()` and an entry in this worker's eager stack. A task that completes in
//! that step never touches a queue or the scheduled registry; one that suspends
//! graduates (registry insert before it leaves the eager stack) and continues as an
//! ordinary task woken by its waker. Off the workers, on another runtime's worker, or
//! deeper than [`MAX_EAGER_DEPTH`] nested eager steps, the task is scheduled instead.
//!
//! **Ids and default names** (CPython 3.13): the `N` of the default name `Task-N` comes
//! from a process-wide counter incremented only for a task created *without* a name
//! (asyncio's `_task_name_counter`), so a named task uses up no number, and renaming a
//! task later changes nothing. The number costs no storage: a task created without a name
//! takes it as its id (`Task-{id}`), and a task created with a name takes its id from a
//! second counter, in a separate range from [`NAMED_ID_BASE`] up (2^63: neither range
//! can run into the other). Ids stay unique and are never reused; they no longer follow
//! creation order between named and unnamed tasks.
//!
//! **Context** (`contextvars`): the future is wrapped in `InContext` with a copy of the
//! creator's current context taken here (or the `Context` given to the builder), so
//! every poll, the eager step included, runs in it.

use crate::contextvars::current::{self as contextvars, InContext, TaskContext};
use crate::loom::StdArc;
use std::future::Future;
use std::ptr;

use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;
use crate::loom::IdCounter;
use crate::runtime::context;
use crate::runtime::scheduler::worker::{WorkerCore, MAX_EAGER_DEPTH};
use crate::runtime::scheduler::{ScheduleKind, Shared};
use crate::task::core::{AsyncioFields, Kind};
use crate::task::handle::{Task, TaskRef};
use crate::task::notified::Notified;
use crate::task::output::IntoOutcome;
use crate::task::raw::RawTask;
use crate::task::state::Initial;

/// How a new task starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// As the runtime's task factory says (`Builder::eager_tasks`).
    RuntimeDefault,
    /// Queued (asyncio's default).
    Scheduled,
    /// First step inline when possible.
    Eager,
}

pub(crate) struct SpawnOptions {
    pub(crate) name: Option<StdArc<str>>,
    pub(crate) start: Start,
    /// The context to run in; `None`: a copy of the creator's.
    pub(crate) context: Option<TaskContext>,
}

impl SpawnOptions {
    pub(crate) const DEFAULT: SpawnOptions = SpawnOptions {
        name: None,
        start: Start::RuntimeDefault,
        context: None,
    };
}

/// The first id of the range taken by tasks created with a name (see the module doc).
pub(crate) const NAMED_ID_BASE: u64 = 1 << 63;

/// The id of a new task: the next `Task-N` number if it has no name, else the next id of
/// the named range.
fn next_task_id(named: bool) -> u64 {
    static UNNAMED: IdCounter = IdCounter::new();
    static NAMED: IdCounter = IdCounter::new();
    if named {
        NAMED_ID_BASE + NAMED.next()
    } else {
        let n = UNNAMED.next();
        debug_assert!(n < NAMED_ID_BASE);
        n
    }
}

pub(crate) fn spawn<F>(
    shared: &Arc<Shared>,
    future: F,
    opts: SpawnOptions,
) -> Task<<F::Output as IntoOutcome>::Value>
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    let context = opts.context.unwrap_or_else(contextvars::capture);
    let future = InContext::new(context, future);
    let id = next_task_id(opts.name.is_some());
    let extra = AsyncioFields::with_name(opts.name);
    let eager = match opts.start {
        Start::Eager => true,
        Start::Scheduled => false,
        Start::RuntimeDefault => shared.config.eager_tasks.load(Ordering::Relaxed),
    };
    if eager {
        let mut future = Some(future);
        let mut extra = Some(extra);
        let spawned = context::with_worker(|worker| match worker {
            Some(w) if eager_allowed(w, shared) => {
                let fut = future.take().expect("taken once");
                let extra = extra.take().expect("taken once");
                Some(spawn_eager(w, fut, id, extra))
            }
            _ => None,
        });
        if let Some(task) = spawned {
            return task;
        }
        return spawn_scheduled(
            shared,
            future.take().expect("not taken"),
            id,
            extra.take().expect("not taken"),
        );
    }
    spawn_scheduled(shared, future, id, extra)
}

fn eager_allowed(worker: &WorkerCore, shared: &Arc<Shared>) -> bool {
    ptr::eq(&*worker.shared, &**shared)
        && worker.eager_depth.get() < MAX_EAGER_DEPTH
        && !shared.is_closed()
}

fn spawn_scheduled<F>(
    shared: &Arc<Shared>,
    future: F,
    id: u64,
    fields: AsyncioFields,
) -> Task<<F::Output as IntoOutcome>::Value>
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    let raw = RawTask::new(
        future,
        shared.clone(),
        id,
        Kind::Task,
        Initial {
            refs: 3,
            notified: true,
            join_interest: true,
            running: false,
            registered: true,
        },
        fields,
    );
    // SAFETY: the three initial refs go to the registry entry, the Notified and the
    // Task<T>; JOIN_INTEREST is set for the latter and the output type is `F`'s value.
    let (entry, notified, task) = unsafe {
        (
            TaskRef::from_raw(raw),
            Notified::from_raw(raw),
            Task::from_raw(raw),
        )
    };
    shared.run_task_hook(&shared.config.hooks.on_task_spawn, &task);
    match shared.registry.insert(entry) {
        Ok(()) => shared.schedule(notified, ScheduleKind::Spawn),
        Err((entry, _closed)) => {
            drop(entry);
            // Never runs: the future is dropped and the task ends cancelled.
            notified.shutdown();
        }
    }
    task
}

fn spawn_eager<F>(
    worker: &WorkerCore,
    future: F,
    id: u64,
    fields: AsyncioFields,
) -> Task<<F::Output as IntoOutcome>::Value>
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    let raw = RawTask::new(
        future,
        worker.shared.clone(),
        id,
        Kind::Task,
        Initial {
            refs: 2,
            notified: false,
            join_interest: true,
            running: true,
            registered: false,
        },
        fields,
    );
    // SAFETY: one initial ref is the Task<T>'s (JOIN_INTEREST set, output `F`'s value);
    // the other stands for the running step and is consumed by `run_eager`.
    let task = unsafe { Task::from_raw(raw) };
    let shared = &worker.shared;
    shared.run_task_hook(&shared.config.hooks.on_task_spawn, &task);
    let step = EagerStepGuard::enter(worker, raw);
    let _step = raw.run_eager();
    drop(step);
    task
}

/// The task's entry in this worker's eager stack (and the nesting depth) for the duration
/// of its eager step. Left on drop, so that even a step that unwinds (the harness guards
/// user code, so it should not) never leaves a stale entry for `all_tasks()` to read.
struct EagerStepGuard<'a> {
    worker: &'a WorkerCore,
    task: RawTask,
}

impl<'a> EagerStepGuard<'a> {
    fn enter(worker: &'a WorkerCore, task: RawTask) -> EagerStepGuard<'a> {
        worker.remote().eager.push(task);
        worker.eager_depth.set(worker.eager_depth.get() + 1);
        EagerStepGuard { worker, task }
    }
}

impl Drop for EagerStepGuard<'_> {
    fn drop(&mut self) {
        self.worker
            .eager_depth
            .set(self.worker.eager_depth.get() - 1);
        self.worker.remote().eager.pop(self.task);
    }
}
