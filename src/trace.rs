//! `tracing` instrumentation (cargo feature `tracing`, off by default).
//!
//! ## What is emitted
//! * **A span per task** (`asyncio::task`, level TRACE, name `task`), created with the
//!   cell, with the fields `task.name` (the name at creation: the given one or
//!   `Task-N`; a later `set_name` does not change it), `task.id` and `task.parent_id`
//!   (the id of the task current on the creating thread, absent when created from
//!   outside a task). It has no tracing parent (`parent: None`): a task outlives its
//!   creator as often as not, and a child span would keep the creator's span open in the
//!   subscriber; the parent task is the `task.parent_id` field. The span is **entered for
//!   every poll** (scheduled polls and the eager first step) and exited when the poll
//!   returns, so everything the task's code logs lands in it; it closes when the cell is
//!   freed. Callbacks (`call_soon`, `call_later`) get no span.
//! * **Events** (level DEBUG, each with the task's span as its explicit parent and a
//!   `task.id` field, so they are attributed even when the TRACE span is filtered out):
//!   * `cancel` (target `asyncio::task`): a counted `cancel(msg)` request (also each one
//!     forwarded down an await chain), with `cancel.message` (absent for `None`) and
//!     `cancelling` (the request count after it). A `cancel()` refused because the task
//!     is done emits nothing.
//!   * `uncancel`: with `cancelling`, the count after it.
//!   * `completed`: with `outcome` = `value` | `cancelled` | `exception` | `panic`, and for
//!     the last three `outcome.message` (the cancellation's message, if any; the error's
//!     `Display` or the panic's text).
//!   * `runtime started` (target `asyncio::runtime`, with `workers`) when a runtime is
//!     built, and `runtime stopped` when it has shut down (its workers gone, every task
//!     cancelled and freed that could be).
//!
//! ## Cost
//! With the feature **off**, [`TaskSpan`] is a zero-sized type and every function here is
//! an empty `#[inline(always)]` body: call sites stay as they are and compile to nothing,
//! the task cell does not grow and no `tracing` code is linked.
//!
//! With the feature **on**, each task cell (and callback cell, holding `Span::none()`)
//! holds a `tracing::Span` (40 bytes on 64-bit targets) right after its 64-byte header:
//! the header itself does not change, and the type-erased code reaches the span through
//! the cell's vtable. Creating the span and entering it per poll cost one
//! callsite-interest check each while no subscriber wants TRACE spans of `asyncio::task`
//! (the fields, the task name and parent included, are only computed when one does);
//! with a subscriber, its own `new_span`/`enter`/`exit` run per task and per poll. A
//! counted `cancel(msg)` clones the message's `Arc` for its event (emitted after the
//! task's lock is released, since a subscriber may call into the task).

use crate::loom::StdArc;
use crate::task::core::{AsyncioFields, Kind};
#[cfg(feature = "tracing")]
use crate::task::error::TaskError;

/// A task's span (a ZST without the `tracing` feature).
pub(crate) struct TaskSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

// Without the feature a task cell holds no span at all.
#[cfg(not(feature = "tracing"))]
const _: () = assert!(std::mem::size_of::<TaskSpan>() == 0);

/// The span entered for one poll, exited on drop (a ZST without the feature).
pub(crate) struct Entered<'a> {
    #[cfg(feature = "tracing")]
    _entered: tracing::span::Entered<'a>,
    #[cfg(not(feature = "tracing"))]
    _span: std::marker::PhantomData<&'a TaskSpan>,
}

/// The task's display name for the span field: built only if the span is enabled.
#[cfg(feature = "tracing")]
struct TaskName<'a> {
    id: u64,
    name: Option<&'a str>,
}

#[cfg(feature = "tracing")]
impl std::fmt::Display for TaskName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name {
            Some(name) => f.write_str(name),
            None => write!(f, "Task-{}", self.id),
        }
    }
}

impl TaskSpan {
    /// No span (callbacks; and every cell without the feature).
    pub(crate) const NONE: TaskSpan = TaskSpan {
        #[cfg(feature = "tracing")]
        span: tracing::Span::none(),
    };

