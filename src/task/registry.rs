//! The dual task registry: scheduled tasks in a sharded map, eager steps in per-worker
//! stacks (docs/design.md §3.3).
//!
//! * **Scheduled registry** — a `DashMap` (through the `loom` facade) from task id to a
//!   `TaskRef`, holding every task that has been scheduled at least once and is not
//!   done. A task enters at its first schedule (`create_task`) or when its eager step
//!   suspends (graduation), and leaves when it completes. The runtime also uses it to
//!   find every pending task at shutdown; it is closed first, under each shard's lock,
//!   so a task created during shutdown cannot slip in after the sweep.
//! * **Eager registry** — per worker, the stack of tasks whose eager first step is
//!   running inline on that worker right now (eager steps nest inside `create_task`).
//!   Entries hold no ref: the creator keeps the cell alive for the whole step, and
//!   `all_tasks()` takes its refs under the stack's lock, which the creator also needs to
//!   pop the entry.
//!
//! `all_tasks()` reads the eager stacks first, then the scheduled map, and drops
//! duplicates. A graduating task is inserted into the scheduled map *before* it is
//! popped from its eager stack, so a reader that misses it in the stack (it read after
//! the pop) finds it in the map (it reads the map after the stack). It never stops the
//! world: a task alive for the whole call is listed exactly once; one created or finished
//! during the call may or may not be.

use crate::loom::map::ShardedMap;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::Mutex;
use crate::task::raw::RawTask;
use crate::task::TaskRef;

pub(crate) struct Registry {
    scheduled: ShardedMap<TaskRef>,
    closed: AtomicBool,
}

/// Why a task could not enter the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// The runtime is shutting down.
    RuntimeClosed,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            scheduled: ShardedMap::new(),
            closed: AtomicBool::new(false),
        }
    }

    /// Adds a task (the entry owns one ref). Fails once the runtime closed; the caller
    /// then shuts the task down.
    pub(crate) fn insert(&self, task: TaskRef) -> Result<(), (TaskRef, Closed)> {
        let id = task.header().id;
        // The closed check runs under the shard's write lock; `close` sets the flag
        // before taking each shard's lock to drain it, so either we see the flag or the
        // drain sees our entry.
        self.scheduled
            .insert_if(id, task, || !self.closed.load(Ordering::SeqCst))
            .map_err(|t| (t, Closed::RuntimeClosed))
    }

    pub(crate) fn remove(&self, id: u64) -> Option<TaskRef> {
        self.scheduled.remove(id)
    }

    /// Closes the registry and takes every entry out (shutdown).
    pub(crate) fn close_and_drain(&self) -> Vec<TaskRef> {
        self.closed.store(true, Ordering::SeqCst);
        self.scheduled.drain()
    }

    /// The scheduled tasks that are not done, each as a new ref, skipping `skip` ids.
    pub(crate) fn scheduled_not_done(&self, skip: &[u64]) -> Vec<TaskRef> {
        self.scheduled.collect(|t| {
            if t.done() || skip.contains(&t.header().id) {
                None
            } else {
                Some(t.clone())
            }
        })
    }

    /// Number of entries (tasks scheduled and not done).
    pub(crate) fn len(&self) -> usize {
        self.scheduled.len()
    }
}

/// One worker's eager stack.
#[derive(Default)]
pub(crate) struct EagerStack {
    running: Mutex<Vec<RawTask>>,
}

impl EagerStack {
    /// Pushes a task whose eager step starts now. Returns the depth before the push.
    pub(crate) fn push(&self, task: RawTask) {
        self.running.lock().push(task);
    }

    /// Pops the task whose eager step just ended (graduated or complete).
    pub(crate) fn pop(&self, task: RawTask) {
        let popped = self.running.lock().pop();
        debug_assert!(popped == Some(task));
    }

    /// Number of tasks whose eager step is running here (a metrics gauge).
    pub(crate) fn len(&self) -> usize {
        self.running.lock().len()
    }

    /// Refs to the tasks whose eager step is running, not done.
    pub(crate) fn not_done(&self, out: &mut Vec<TaskRef>) {
        let running = self.running.lock();
        for raw in running.iter() {
            if !raw.state().load().is_complete() {
                out.push(TaskRef::clone_from_raw(*raw));
            }
        }
    }
}

/// Moves a task whose eager step suspended into the scheduled registry. The caller holds
/// RUNNING. Fails if the runtime closed meanwhile.
pub(crate) fn graduate(task: RawTask) -> Result<(), Closed> {
    let entry = TaskRef::clone_from_raw(task);
    match task.header().scheduler.registry.insert(entry) {
        Ok(()) => {
            task.state().set_registered();
            Ok(())
        }
        Err((entry, closed)) => {
            drop(entry);
            Err(closed)
        }
    }
}
