//! The task call graph: who awaits whom, for every live task, from any thread (Python
//! 3.14's `asyncio.capture_call_graph`, `print_call_graph` and `python -m asyncio
//! pstree`).
//!
//! ## The protocol
//!
//! Nothing is recorded on the hot path that was not recorded already. Two sources:
//!
//! 1. **What a task is suspended on.** Every runtime-aware awaitable that returns
//!    `Pending` inside a task already registers itself as the task's *waiter*, for
//!    forwarding `cancel()` (`cancel/waiter.rs`): another task, a gather, a shield, an
//!    `asyncio::Future`, a lock's wait entry, a `to_thread` job. The registration names
//!    the awaitable; the graph asks it to [`describe`](crate::task::cancel::waiter::CancelWaiter::describe)
//!    itself ([`Awaiting`]: its kind, where it was made, the tasks under it). Where the
//!    await happened comes from `#[track_caller]`: `task.await` records the `.await`'s
//!    line in the registration itself (the `Task` variant of the target has room for it,
//!    so the task header does not grow); a gather or a shield records the line of its
//!    constructor in its own shared state; a `Future` the line that created it (several
//!    tasks may await one future). A registration is current only for the task's
//!    latest poll, so a task that is running, or suspended on something that registers
//!    nothing (`sleep`, a foreign future), awaits nothing in the graph.
//! 2. **Scopes** ([`scopes`]). A `TaskGroup` or a `timeout`/`wait_for` scope runs inside
//!    its task, it is not awaited through a waiter: it enters a per-runtime registry
//!    (a sharded map, one insert and one remove per scope) with its owner task, kind,
//!    line, and, for a group, a weak view of its children. In CPython 3.14 a group's
//!    child is likewise "awaited by" the group's parent from its creation.
//!
//! A capture ([`snapshot`]) lists the live tasks as `all_tasks()` does, then, for each,
//! takes its small `asyncio` lock once, copies the name, the cancel count and message
//! and clones the current waiter registration, releases the lock, and only then asks the
//! awaitable to describe itself (a gather's child list, a group's lock), so no two locks
//! are ever held together and a task being polled is never waited for longer than a
//! `cancel()` waits. Workers keep running meanwhile: the result is a snapshot of
//! slightly different moments for different tasks (a task may show as awaiting a task
//! that finished since; finished tasks are left out).
//!
//! From the snapshot, [`TaskTree`] renders every live task once, as `pstree` does, with
//! each awaited task under the awaitable (gather, shield, `.await`) or scope (`TaskGroup`,
//! `timeout`) that waits for it, and [`capture_call_graph`] gives one task's awaited-by
//! chain upwards, as CPython's `FutureCallGraph`.
//!
//! Not recorded: where a task was created (`create_task`'s caller). It would take a word
//! in every task (the header is kept to 64 bytes) or an allocation per task; the await
//! lines and the names say where a task is used, which is what a stuck program needs.

mod call_graph;
mod nodes;
pub(crate) mod scopes;
mod snapshot;
mod tree;

pub use call_graph::{capture_call_graph, print_call_graph, CallGraph};
pub use nodes::{AwaitedKind, Awaiting, ScopeKind, TaskNode, TaskScope, TaskStatus};
pub use tree::TaskTree;