    /// The span of a new cell `id` of kind `kind` with the asyncio fields `fields` (its
    /// name), created on this thread: the current task, if any, is its parent. No span
    /// for a callback.
    #[cfg_attr(not(feature = "tracing"), inline(always))]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn new_cell(kind: Kind, id: u64, fields: &AsyncioFields) -> TaskSpan {
        #[cfg(feature = "tracing")]
        {
            if kind == Kind::Callback {
                return TaskSpan::NONE;
            }
            // The field values are evaluated only if the span is enabled.
            TaskSpan {
                span: tracing::trace_span!(
                    target: "asyncio::task",
                    parent: None,
                    "task",
                    task.name = %TaskName {
                        id,
                        name: fields
                            .name_and_completion
                            .as_ref()
                            .and_then(|n| n.name.as_deref()),
                    },
                    task.id = id,
                    task.parent_id = crate::task::current::current_raw().map(|t| t.header().id),
                ),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            TaskSpan {}
        }
    }

    /// Enters the span for one poll.
    #[cfg_attr(not(feature = "tracing"), inline(always))]
    pub(crate) fn enter(&self) -> Entered<'_> {
        Entered {
            #[cfg(feature = "tracing")]
            _entered: self.span.enter(),
            #[cfg(not(feature = "tracing"))]
            _span: std::marker::PhantomData,
        }
    }
}

impl Entered<'_> {
    /// Leaves the span (as dropping the guard would).
    #[cfg_attr(not(feature = "tracing"), inline(always))]
    pub(crate) fn exit(self) {}
}

/// A counted `cancel(msg)` request, taken under the task's lock and emitted after it
/// (a subscriber may call into the task). Zero-sized without the feature; with it, it
/// holds a ref to the message.
pub(crate) struct CancelEvent {
    #[cfg(feature = "tracing")]
    message: Option<StdArc<str>>,
    #[cfg(feature = "tracing")]
    cancelling: u32,
}

impl CancelEvent {
    /// The request with message `message`, making the count `cancelling`.
    #[cfg_attr(not(feature = "tracing"), inline(always))]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn new(message: Option<&StdArc<str>>, cancelling: u32) -> CancelEvent {
        CancelEvent {
            #[cfg(feature = "tracing")]
            message: message.cloned(),
            #[cfg(feature = "tracing")]
            cancelling,
        }
    }

    /// Emits it for task `id`.
    #[cfg_attr(not(feature = "tracing"), inline(always))]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn emit(self, span: &TaskSpan, id: u64) {
        #[cfg(feature = "tracing")]
        tracing::event!(
            target: "asyncio::task",
            parent: &span.span,
            tracing::Level::DEBUG,
            task.id = id,
            cancel.message = self.message.as_deref(),
            cancelling = self.cancelling,
            "cancel"
        );
    }
}

/// `uncancel()` on task `id`, leaving `cancelling` requests.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn task_uncancel(span: &TaskSpan, id: u64, cancelling: u32) {
    #[cfg(feature = "tracing")]
    tracing::event!(
        target: "asyncio::task",
        parent: &span.span,
        tracing::Level::DEBUG,
        task.id = id,
        cancelling,
        "uncancel"
    );
}

/// How a task ended, for [`task_completed`].
pub(crate) enum Completion<'a> {
    /// It returned a value.
    Value,
    /// It ended with an error (cancelled, raised, panicked).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    Error(&'a crate::task::error::TaskError),
}

/// Task `id` completed.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn task_completed(span: &TaskSpan, id: u64, how: Completion<'_>) {
    #[cfg(feature = "tracing")]
    {
        let span = &span.span;
        macro_rules! completed {
            ($outcome:expr $(, $message:expr)?) => {
                tracing::event!(
                    target: "asyncio::task",
                    parent: span,
                    tracing::Level::DEBUG,
                    task.id = id,
                    outcome = $outcome,
                    $(outcome.message = $message,)?
                    "completed"
                )
            };
        }
        match how {
            Completion::Value => completed!("value"),
            Completion::Error(TaskError::Cancelled(c)) => completed!("cancelled", c.message()),
            // The error's `Display`, formatted only if the event is enabled.
            Completion::Error(TaskError::Exception(e)) => {
                completed!("exception", tracing::field::display(e))
            }
            Completion::Error(TaskError::Panicked(p)) => completed!("panic", p.message()),
        }
    }
}

/// A runtime with `workers` workers was built.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn runtime_started(workers: usize) {
    #[cfg(feature = "tracing")]
    tracing::debug!(target: "asyncio::runtime", workers, "runtime started");
}

/// A runtime shut down.
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn runtime_stopped() {
    #[cfg(feature = "tracing")]
    tracing::debug!(target: "asyncio::runtime", "runtime stopped");
}
