//! The task cell: what one allocation holds.
//!
//! ```text
//! Cell<F> (repr C, one Box)
//! +-------------------------------------+
//! | Header (64 bytes)                   |  state word, vtable, id, scheduler,
//! |                                     |  join waker, poll count, live tokens,
//! |                                     |  LazyFields: null, or a box holding
//! |                                     |  Mutex<AsyncioFields> (72 bytes)
//! +-------------------------------------+
//! | TaskSpan                            |  the task's `tracing` span (feature
//! |                                     |  `tracing`; zero-sized without it)
//! +-------------------------------------+
//! | Stage<F>: Running(F)                |  the future, replaced by
//! |         | Finished(Result<..>)      |  its outcome when done
//! |         | Consumed                  |
//! +-------------------------------------+
//! ```
//!
//! The hot path of a task (schedule, poll, complete, join) touches only the atomic state
//! word (`state.rs`) and the stage. What asyncio adds — the cancel message and request
//! count, the waiter a cancel is forwarded to, the name, done callbacks, the recorded
//! exception — lives in [`AsyncioFields`], behind one small lock that only those
//! operations take, in a box allocated the first time one of them writes
//! (`lazy_fields.rs`): a task that is never cancelled, named, awaited through a done
//! callback, and never awaits a runtime future (a task, a `Future`, a lock...) keeps a
//! null word instead, and the header is 64 bytes (printed by a test). Within the box,
//! the fields most tasks never use sit in a further lazily boxed [`NameAndCompletion`].
//!
//! Who may touch what is decided by the state word (see `state.rs`): the stage by the
//! RUNNING holder, then by the `Task<T>` handle (or the completing thread) after
//! COMPLETE; the join waker slot by the rule of JOIN_WAKER.

use std::future::Future;
use std::mem;
use std::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicU32;
use crate::loom::sync::Arc;
use crate::loom::MutexGuard;
use crate::loom::StdArc;
use crate::runtime::scheduler::Shared;
use crate::task::cancel::waiter::Waiter;
use crate::task::cancel::CancelState;
use crate::task::error::TaskError;
use crate::task::hooks::Hook;
use crate::task::lazy_fields::LazyFields;
use crate::task::output::IntoOutcome;
use crate::task::raw::Vtable;
use crate::task::state::State;
use crate::trace::TaskSpan;

/// What a cell runs: an asyncio task, or a callback scheduled with `call_soon`/`call_later`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A task: registered, has a name, is `current_task()` while it runs.
    Task,
    /// A callback (asyncio `Handle`): never registered, runs with no current task, a panic
    /// goes to the exception handler.
    Callback,
}

/// The fixed-size part of every cell.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    /// Process-wide unique id (also the `N` of the default name `Task-N`, for a task
    /// created without a name; a named task's id comes from a separate range, see
    /// `spawn.rs`).
    pub(crate) id: u64,
    /// The runtime the task belongs to.
    pub(crate) scheduler: Arc<Shared>,
    /// Waker of the `Task<T>` awaiting this task (protocol: JOIN_WAKER, see `state.rs`).
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
    /// Number of polls so far, never back to 0 once polled (see [`next_poll_count`]).
    /// Written only by the thread holding RUNNING; read by `cancel()` to tell a current
    /// waiter from a stale one.
    pub(crate) poll_count: AtomicU32,
    /// Tracked `CancelledError`s of this task that are alive (see `cancel/error.rs`).
    pub(crate) live_tokens: AtomicU32,
    /// asyncio-level fields, behind their own small lock, allocated on first use
    /// (`lazy_fields.rs`).
    pub(crate) asyncio: LazyFields,
}

