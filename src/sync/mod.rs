//! asyncio's synchronization primitives and queues (CPython 3.13 `locks.py`,
//! `queues.py`), shared between all workers at once.
//!
//! [`Event`], [`Lock`], [`Semaphore`], [`BoundedSemaphore`], [`Condition`], [`Barrier`];
//! [`Queue`], [`LifoQueue`], [`PriorityQueue`] with 3.13's `shutdown`.
//!
//! ## Common design
//! * Each primitive keeps its whole state behind **one** facade mutex
//!   ([`crate::loom::Mutex`], so the loom models see it). Waiters are FIFO lists of
//!   wakers with per-waiter state (`waiters.rs`): waiting, woken, or cancelled — the
//!   three states of asyncio's waiter futures — and the algorithms are CPython's, step by
//!   step, so `Builder::worker_threads(1)` reproduces asyncio's ordering.
//! * **Cancellation** (docs/design.md §4.2). Every await point (`acquire`, `wait`, `get`, `put`,
//!   `join`, ...) delivers a pending cancellation of the awaiting task first, and a task
//!   suspended in one has its `cancel()` forwarded to its wait entry (as asyncio cancels
//!   the waiter future). A cancelled waiter gets `CancelledError` and **loses nothing**:
//!   a grant made to it before it observed it (a lock wake-up, a semaphore permit, a
//!   queue or condition notification) is passed to the next waiter or given back, and
//!   the same happens when a wait future is dropped. Queue items are never handed to a
//!   waiter, so no item can be lost with one.
//! * **Fairness**: FIFO wake-ups, and no barging: a fast path is taken only if nobody is
//!   waiting (a woken-but-not-yet-run waiter counts), as in asyncio.
//! * **Guards**: `Lock::acquire` / `Semaphore::acquire` resolve to RAII guards
//!   ([`LockGuard`], [`SemaphorePermit`]) that release on drop; `acquire_owned` on an
//!   `Arc` gives `'static` guards. asyncio-style manual `release()` exists too and returns
//!   an error value on misuse (never panics).
//! * Errors are asyncio's exceptions as values: [`QueueEmpty`], [`QueueFull`],
//!   [`QueueShutDown`], [`BrokenBarrierError`], [`ValueError`] (`task_done()` too many
//!   times, `BoundedSemaphore` over-release), and [`RuntimeError`](crate::RuntimeError)
//!   (releasing an unlocked lock, waiting on / notifying an un-acquired condition).
//! * Each primitive's state is in a `std::sync::Arc` (not the facade's): a suspended
//!   waiter registers a handle to its entry as its task's cancel target, and that
//!   contract (`task::cancel::waiter::CancelWaiter`) takes a `std` `Arc`; loom still sees every
//!   access, since the state itself is behind the facade mutex.
//!
//! ## Decisions where asyncio has no answer or cannot be copied
//! * A cancel request pending since the task's step began is delivered by the first of
//!   these await points the step reaches, even one that would not suspend (`acquire()` of
//!   a free lock, `get()` of a non-empty queue); asyncio throws it in where the coroutine
//!   resumes, before it gets there. The two differ only when the task resumed from a
//!   future foreign to the runtime (no await point of ours could deliver it there), or
//!   under a zero-timeout `wait_for`, which arms its request for the body's first await
//!   point so that the operation never starts (as asyncio's, which never starts the
//!   coroutine). For `Condition::wait` this means: such a task gets the cancellation at
//!   once and keeps the lock. A request made *during* the step (the task cancelling
//!   itself) is left alone by an await point that does not suspend, as in asyncio
//!   (`tests/locks.rs`, `test_cancel_current_task_free_lock_and_ready_get_do_not_raise`).
//! * Cancelled wait entries are skipped by wake-ups (asyncio's `Lock._wake_up_first`
//!   looks at the literal head and leaves it to the cancelled task to wake the next one
//!   when it runs): the next waiter is woken directly. The order in which tasks run is
//!   the same in every CPython test ported here.
//! * A queue `put` that fails gives the item back ([`PutError`]); a dropped `wait()` of a
//!   [`Condition`] cannot re-acquire the lock (no await in a destructor), see there.
//! * The primitives hand a value (a grant, an item) to the waiting *future*; if a
//!   `cancel()` was pending when the task's last step began and that step completes the
//!   task without delivering it, the task ends cancelled and its output is dropped
//!   (asyncio's rule for a request still pending at completion, docs/design.md §4.2; a
//!   request made from another thread *during* that step is ordered after it, and the
//!   task keeps its output). Code that must not lose an item should act on it inside the
//!   task (as the stress test does), not only return it.

