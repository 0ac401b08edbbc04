//! The cancellation fields of a task, kept under the task's `asyncio` lock.

use crate::loom::StdArc as Arc;

use crate::task::cancel::waiter::Waiter;

/// What a task knows about the cancellations requested of it.
#[derive(Default)]
pub(crate) struct CancelState {
    /// Message of the latest cancellation (the pending *must_cancel* request, then the
    /// message of the outcome once the task ended cancelled), which is also the message of
    /// the latest tracked `CancelledError` handed to the task — except one handed to it
    /// while a request is pending: that one never overwrites the request's message (it is
    /// about what the task awaited, docs/design.md §4.2) and is kept aside, in the rarely
    /// allocated `NameAndCompletion::token_msg`, so that the header does not grow.
    pub(crate) msg: Option<Arc<str>>,
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
