//! What asyncio's functions accept: an *awaitable* (a task, a future, or a coroutine).
//!
//! asyncio tells a coroutine from a future: `ensure_future(task)` is that task,
//! `ensure_future(fut)` that future, `ensure_future(coro)` a new task running the
//! coroutine; `gather`, `shield`, `as_completed`, `wait_for` (and `wait`, [`WaitItem`])
//! take all three. Here:
//!
//! | awaitable | is | `ensure_future` gives |
//! |---|---|---|
//! | [`Task<T>`] | a future (`IntoFuture`, not `Future`) | the same task |
//! | [`asyncio::Future<T>`](crate::Future) | a future (`IntoFuture`, not `Future`) | the same future |
//! | any `std::future::Future` (an `async` block, `sleep`, a `Gather`, ...) | a coroutine | a new task running it |
//!
//! This is why a task and an `asyncio::Future` are `IntoFuture` rather than `Future`:
//! stable Rust picks the impl by type, and "every `Future`" must not include them
//! (`task.await` reads as before). A composition function keeps what it is given (a task
//! as it is; pass `task.clone()` to keep a handle, see `Task`'s `Clone`).

use std::future::Future;

use crate::future::Future as AsyncioFuture;
use crate::runtime::Handle;
use crate::task::output::IntoOutcome;
use crate::task::{Task, TaskRef};

/// How an awaitable is awaited (asyncio's coroutine / future distinction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwaitableKind {
    /// A plain Rust future: asyncio's coroutine, wrapped into a task when needed.
    Coroutine,
    /// A [`Task`].
    Task,
    /// An [`asyncio::Future`](crate::Future).
    Future,
}

/// A task, an `asyncio::Future` or a plain future: what asyncio's `gather`, `shield`,
/// `as_completed`, `wait_for` and `ensure_future` accept (see the module docs).
///
/// Wrapping a plain future or an `asyncio::Future` into a task needs a running runtime:
/// outside one, those calls panic as [`create_task`](crate::create_task) does.
///
/// ```
/// asyncio::run(async {
///     let task = asyncio::create_task(async { 1 });
///     let fut = asyncio::Future::<i32>::new();
///     fut.set_result(2).unwrap();
///     let (a, b, c) = asyncio::gather3(task, fut, async { 3 }).await.unwrap();
///     assert_eq!(a + b + c, 6);
/// });
/// ```
pub trait Awaitable: Send + 'static {
    /// What it gives when it does not raise.
    type Value: Send + 'static;
    /// What [`ensure_future`](crate::ensure_future) returns: the task or future itself, or a
    /// new task for a plain future.
    type Ensured;

    /// Which kind of awaitable this is.
    const KIND: AwaitableKind;

    /// asyncio's `ensure_future`.
    fn ensure_future(self) -> Self::Ensured;

    /// As a task the composition functions can watch: the task itself; a new task that
    /// runs a plain future, or that awaits an `asyncio::Future` (cancelling that task
    /// cancels the future, as asyncio's `gather` cancels a future child).
    #[doc(hidden)]
    fn into_task(self) -> Task<Self::Value>;
}

impl<T: Send + 'static> Awaitable for Task<T> {
    type Value = T;
    type Ensured = Task<T>;
    const KIND: AwaitableKind = AwaitableKind::Task;

    fn ensure_future(self) -> Task<T> {
        self
    }

    fn into_task(self) -> Task<T> {
        self
    }
}

impl<T: Clone + Send + Sync + 'static> Awaitable for AsyncioFuture<T> {
    type Value = T;
    type Ensured = AsyncioFuture<T>;
    const KIND: AwaitableKind = AwaitableKind::Future;

    fn ensure_future(self) -> AsyncioFuture<T> {
        self
    }

    fn into_task(self) -> Task<T> {
        let handle = Handle::current_or_panic("awaiting an asyncio::Future as a task");
        handle.create_task(async move { self.await })
    }
}