pub(crate) mod barrier;
pub(crate) mod condition;
pub(crate) mod event;
pub(crate) mod lock;
pub(crate) mod queue;
pub(crate) mod semaphore;
#[cfg(all(test, loom))]
mod tests;
pub(crate) mod waiters;

use std::fmt;

/// Writes asyncio's repr of a primitive: `<Name [state]>`, with `, waiters:N` added while
/// tasks wait (as `asyncio.locks` does).
pub(crate) fn write_repr(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    state: &str,
    waiters: usize,
) -> fmt::Result {
    if waiters > 0 {
        write!(f, "<{name} [{state}, waiters:{waiters}]>")
    } else {
        write!(f, "<{name} [{state}]>")
    }
}

pub use barrier::{Barrier, BarrierError};
pub use condition::{Condition, ConditionError, ConditionWait};
pub use event::{Event, EventWait};
pub use lock::{Acquire, AcquireOwned, Lock, LockGuard, OwnedLockGuard};
pub use queue::{Get, GetError, Join, LifoQueue, PriorityQueue, Put, PutError, Queue};
pub use semaphore::{
    BoundedSemaphore, OwnedSemaphorePermit, Semaphore, SemaphoreAcquire, SemaphoreAcquireOwned,
    SemaphorePermit,
};

macro_rules! unit_error {
    ($(#[$doc:meta])* $name:ident, $msg:literal, $example:literal) => {
        $(#[$doc])*
        ///
        /// ```
        #[doc = $example]
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name {
            _private: (),
        }

        impl $name {
            pub(crate) const fn new() -> Self {
                $name { _private: () }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }

        impl std::error::Error for $name {}
    };
}

unit_error!(
    /// `get_nowait()` on an empty queue (asyncio's `asyncio.QueueEmpty`).
    QueueEmpty,
    "QueueEmpty",
    "let q = asyncio::Queue::<u8>::new(0);\nassert!(matches!(q.get_nowait(), Err(asyncio::GetError::Empty(_))));"
);

unit_error!(
    /// `put_nowait()` on a full queue (asyncio's `asyncio.QueueFull`).
    QueueFull,
    "QueueFull",
    "let q = asyncio::Queue::new(1);\nq.put_nowait(1).unwrap();\nassert!(matches!(q.put_nowait(2), Err(asyncio::PutError::Full(_, 2))));"
);

unit_error!(
    /// A put or get on a shut-down queue (asyncio's `asyncio.QueueShutDown`, 3.13).
    QueueShutDown,
    "QueueShutDown",
    "let q = asyncio::Queue::<u8>::new(0);\nq.shutdown(false);\nassert!(matches!(q.get_nowait(), Err(asyncio::GetError::ShutDown(_))));"
);

/// A barrier was aborted or reset while (or before) waiting on it (asyncio's
/// `asyncio.BrokenBarrierError`).
///
/// ```
/// asyncio::run(async {
///     let b = asyncio::Barrier::new(2);
///     b.abort().await.unwrap();
///     match b.wait().await {
///         Err(asyncio::BarrierError::Broken(e)) => assert_eq!(e.to_string(), "Barrier aborted"),
///         other => panic!("{other:?}"),
///     }
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenBarrierError {
    what: &'static str,
}

impl BrokenBarrierError {
    pub(crate) const fn new(what: &'static str) -> Self {
        BrokenBarrierError { what }
    }
}

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

impl std::error::Error for BrokenBarrierError {}

/// An argument or call count was out of range (asyncio's `ValueError`):
/// `task_done()` called too many times, a `BoundedSemaphore` released too many times, a
/// `Barrier` of 0 parties.
///
/// ```
/// let q = asyncio::Queue::<u8>::new(0);
/// let err = q.task_done().unwrap_err();
/// assert_eq!(err.to_string(), "task_done() called too many times");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    what: &'static str,
}

impl ValueError {
    pub(crate) const fn new(what: &'static str) -> Self {
        ValueError { what }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

impl std::error::Error for ValueError {}
