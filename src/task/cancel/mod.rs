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
//! a *must_cancel* that was pending when the step began and returns
//! `Err(CancelledError)`, whatever it would have given otherwise: asyncio's `__step`
//! throws the `CancelledError` into the coroutine where it resumes, so a task woken by a
//! completed future and cancelled before it ran gets the error, not the value (which
//! stays in the future, or in the awaited task's handle). If what it awaits ended
//! cancelled, that cancellation is what the task gets, and it consumes the request. A
//! request made during the step (the task cancelling itself, which schedules nothing) is
//! left alone by await points (except [`checkpoint`]): an await point that does not
//! suspend gives its result, as in asyncio, and the end of the step handles it.
//!
//! **Tracking** (`error.rs`). The `CancelledError` delivered to a task about its own
//! cancellation is a tracked token: alive when the future completes (propagated with
//! `?`), the task ends cancelled with its message; dropped (caught), the task ends with
//! its value although `cancelling()` stays above 0. Errors collected as values
//! (`return_exceptions`, `wait`'s done set) are untracked. A token handed to a task while
//! a request is pending (the task cancelled itself, then awaited a task that ended
//! cancelled) keeps its own message apart: the request is still delivered, or ends the
//! task, with the message given to `cancel()`.
//!
//! **End of a step** (`step.rs`). When a poll returns, the harness applies asyncio's
//! `__step` rules: a request still pending at `Ready` that was pending when the step
//! began ends the task cancelled; one made from another thread during the step is
//! ordered after it. A request pending since the step began that no await point
//! consumed while the future returned `Pending` means the task awaits something foreign:
//! its future is dropped and it ends cancelled (so `cancel()` always works). A request
//! made during a step that returns `Pending` (by the task itself or from another thread)
//! gets asyncio's `__step` treatment once the coroutine has yielded: offered to the waiter
//! registered in that poll (`deliver::forward_request_made_during_step`), whose cancelled
//! outcome wakes the task; refused, or with no waiter, the task is rescheduled and
//! receives it where it resumes. Either way the `CancelledError` comes one loop iteration
//! later, after the tasks queued before it. Left pending without the offer, it would
//! never reach what the task awaits (`wait_for(task, d)` timing out without cancelling
//! `task`).
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
    arm_for_this_step, cancelled_error, consume_pending_cancel, deliver_pending_cancel,
    deliver_pending_cancel_since_start, forward_request_made_during_step, rearm_for_next_await,
    take_own_pending_cancel,
};
pub(crate) use state::CancelState;
pub(crate) use step::{
    cancellation_at_completion, take_must_cancel, PendingRequest, Raised, StepReport,
};
