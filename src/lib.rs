//! # asyncio for Rust
//!
//! A multi-threaded, work-stealing async runtime whose task model is Python's asyncio:
//! tasks that can be cancelled **with a message**, that can start **eagerly**, that are
//! tracked in a **scheduled + eager registry** so [`all_tasks`] and [`current_task`] work
//! from any thread, and cross-thread submission ([`run_coroutine_threadsafe`]) through the
//! scheduler's own injection queue.
//!
//! ```
//! use std::time::Duration;
//!
//! let out = asyncio::run(async {
//!     let a = asyncio::create_task(async {
//!         asyncio::sleep(Duration::from_millis(5)).await?;
//!         Ok::<_, asyncio::CancelledError>(1)
//!     });
//!     let b = asyncio::create_task(async {
//!         asyncio::sleep(Duration::from_secs(3600)).await?;
//!         Ok::<_, asyncio::CancelledError>(2)
//!     });
//!     b.cancel(Some("no longer needed"));
//!     let a = a.await.unwrap();
//!     let b = b.await.unwrap_err();
//!     (a, b.as_cancelled().unwrap().message().map(str::to_owned))
//! });
//! assert_eq!(out, (1, Some("no longer needed".to_owned())));
//! ```
//!
//! ## How it maps to asyncio
//! * [`create_task`] schedules a [`Task<T>`]; awaiting it yields `Result<T, TaskError>`
//!   where [`TaskError`] is a [`CancelledError`], a caught panic or a raised error.
//! * `raise` is `Err`: a task whose output is `Result<T, E>` is a `Task<T>` whose `Err` is
//!   its exception ([`Exception`], downcast back to `E`), for every function alike; other
//!   outputs are plain values ([`TaskOutput`]).
//! * A panic in a task is its exception; a panic in user code the runtime itself calls
//!   (a waker, a destructor, a callback) goes to the exception handler and never takes a
//!   worker down ([`UnhandledPanic`] chooses tokio's shut-down-on-panic instead).
//! * [`TaskRef::cancel`] is `Task.cancel(msg)`: it is delivered at the task's next
//!   runtime-aware await point ([`sleep`], awaiting a task, [`checkpoint`], ...) as
//!   `Err(CancelledError)`. Propagate it (`?`) and the task ends cancelled; drop it and
//!   the task carries on, as when asyncio code catches `CancelledError`.
//! * [`ContextVar`] and [`copy_context`] are Python's `contextvars`: every task runs in a
//!   copy of its creator's context (or a given [`contextvars::Context`]), callbacks in the
//!   context they were registered in.
//! * `Builder::worker_threads(1)` is the deterministic mode: tasks and callbacks run in
//!   asyncio's FIFO order.
//! * [`capture_call_graph`], [`print_call_graph`] and [`Handle::task_tree`] are Python
//!   3.14's call graph and `python -m asyncio pstree`: who awaits whom, with the line of
//!   each await, from any thread while the runtime runs.
//!
//! ## Cargo features
//! * `macros` (default): [`main`] and [`test`], `#[asyncio::main]` / `#[asyncio::test]`.
//! * `tracing`: a `tracing` span per task (`task.name`, `task.id`, `task.parent_id`)
//!   entered on every poll, and events for `cancel(msg)`, `uncancel`, completion with its
//!   outcome, runtime start and stop; nothing is compiled in without it. The example
//!   `examples/trace_tasks.rs` prints them with a small subscriber:
//!   `cargo run --example trace_tasks --features tracing`.
//! * `tokio-io`: tokio's `AsyncRead`/`AsyncWrite` on the streams (traits only, no tokio
//!   runtime), for tokio-trait libraries such as hyper through `hyper-util`.
//!
//! Compiled with `RUSTFLAGS="--cfg loom"`, the crate runs on loom's primitives and offers
//! `asyncio::testing`, to model-check your own programs (docs/testing-under-loom.md).
//!
//! ## Structure
//! Layers, each using only those below it:
//! 1. `loom.rs`: the sync facade (std / crossbeam / parking_lot, or loom under
//!    `cfg(loom)`): the only place that names a synchronisation primitive.
//! 2. `task/` (the cell, state word, harness, handles, cancellation, registries),
//!    `runtime/` (scheduler, timers, callbacks, blocking pool, shutdown) and `io/` (the
//!    reactor polled from the workers' park, readiness records): the core, which depend
//!    on each other as tokio's `task`, `scheduler` and `io` drivers do. `trace.rs` is
//!    their `tracing` instrumentation (feature `tracing`; empty inline functions
//!    without it).
//! 3. `future.rs`, `sync/`, `compose/` (gather, wait, shield, as_completed, timeouts,
//!    TaskGroup), `net/` (sockets), `streams/` (asyncio's streams API) and `signal.rs`:
//!    asyncio's library, on the core.
//! 4. `runner.rs` (`run`, `Runner`) and `threadsafe.rs` (`run_coroutine_threadsafe`):
//!    entry points, on everything else; `testing/` (only under `cfg(loom)`):
//!    `asyncio::testing::model`, which runs a user's program on the whole runtime inside
//!    `loom::model` (docs/testing-under-loom.md).
//!
//! The design and the semantics reference are in the repository's `docs/design.md`.

