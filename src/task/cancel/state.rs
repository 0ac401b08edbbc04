//! The cancellation fields of a task, kept under the task's `asyncio` lock.

use crate::loom::StdArc as Arc;

use crate::task::cancel::waiter::Waiter;

/// What a task knows about the cancellations requested of it.
#[derive(Default)]
pub(crate) struct CancelState {
    /// Message of the latest cancellation (the pending *must_cancel* request, then the
    /// message of the outcome once the task ended cancelled). A tracked `CancelledError`
    /// handed to the task while a request is pending never overwrites it (that error is
    /// about what the task awaited, not the request: docs/design.md §4.2).
    pub(crate) msg: Option<Arc<str>>,
    /// Message of the latest tracked `CancelledError` handed to the task: the one it ends
    /// with if such a token is still alive when its future completes (asyncio: the
    /// `CancelledError` raised out of the coroutine is the task's exception).
    pub(crate) token_msg: Option<Arc<str>>,
    /// `cancelling()`: cancel requests minus `uncancel()` calls.
    pub(crate) requests: u32,
    /// How far the pending *must_cancel* request reaches.
    pub(crate) pending_scope: PendingScope,
    /// What the task is suspended on, for forwarding.
    pub(crate) waiter: Option<Waiter>,
}

/// How far a pending *must_cancel* request reaches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum PendingScope {
    /// An ordinary request: delivered at the next await point, and if the task completes
    /// first, it ends cancelled (asyncio's `__step` rule).
    #[default]
    UntilCompletion,
    /// Re-armed by a task group for the next await point only: if the task completes
    /// first, its result stands (see `deliver::rearm_for_next_await`).
    NextAwaitPoint,
}
