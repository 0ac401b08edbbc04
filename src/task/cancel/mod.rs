//! Cancellation: asyncio's `Task.cancel(msg)` on a runtime that cannot throw into a
//! future.
//!
//! ## The protocol
//!
//! **Request** (`request.rs`). `task.cancel(msg)` takes the task's `asyncio` lock and:
//! 1. returns `false` if the task is done;
//! 2. counts the request (`cancelling()`);
//! 3. if the task is suspended on a runtime-aware awaitable that registered itself as
//!    its *waiter* in the task's latest poll (`waiter.rs`: another task, an
//!    `asyncio::Future`, a gather, a lock's wait entry, a `to_thread` job...), forwards
//!    the request to it; if the waiter accepts, that is all: the task will see the
//!    waiter's cancelled outcome, as `await inner` does in asyncio. Forwarding
//!    (`forward.rs`) walks chains of awaiting tasks and gathers with its own stack, in
//!    the order asyncio's recursion would, so a chain of any length cannot overflow a
//!    worker's stack; a task asked twice on one path closes a cycle and refuses, so a
//!    cycle of tasks awaiting each other gets one request per task;
//! 4. otherwise arms *must_cancel* (a state-word bit) with the message and wakes the
//!    task. Repeated calls keep returning `true` and keep counting.
//!
//! `uncancel()` decrements the count; reaching 0 withdraws a request not yet delivered.
//! `abort()` is tokio's: the CANCELLED bit, the future is dropped at the next chance.
//!
//! **Delivery** (`deliver.rs`). Every runtime-aware await point (`sleep`, awaiting a
//! task or a `Future`, `gather`, `wait`, locks, queues, [`checkpoint`]) first consumes
//! a pending *must_cancel* and returns `Err(CancelledError)` instead of suspending. An
//! await point about to suspend on something a cancel can be forwarded to offers a
//! request made during this step to that target first (asyncio's `__step`: `if
//! self._must_cancel: if self._fut_waiter.cancel(msg): ...`); a request already pending
//! when the step began is delivered where the task resumes, as asyncio throws it in.
//!
//! **Tracking** (`error.rs`). The `CancelledError` delivered to a task about its own
//! cancellation is a tracked token: alive when the future completes (propagated with
//! `?`), the task ends cancelled with its message; dropped (caught), the task ends with
//! its value although `cancelling()` stays above 0. Errors collected as values
//! (`return_exceptions`, `wait`'s done set) are untracked.
//!
//! **End of a step** (`step.rs`). When a poll returns, the harness applies asyncio's
//! `__step` rules: a request still pending at `Ready` that was pending when the step
//! began ends the task cancelled; one made from another thread during the step is
//! ordered after it. A request pending since the step began that no await point
//! consumed while the future returned `Pending` means the task awaits something foreign:
//! its future is dropped and it ends cancelled (so `cancel()` always works). A request
//! made from another thread during a step that returns `Pending` (after the await point
//! checked, before it registered as the waiter) is ordered after the step: forwarded to
//! the waiter registered in that poll (`deliver::forward_request_made_during_step`), as
//! asyncio's `__step` offers `_must_cancel` to the future the coroutine yielded; it must
//! not be left to be delivered at the next step as if it had been pending when it began.
//! A request made before the first poll drops the future unpolled.
//!
//! **Scopes** (`deliver.rs`). A task group that consumed an outside request re-arms it
//! for the next await point only ([`state::PendingScope`]); a timeout scope takes its own
//! request back when its body cannot receive it.
//!
//! ## Files
//! `state.rs` (the fields), `request.rs`, `waiter.rs` (forwarding targets), `forward.rs`
//! (the walk), `deliver.rs`, `step.rs`, `error.rs` (`CancelledError` and tracked tokens).

mod deliver;
mod error;
mod forward;
mod request;
pub(crate) mod state;
mod step;
pub(crate) mod waiter;

pub use deliver::{checkpoint, Checkpoint};
pub use error::CancelledError;

pub(crate) use deliver::{
    cancelled_error, deliver_pending_cancel, forward_or_deliver_pending_cancel,
    forward_request_made_during_step, rearm_for_next_await, take_own_pending_cancel,
};
pub(crate) use state::CancelState;
pub(crate) use step::{
    cancellation_at_completion, take_must_cancel, PendingRequest, Raised, StepReport,
};