impl<F> Awaitable for F
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    type Value = <F::Output as IntoOutcome>::Value;
    type Ensured = Task<Self::Value>;
    const KIND: AwaitableKind = AwaitableKind::Coroutine;

    fn ensure_future(self) -> Self::Ensured {
        Handle::current_or_panic("asyncio::ensure_future").create_task(self)
    }

    fn into_task(self) -> Task<Self::Value> {
        Handle::current_or_panic("asyncio: wrapping a coroutine into a task").create_task(self)
    }
}

/// What [`wait_for`](crate::wait_for) and [`Timeout::run`](crate::Timeout::run) await:
/// a task or an `asyncio::Future` through its `IntoFuture`, a plain future as it is (in
/// the awaiting task, not wrapped: it may borrow). The kind tells `wait_for` with a zero
/// timeout whether there is a coroutine it must not start.
pub trait IntoAwaited {
    /// The future awaited.
    type Future: Future;
    /// Which kind of awaitable this is.
    const KIND: AwaitableKind;
    /// The future to await. `#[track_caller]`: awaiting a task or a `Future` records
    /// where the caller's caller (`wait_for(..)`) was, for the call graph.
    #[track_caller]
    fn into_awaited(self) -> Self::Future;
}

impl<F: Future> IntoAwaited for F {
    type Future = F;
    const KIND: AwaitableKind = AwaitableKind::Coroutine;
    #[track_caller]
    fn into_awaited(self) -> F {
        self
    }
}

impl<T> IntoAwaited for Task<T> {
    type Future = crate::task::handle::TaskJoin<T>;
    const KIND: AwaitableKind = AwaitableKind::Task;
    #[track_caller]
    fn into_awaited(self) -> Self::Future {
        std::future::IntoFuture::into_future(self)
    }
}

impl<T: Clone + Send + 'static> IntoAwaited for AsyncioFuture<T> {
    type Future = crate::future::FutureWait<T>;
    const KIND: AwaitableKind = AwaitableKind::Future;
    #[track_caller]
    fn into_awaited(self) -> Self::Future {
        std::future::IntoFuture::into_future(self)
    }
}

/// What [`wait`](crate::wait) accepts: a [`TaskRef`], a [`Task`], an `asyncio::Future`, or a
/// plain future (wrapped into a task, as `ensure_future` does; asyncio 3.11+ refuses a
/// coroutine here, see docs/asyncio-differences.md). `wait` gives the items back in its
/// `(done, pending)` vectors: the task or future itself, the new task for a plain future.
pub trait WaitItem {
    /// What `wait` gives back for it.
    type Out;

    /// The task to watch, and what to give back.
    #[doc(hidden)]
    fn into_wait_item(self) -> (TaskRef, Self::Out);
}

impl WaitItem for TaskRef {
    type Out = TaskRef;
    fn into_wait_item(self) -> (TaskRef, TaskRef) {
        (self.clone(), self)
    }
}

impl<T> WaitItem for Task<T> {
    type Out = Task<T>;
    fn into_wait_item(self) -> (TaskRef, Task<T>) {
        (self.task_ref(), self)
    }
}

impl<T: Clone + Send + Sync + 'static> WaitItem for AsyncioFuture<T> {
    type Out = AsyncioFuture<T>;
    /// Watched through a task that awaits it (detached: it ends with the future, or is
    /// cancelled with the runtime).
    fn into_wait_item(self) -> (TaskRef, AsyncioFuture<T>) {
        let watcher = self.clone().into_task();
        (watcher.task_ref(), self)
    }
}

impl<F> WaitItem for F
where
    F: Future + Send + 'static,
    F::Output: IntoOutcome,
{
    type Out = Task<<F::Output as IntoOutcome>::Value>;
    fn into_wait_item(self) -> (TaskRef, Self::Out) {
        let task = self.into_task();
        (task.task_ref(), task)
    }
}
