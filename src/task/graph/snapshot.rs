//! Reading every live task of a runtime into [`TaskNode`]s (see the module docs of
//! `graph/` for what may be stale).

use std::collections::HashMap;

use crate::runtime::scheduler::Shared;
use crate::runtime::Handle;
use crate::task::cancel::waiter::{graph_target, CancelTarget};
use crate::task::graph::{AwaitedKind, Awaiting, TaskNode, TaskScope, TaskStatus};
use crate::task::TaskRef;

/// Every live task of the runtime, by id.
pub(crate) fn capture(shared: &crate::loom::sync::Arc<Shared>) -> Vec<TaskNode> {
    let handle = Handle {
        shared: shared.clone(),
    };
    let mut tasks = handle.all_tasks();
    tasks.sort_unstable_by_key(TaskRef::id);
    let mut scopes: HashMap<u64, Vec<(u64, TaskScope)>> = HashMap::new();
    for (owner, key, scope) in shared.scopes.snapshot() {
        scopes.entry(owner).or_default().push((key, scope));
    }
    tasks
        .iter()
        .filter_map(|t| {
            let mut own: Vec<(u64, TaskScope)> =
                scopes.remove(&t.id().as_u64()).unwrap_or_default();
            own.sort_unstable_by_key(|(key, _)| *key);
            node(t, own.into_iter().map(|(_, s)| s).collect())
        })
        .collect()
}

/// One task; `None` if it finished meanwhile.
fn node(task: &TaskRef, scopes: Vec<TaskScope>) -> Option<TaskNode> {
    let header = task.header();
    let (name, cancelling, msg, target) = match header.fields_existing() {
        // Never allocated: no name, no message, no waiter; a request may be counted in
        // the state word.
        None => (None, header.cancelling(), None, None),
        Some(fields) => {
            let name = fields
                .name_and_completion
                .as_ref()
                .and_then(|r| r.name.as_deref())
                .map(str::to_owned);
            let cancelling = fields.cancel.requests;
            let msg = fields.cancel.msg.clone();
            let target = graph_target(header, &fields.cancel.waiter);
            (name, cancelling, msg, target)
        }
    };
    // The lock is released: describing the awaitable may take the awaitable's own lock.
    let awaiting = target.map(|t| describe(&t));
    let snap = header.state.load();
    if snap.is_complete() {
        return None;
    }
    let status = if snap.is_running() {
        TaskStatus::Running
    } else if snap.is_notified() {
        TaskStatus::Scheduled
    } else {
        TaskStatus::Waiting
    };
    Some(TaskNode {
        id: task.id(),
        name: name.unwrap_or_else(|| format!("Task-{}", header.id)),
        status,
        cancelling,
        cancel_message: if cancelling > 0 {
            msg.map(|m| m.to_string())
        } else {
            None
        },
        scopes,
        awaiting,
    })
}

/// What a waiter registration says about the awaitable.
fn describe(target: &CancelTarget) -> Awaiting {
    match target {
        CancelTarget::Task(task, at) => {
            Awaiting::new(AwaitedKind::Task, Some(*at), vec![task.id()])
        }
        CancelTarget::Tasks(fan) => fan.describe(),
        CancelTarget::Other(waiter) => waiter.describe(),
        CancelTarget::Ambiguous => Awaiting::new(AwaitedKind::Several, None, Vec::new()),
    }
}