impl Header {
    /// The asyncio fields, locked (allocated first if they were not), with a request
    /// counted in the state word (INLINE_REQUEST, see `state.rs`) folded into their count.
    /// Every reader and writer of the fields goes through here or
    /// [`fields_existing`](Self::fields_existing), so none sees a count without it.
    pub(crate) fn fields(&self) -> MutexGuard<'_, AsyncioFields> {
        let mut fields = self.asyncio.lock();
        self.fold_inline_request(&mut fields);
        fields
    }

    /// As [`fields`](Self::fields) if the fields were ever allocated; `None`: every field
    /// has its default value, except that one request may be counted in the state word
    /// ([`Header::cancelling`]).
    pub(crate) fn fields_existing(&self) -> Option<MutexGuard<'_, AsyncioFields>> {
        let mut fields = self.asyncio.lock_existing()?;
        self.fold_inline_request(&mut fields);
        Some(fields)
    }

    /// `cancelling()`: the requests in the fields, plus one counted in the state word.
    pub(crate) fn cancelling(&self) -> u32 {
        // The bit is read first: if the fields do not exist after, nobody folded it
        // in between (folding needs them), so the two readings agree.
        let inline = self.state.load().has_inline_request();
        match self.fields_existing() {
            Some(fields) => fields.cancel.requests,
            None => u32::from(inline),
        }
    }

    /// The latest cancellation message, without allocating the fields (a request counted
    /// in the state word has none).
    pub(crate) fn cancel_msg(&self) -> Option<StdArc<str>> {
        self.fields_existing().and_then(|f| f.cancel.msg.clone())
    }

    fn fold_inline_request(&self, fields: &mut AsyncioFields) {
        if self.state.load().has_inline_request() && self.state.take_inline_request() {
            fields.cancel.requests = fields.cancel.requests.saturating_add(1);
        }
    }
}

/// The poll count after one more poll. It wraps from `u32::MAX` to 1, not 0: a count of
/// 0 means "never polled" (a task cancelled then has its future dropped unpolled), and
/// that must not come back after 2^32 polls. Staleness checks only compare counts for
/// equality, so skipping 0 costs nothing.
pub(crate) fn next_poll_count(polls: u32) -> u32 {
    polls.checked_add(1).unwrap_or(1)
}

impl Header {
    /// The task's name (`get_name()`): the one given at creation or set later, else
    /// `Task-{id}`. Takes the small lock.
    pub(crate) fn name(&self) -> String {
        let fields = self.fields_existing();
        match fields
            .as_ref()
            .and_then(|f| f.name_and_completion.as_ref())
            .and_then(|r| r.name.as_deref())
        {
            Some(name) => name.to_owned(),
            None => format!("Task-{}", self.id),
        }
    }
}

/// The asyncio-level fields of a task (behind `Header::asyncio`).
#[derive(Default)]
pub(crate) struct AsyncioFields {
    /// Cancellation bookkeeping: message, request count, the waiter a cancel is
    /// forwarded to (see `cancel/`).
    pub(crate) cancel: CancelState,
    /// Allocated the first time one of them is needed.
    pub(crate) name_and_completion: Option<Box<NameAndCompletion>>,
}

/// The fields most tasks never touch: a user-set name, the exception the task ended with,
/// and the done callbacks / completion wakers.
#[derive(Default)]
pub(crate) struct NameAndCompletion {
    /// A name set by the user (default: `Task-{id}`, for a task created without a name:
    /// only its id is a `Task-N` number).
    pub(crate) name: Option<StdArc<str>>,
    /// The exception the task ended with (a `TaskError::Panicked` or
    /// `TaskError::Exception`), for the type-erased `exception()`.
    pub(crate) exception: Option<TaskError>,
    /// The exception was observed (awaited or asked for with `exception()`).
    pub(crate) exception_retrieved: bool,
    /// Done callbacks and completion wakers (see `hooks.rs`).
    pub(crate) hooks: Vec<Hook>,
    /// The message of the latest tracked `CancelledError` handed to the task while a
    /// cancel request was pending (the request keeps `CancelState::msg`): the one the task
    /// ends with if that token is still alive at completion (see `cancel/error.rs`).
    pub(crate) token_msg: Option<Option<StdArc<str>>>,
    /// The `Task<T>` handles beyond the first, once one was cloned (SHARED_OUTPUT, see
    /// `handle.rs`): the last handle to go releases JOIN_INTEREST.
    pub(crate) extra_join_handles: u32,
    /// Clones the stored outcome (set by the first clone of a handle, where `T: Clone`
    /// is known): `src` is the stage's `Result<T, TaskError>`, `dst` an uninitialised
    /// one of the same type.
    pub(crate) clone_output: Option<CloneOutput>,
}

