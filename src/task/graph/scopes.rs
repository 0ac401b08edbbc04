//! The scope registry: the `TaskGroup` and `timeout`/`wait_for` scopes alive in a
//! runtime, by owner task, for the call graph.
//!
//! A scope runs its body inside its task and registers nothing as the task's waiter, so
//! the graph would not see it. On entering, it inserts a [`ScopeEntry`] into its
//! runtime's [`Scopes`] (a sharded map keyed by a per-runtime counter, so the order of
//! keys is the order of entry: outermost first for the scopes of one task) and keeps a
//! [`ScopeGuard`] that removes it on exit or drop. A group's entry holds a weak view of
//! the group ([`ScopeChildren`]) so that the graph lists its children without keeping
//! the group alive. Cost: one insert and one remove per scope, on the shard of its key.

use std::panic::Location;

use crate::loom::map::ShardedMap;
use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::loom::sync::Arc;
use crate::loom::StdWeak;
use crate::runtime::scheduler::Shared;
use crate::task::current;
use crate::task::graph::{ScopeKind, TaskScope};
use crate::task::{TaskId, TaskRef};

/// A scope whose tasks the graph lists under it (a task group).
pub(crate) trait ScopeChildren: Send + Sync {
    /// The tasks of the scope that are not done. Called from any thread, with no task
    /// lock held.
    fn children(&self) -> Vec<TaskRef>;
}

/// One live scope.
#[derive(Clone)]
pub(crate) struct ScopeEntry {
    key: u64,
    owner: u64,
    kind: ScopeKind,
    at: &'static Location<'static>,
    children: Option<StdWeak<dyn ScopeChildren>>,
}

/// The live scopes of one runtime.
pub(crate) struct Scopes {
    map: ShardedMap<ScopeEntry>,
    next: AtomicU64,
}

/// A live scope of the current task: removes it from the registry when dropped.
pub(crate) struct ScopeGuard {
    runtime: Arc<Shared>,
    key: u64,
}

impl Scopes {
    pub(crate) fn new() -> Scopes {
        Scopes {
            map: ShardedMap::new(),
            next: AtomicU64::new(0),
        }
    }

    /// Every live scope as `(owner task id, entry order, scope)`. A group's children are
    /// read after the shard locks are released.
    pub(crate) fn snapshot(&self) -> Vec<(u64, u64, TaskScope)> {
        let entries = self.map.collect(|e| Some(e.clone()));
        entries
            .into_iter()
            .filter_map(|e| {
                let tasks = match &e.children {
                    None => Vec::new(),
                    Some(weak) => {
                        // A group being dropped has left its scope: nothing to show.
                        let group = weak.upgrade()?;
                        let mut tasks: Vec<TaskId> = group
                            .children()
                            .iter()
                            .filter(|t| !t.done())
                            .map(TaskRef::id)
                            .collect();
                        tasks.sort_unstable();
                        tasks
                    }
                };
                Some((e.owner, e.key, TaskScope::new(e.kind, e.at, tasks)))
            })
            .collect()
    }
}

/// Registers a scope of the current task; `None` (nothing registered) outside a task.
pub(crate) fn enter(
    kind: ScopeKind,
    at: &'static Location<'static>,
    children: Option<StdWeak<dyn ScopeChildren>>,
) -> Option<ScopeGuard> {
    let task = current::current_raw()?;
    let header = task.header();
    let runtime = header.scheduler.clone();
    // Relaxed: the key only has to be unique and increase in program order on this
    // thread (a task's scopes are entered by the task, one after another).
    let key = runtime.scopes.next.fetch_add(1, Ordering::Relaxed);
    let entry = ScopeEntry {
        key,
        owner: header.id,
        kind,
        at,
        children,
    };
    // Keys are unique: the insert cannot find one taken.
    let inserted = runtime.scopes.map.insert_if(key, entry, || true).is_ok();
    debug_assert!(inserted);
    Some(ScopeGuard { runtime, key })
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        // The entry holds no user value (a weak view at most): dropped right here.
        drop(self.runtime.scopes.map.remove(self.key));
    }
}