#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub(crate) mod compose;
pub mod contextvars;
pub(crate) mod future;
pub(crate) mod io;
pub(crate) mod loom;
#[cfg(not(loom))]
pub mod net;
pub(crate) mod runner;
pub(crate) mod runtime;
#[cfg(not(loom))]
pub mod signal;
#[cfg(not(loom))]
pub mod streams;
pub(crate) mod sync;
pub(crate) mod task;
#[doc(hidden)]
pub mod test_util;
#[cfg(loom)]
pub mod testing;
pub(crate) mod threadsafe;
pub(crate) mod trace;

/// Helpers of the loom models, which live next to the code they check (`*/tests/loom_*.rs`).
#[cfg(all(test, loom))]
mod loom_model;
/// Loom models of `future.rs` and `threadsafe.rs`.
#[cfg(all(test, loom))]
mod tests;

use std::time::Duration;

/// `#[asyncio::main]`, `#[asyncio::test]`: an `async fn` run as `asyncio::run` runs it
/// (the `asyncio-macros` crate, feature `macros`, on by default).
#[cfg(feature = "macros")]
pub use asyncio_macros::{main, test};
pub use compose::as_completed::{as_completed, AsCompleted, AsCompletedError, Next, NextTask};
pub use compose::awaitable::{Awaitable, AwaitableKind, IntoAwaited, WaitItem};
pub use compose::gather::{
    gather, gather2, gather3, gather4, gather5, gather6, gather7, gather8, Gather, GatherAll,
    GatherChildren, Tuple2, Tuple3, Tuple4, Tuple5, Tuple6, Tuple7, Tuple8, VecOf,
};
pub use compose::shield::{shield, Shield};
pub use compose::taskgroup::{ExceptionGroup, TaskGroup, TaskGroupError};
pub use compose::timeouts::{timeout, timeout_at, wait_for, Timeout, TimeoutHandle, TimeoutScope};
pub use compose::wait::{
    wait, ReturnWhen, Wait, WaitError, ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION,
};
pub use compose::{ensure_future, sleep_with};
pub use contextvars::{copy_context, ContextVar};
pub use future::{Future, FutureWait};
pub use runner::{run, Runner};
pub use runtime::blocking::{to_thread, ToThread};
pub use runtime::callbacks::{CallbackHandle, TimerHandle};
pub use runtime::exception::{ExceptionContext, UnhandledPanic};
pub use runtime::handle::{TaskFactory, EAGER_TASK_FACTORY};
pub use runtime::time::clock::IntoDeadline;
pub use runtime::time::sleep::{sleep, sleep_until, yield_now, Sleep};
pub use runtime::{get_running_loop, Builder, Handle, Runtime, RuntimeMetrics};
#[cfg(not(loom))]
pub use streams::{
    open_connection, open_unix_connection, start_server, start_unix_server, Server, StreamReader,
    StreamWriter,
};
pub use sync::{
    Acquire, AcquireOwned, Barrier, BarrierError, BoundedSemaphore, BrokenBarrierError, Condition,
    ConditionError, ConditionWait, Event, EventWait, Get, GetError, Join, LifoQueue, Lock,
    LockGuard, OwnedLockGuard, OwnedSemaphorePermit, PriorityQueue, Put, PutError, Queue,
    QueueEmpty, QueueFull, QueueShutDown, Semaphore, SemaphoreAcquire, SemaphoreAcquireOwned,
    SemaphorePermit, ValueError,
};
pub use task::builder::TaskBuilder;
pub use task::cancel::{checkpoint, CancelledError, Checkpoint};
pub use task::error::TimeoutError;
pub use task::error::{InvalidStateError, PanicError, RuntimeError, TaskError};
pub use task::exception::{Exception, IntoException};
pub use task::graph::{
    capture_call_graph, print_call_graph, AwaitedKind, Awaiting, CallGraph, ScopeKind, TaskNode,
    TaskScope, TaskStatus, TaskTree,
};
pub use task::handle::{TaskJoin, TaskJoinMut, WaitDone};
pub use task::hooks::CallbackId;
pub use task::output::{IntoOutcome, TaskOutput, Value};
pub use task::{Task, TaskId, TaskRef};
pub use threadsafe::{run_coroutine_threadsafe, ConcurrentError, ConcurrentFuture};