/// See [`NameAndCompletion::clone_output`].
pub(crate) type CloneOutput = unsafe fn(src: *const (), dst: *mut ());

impl AsyncioFields {
    /// The fields of a new task, named `name` if given (`Task-N` otherwise).
    #[inline]
    pub(crate) fn with_name(name: Option<StdArc<str>>) -> AsyncioFields {
        AsyncioFields {
            cancel: CancelState::default(),
            name_and_completion: name.map(|name| {
                Box::new(NameAndCompletion {
                    name: Some(name),
                    ..NameAndCompletion::default()
                })
            }),
        }
    }

    /// Takes out what holds user values (done callbacks, the recorded panic's payload,
    /// the name, the waiter registration), for the cell's last owner to drop under a
    /// guard. `None` when there is nothing (the common case).
    pub(crate) fn take_user_values(
        &mut self,
    ) -> Option<(Option<Box<NameAndCompletion>>, Option<Waiter>)> {
        let details = self.name_and_completion.take();
        let waiter = self.cancel.waiter.take();
        if details.is_none() && waiter.is_none() {
            None
        } else {
            Some((details, waiter))
        }
    }

    /// The lazily boxed fields, allocated on first use.
    pub(crate) fn name_and_completion(&mut self) -> &mut NameAndCompletion {
        self.name_and_completion
            .get_or_insert_with(Default::default)
    }
}

/// What a finished task holds: its result, or how it failed (see `output.rs`).
pub(crate) type TaskOutcome<F> = Result<<<F as Future>::Output as IntoOutcome>::Value, TaskError>;

/// Where the future is in its life.
pub(crate) enum Stage<F: Future>
where
    F::Output: IntoOutcome,
{
    Running(F),
    Finished(TaskOutcome<F>),
    Consumed,
}

/// One task allocation: the header, then the stage.
#[repr(C)]
pub(crate) struct Cell<F: Future>
where
    F::Output: IntoOutcome,
{
    pub(crate) header: Header,
    /// The task's span (`trace.rs`): outside the header, which keeps its size with the
    /// feature on; a zero-sized type without it. Immutable after creation.
    pub(crate) trace: TaskSpan,
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

/// Size of the header, for the memory test and the bench.
pub(crate) const HEADER_SIZE: usize = mem::size_of::<Header>();

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use super::next_poll_count;

    #[test]
    fn poll_count_wraps_to_one() {
        assert_eq!(next_poll_count(0), 1);
        assert_eq!(next_poll_count(41), 42);
        assert_eq!(next_poll_count(u32::MAX), 1);
    }

    /// After 2^32 polls a task must not look "never polled": a cancel request would then
    /// drop its future unpolled instead of delivering the cancellation where it waits.
    #[test]
    fn a_task_polled_2_pow_32_times_still_receives_its_cancellation() {
        let rt = crate::Builder::new().worker_threads(1).build().unwrap();
        let out = rt.block_on(async {
            let go = std::sync::Arc::new(crate::Event::new());
            let g = go.clone();
            let t = crate::create_task(async move {
                g.wait().await.unwrap();
                match crate::sleep(Duration::from_secs(3600)).await {
                    Err(_) => "caught",
                    Ok(()) => "slept",
                }
            });
            crate::sleep(Duration::ZERO).await.unwrap();
            // Suspended on `go` after its first poll: pretend it was polled 2^32 - 1 times.
            t.header().poll_count.store(u32::MAX, Ordering::Relaxed);
            go.set();
            crate::sleep(Duration::ZERO).await.unwrap();
            // Now suspended in `sleep`, after its 2^32-th poll.
            t.cancel(None);
            t.await.unwrap()
        });
        assert_eq!(out, "caught");
    }
}