/// Creates a task on the running runtime (asyncio's `asyncio.create_task`).
///
/// The task is queued; it does not run before this returns (unless the runtime's task
/// factory is eager, see [`create_eager_task`]).
///
/// # Panics
/// Outside a runtime ("no running event loop"). From other threads use
/// [`Handle::create_task`] or [`run_coroutine_threadsafe`].
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::create_task(async { "hi" });
///     assert_eq!(t.await.unwrap(), "hi");
/// });
/// ```
pub fn create_task<F>(future: F) -> Task<<F::Output as IntoOutcome>::Value>
where
    F: std::future::Future + Send + 'static,
    F::Output: IntoOutcome,
{
    Handle::current_or_panic("asyncio::create_task").create_task(future)
}

/// Creates a task that runs its first step right now, inline, when called on a worker
/// (asyncio's `eager_start=True`). If it finishes in that step the returned task is
/// already done and was never queued.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::create_eager_task(async { 5 });
///     assert!(t.done());
///     assert_eq!(t.await.unwrap(), 5);
/// });
/// ```
pub fn create_eager_task<F>(future: F) -> Task<<F::Output as IntoOutcome>::Value>
where
    F: std::future::Future + Send + 'static,
    F::Output: IntoOutcome,
{
    Task::builder().eager_start(true).create_task(future)
}

/// The task whose step is running on this thread (asyncio's `current_task()`); `None` in
/// callbacks and outside the runtime.
///
/// ```
/// asyncio::run(async {
///     let me = asyncio::current_task().unwrap();
///     let child = asyncio::create_task(async { asyncio::current_task().unwrap() });
///     let seen = child.await.unwrap();
///     assert_ne!(seen, me);
/// });
/// assert!(asyncio::current_task().is_none());
/// ```
pub fn current_task() -> Option<TaskRef> {
    task::current::current_raw().map(TaskRef::clone_from_raw)
}

/// Every task of the running runtime that is not done (asyncio's `all_tasks()`).
///
/// Reads the eager registry, then the scheduled one, without stopping the world: a task
/// alive for the whole call is listed exactly once; one created or finished during the
/// call may or may not be. From other threads use [`Handle::all_tasks`].
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::create_task(asyncio::sleep(std::time::Duration::from_secs(60)));
///     assert!(asyncio::all_tasks().contains(&t));
///     t.cancel(None);
/// });
/// ```
pub fn all_tasks() -> Vec<TaskRef> {
    Handle::current_or_panic("asyncio::all_tasks").all_tasks()
}

/// Schedules `f` on the running runtime (asyncio's `loop.call_soon`).
///
/// # Panics
/// Outside a runtime (use [`Handle::call_soon_threadsafe`]).
///
/// ```
/// asyncio::run(async {
///     let (tx, rx) = std::sync::mpsc::channel();
///     asyncio::call_soon(move || tx.send("called").unwrap());
///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
///     assert_eq!(rx.recv().unwrap(), "called");
/// });
/// ```
pub fn call_soon<F>(f: F) -> CallbackHandle
where
    F: FnOnce() + Send + 'static,
{
    Handle::current_or_panic("asyncio::call_soon").call_soon(f)
}

/// Schedules `f` after `delay` (asyncio's `loop.call_later`).
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let (tx, rx) = std::sync::mpsc::channel();
///     asyncio::call_later(Duration::from_millis(2), move || tx.send(()).unwrap());
///     asyncio::sleep(Duration::from_millis(20)).await.unwrap();
///     assert!(rx.try_recv().is_ok());
/// });
/// ```
pub fn call_later<F>(delay: Duration, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    Handle::current_or_panic("asyncio::call_later").call_later(delay, f)
}

/// Schedules `f` at `when` (asyncio's `loop.call_at`): an `Instant` or seconds on the
/// [`time`] scale.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// asyncio::run(async {
///     let h = asyncio::call_at(asyncio::time() + 0.001, || {});
///     assert!(h.when() > 0.0);
/// });
/// ```
pub fn call_at<F>(when: impl IntoDeadline, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    Handle::current_or_panic("asyncio::call_at").call_at(when, f)
}

/// The runtime clock in seconds (asyncio's `loop.time()`): monotonic, shared by every
/// runtime of the process. Callable anywhere.
///
/// ```
/// let a = asyncio::time();
/// let b = asyncio::time();
/// assert!(b >= a);
/// ```
pub fn time() -> f64 {
    runtime::time::clock::seconds_now()
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
