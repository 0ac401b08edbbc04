//! `TaskGroup`: structured concurrency (asyncio's `asyncio.TaskGroup`, 3.13 semantics).
//!
//! ```text
//! TaskGroup::run(|tg| async move { tg.create_task(..)?; ...; Ok(value) }).await
//!   body runs; children run concurrently
//!   first child failure (Err value or panic): cancel the other children and the
//!     parent task (the body sees CancelledError at its next await point), once
//!   body ends: if it failed, cancel the children; wait for every child
//!     (a cancellation of the parent while waiting cancels the children too)
//!   if the group cancelled its parent: parent.uncancel(); reaching 0 means the
//!     cancellation was ours, so it is not propagated
//!   result: Err(Cancelled) if a cancellation propagates and no child failed;
//!           Err(Failed(ExceptionGroup)) with every failure (children's, then the body's);
//!           Ok(value) otherwise
//! ```
//!
//! Decisions for Rust:
//! * "Exceptions" are panics and `Err` values: children and the body return
//!   `Result<_, E>`, and a child's `Err(e)` is a failure recorded as `e.clone()` (so the
//!   child's own task still returns its `Err`). `E: Clone`; wrap non-`Clone` errors in
//!   `Arc`. A child or body `Err` that carries the cancellation of the parent (a tracked
//!   `CancelledError`, see `task/cancel/`) is a cancellation, not a failure.
//! * Failures are seen through done callbacks, as in asyncio, so they take effect on
//!   the runtime right after the child completes.

use crate::loom::StdArc;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::Ordering;
use crate::loom::Mutex;
use crate::task::builder::TaskBuilder;
use crate::task::cancel::{deliver_pending_cancel, CancelledError};
use crate::task::error::{PanicError, RuntimeError, TaskError};
use crate::task::spawn::spawn;
use crate::task::{Task, TaskRef};

/// A failure inside a task group.
#[derive(Debug, Clone)]
pub enum ChildError<E> {
    /// A child (or the body) returned `Err`.
    Error(E),
    /// A child panicked.
    Panicked(PanicError),
}

/// Every failure of a task group (asyncio's `ExceptionGroup('unhandled errors in a
/// TaskGroup', ...)`), children's first in completion order, then the body's.
#[derive(Debug, Clone)]
pub struct ExceptionGroup<E> {
    errors: Vec<ChildError<E>>,
}

impl<E> ExceptionGroup<E> {
    /// The failures.
    pub fn errors(&self) -> &[ChildError<E>] {
        &self.errors
    }

    /// The failures, owned.
    pub fn into_errors(self) -> Vec<ChildError<E>> {
        self.errors
    }
}

impl<E: fmt::Debug> fmt::Display for ExceptionGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unhandled errors in a TaskGroup ({} sub-exception{})",
            self.errors.len(),
            if self.errors.len() == 1 { "" } else { "s" }
        )
    }
}

impl<E: fmt::Debug> std::error::Error for ExceptionGroup<E> {}

/// Why [`TaskGroup::run`] gave no value.
#[derive(Debug, Clone)]
pub enum TaskGroupError<E> {
    /// Children (or the body) failed.
    Failed(ExceptionGroup<E>),
    /// The task running the group was cancelled from outside: propagate it (`?`).
    Cancelled(CancelledError),
}

impl<E: fmt::Debug> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskGroupError::Failed(g) => fmt::Display::fmt(g, f),
            TaskGroupError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl<E: fmt::Debug> std::error::Error for TaskGroupError<E> {}

impl<E> From<CancelledError> for TaskGroupError<E> {
    fn from(c: CancelledError) -> Self {
        TaskGroupError::Cancelled(c)
    }
}

struct State<E> {
    /// Children not done, by task id.
    tasks: HashMap<u64, TaskRef>,
    errors: Vec<ChildError<E>>,
    aborting: bool,
    exiting: bool,
    parent_cancel_requested: bool,
    /// The exit waiting for the children.
    waker: Option<Waker>,
}

struct Shared<E> {
    state: Mutex<State<E>>,
    parent: TaskRef,
    handle: crate::runtime::Handle,
}

/// A handle to create tasks in a running group (asyncio's `TaskGroup`). Cheap to clone.
///
/// Children and the body return `Result<_, E>`. Keep a cancellation as the
/// `CancelledError` itself inside `E` (here via `From`), so that a child cancelled by the
/// group ends cancelled, not failed:
///
/// ```
/// use std::time::Duration;
///
/// #[derive(Debug, Clone)]
/// enum Error {
///     Cancelled(asyncio::CancelledError),
///     Failed(&'static str),
/// }
/// impl From<asyncio::CancelledError> for Error {
///     fn from(c: asyncio::CancelledError) -> Self {
///         Error::Cancelled(c)
///     }
/// }
///
/// asyncio::run(async {
///     let out = asyncio::TaskGroup::run(|tg| async move {
///         let a = tg.create_task(async { Ok::<_, Error>(1) }).unwrap();
///         let b = tg.create_task(async {
///             asyncio::sleep(Duration::from_millis(1)).await?;
///             Ok(2)
///         }).unwrap();
///         Ok((a, b))
///     })
///     .await;
///     let (a, b) = out.unwrap();
///     // Both children are done when the group exits.
///     assert_eq!(a.await.unwrap().unwrap() + b.await.unwrap().unwrap(), 3);
///
///     // The first failure cancels the other children (they end cancelled).
///     let err = asyncio::TaskGroup::run(|tg| async move {
///         tg.create_task(async { Err::<(), _>(Error::Failed("boom")) }).unwrap();
///         tg.create_task(async {
///             asyncio::sleep(Duration::from_secs(60)).await?;
///             Ok(())
///         }).unwrap();
///         Ok::<_, Error>(())
///     })
///     .await
///     .unwrap_err();
///     let asyncio::TaskGroupError::Failed(group) = err else { panic!() };
///     assert_eq!(group.errors().len(), 1);
/// });
/// ```
pub struct TaskGroup<E> {
    shared: StdArc<Shared<E>>,
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> Self {
        TaskGroup {
            shared: self.shared.clone(),
        }
    }
}

impl<E: Clone + Send + 'static> TaskGroup<E> {
    /// Runs `body` with a new group and waits for every task created in it (asyncio's
    /// `async with TaskGroup() as tg:`). See the module docs for the outcome.
    ///
    /// # Panics
    /// When awaited outside a task of an asyncio runtime.
    pub async fn run<F, Fut, R>(body: F) -> Result<R, TaskGroupError<E>>
    where
        F: FnOnce(TaskGroup<E>) -> Fut,
        Fut: Future<Output = Result<R, E>>,
    {
        let parent = crate::task::current::current_raw()
            .map(TaskRef::clone_from_raw)
            .expect("TaskGroup::run must be awaited inside a task of an asyncio runtime");
        let shared = StdArc::new(Shared {
            state: Mutex::new(State {
                tasks: HashMap::new(),
                errors: Vec::new(),
                aborting: false,
                exiting: false,
                parent_cancel_requested: false,
                waker: None,
            }),
            handle: crate::runtime::Handle {
                shared: parent.header().scheduler.clone(),
            },
            parent,
        });
        let group = TaskGroup {
            shared: shared.clone(),
        };
        let parent = &shared.parent;
        let tokens_before = parent.header().live_tokens.load(Ordering::Acquire);

        let body_out = body(group).await;

        // Classify how the body ended ("et" in asyncio's __aexit__).
        let mut propagate: Option<CancelledError> = None;
        let mut body_error: Option<E> = None;
        let mut value: Option<R> = None;
        let body_raised = match body_out {
            Ok(v) => {
                value = Some(v);
                false
            }
            Err(e) => {
                if parent.header().live_tokens.load(Ordering::Acquire) > tokens_before {
                    // The body propagates the parent's cancellation.
                    let msg = parent.header().asyncio.lock().cancel.msg.clone();
                    drop(e);
                    propagate = Some(CancelledError::tracked(msg, parent.clone()));
                } else {
                    body_error = Some(e);
                }
                true
            }
        };

        let abort_now = {
            let mut st = shared.state.lock();
            st.exiting = true;
            body_raised && !st.aborting
        };
        if abort_now {
            shared.abort();
        }

        while let Err(cancelled) = (AllDone { shared: &shared }).await {
            // The parent is being cancelled while we wait for the children.
            let abort_now = !shared.state.lock().aborting;
            if abort_now {
                propagate = Some(cancelled);
                shared.abort();
            }
        }

        let (parent_cancel_requested, errors) = {
            let mut st = shared.state.lock();
            (st.parent_cancel_requested, std::mem::take(&mut st.errors))
        };
        if parent_cancel_requested && parent.uncancel() == 0 {
            // The only cancel request was ours: do not propagate it.
            propagate = None;
        }
        if let Some(c) = propagate {
            if errors.is_empty() {
                return Err(TaskGroupError::Cancelled(c));
            }
        }
        let mut errors = errors;
        if let Some(e) = body_error {
            errors.push(ChildError::Error(e));
        }
        if !errors.is_empty() {
            if parent.cancelling() > 0 {
                // Cancelled from outside too: the outside's cancellation stays pending
                // for the parent's next await point (asyncio's uncancel() + cancel()).
                crate::task::cancel::rearm_for_next_await(parent);
            }
            return Err(TaskGroupError::Failed(ExceptionGroup { errors }));
        }
        match value {
            Some(v) => Ok(v),
            // The body propagated a cancellation that was the group's own.
            None => Err(TaskGroupError::Cancelled(CancelledError::new(None))),
        }
    }

    /// Creates a task in the group (asyncio's `tg.create_task`). Its `Err` value or panic
    /// fails the group. An error once the group finished or is shutting down.
    pub fn create_task<Fut, T>(&self, fut: Fut) -> Result<Task<Result<T, E>>, RuntimeError>
    where
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.create_task_with(TaskBuilder::default(), fut)
    }

    /// [`create_task`](Self::create_task) with a name or a start mode (asyncio's
    /// `tg.create_task(coro, name=..., eager_start=...)`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     asyncio::TaskGroup::<()>::run(|tg| async move {
    ///         let t = tg
    ///             .create_task_with(asyncio::Task::builder().name("fetch"), async { Ok(1) })
    ///             .unwrap();
    ///         assert_eq!(t.get_name(), "fetch");
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// });
    /// ```
    pub fn create_task_with<Fut, T>(
        &self,
        options: TaskBuilder,
        fut: Fut,
    ) -> Result<Task<Result<T, E>>, RuntimeError>
    where
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        let shared = &self.shared;
        {
            let st = shared.state.lock();
            if st.exiting && st.tasks.is_empty() {
                return Err(RuntimeError::new("TaskGroup is finished"));
            }
            if st.aborting {
                return Err(RuntimeError::new("TaskGroup is shutting down"));
            }
        }
        let failure: StdArc<Mutex<Option<E>>> = StdArc::default();
        let slot = failure.clone();
        let task = spawn(
            &shared.handle.shared,
            async move {
                let out = fut.await;
                if let Err(e) = &out {
                    *slot.lock() = Some(e.clone());
                }
                out
            },
            options.options(),
        );
        shared
            .state
            .lock()
            .tasks
            .insert(task.id().as_u64(), task.task_ref());
        let weak = StdArc::downgrade(shared);
        task.add_done_callback(move |t| {
            if let Some(shared) = weak.upgrade() {
                shared.on_task_done(t, failure.lock().take());
            }
        });
        Ok(task)
    }
}

impl<E: Clone + Send + 'static> Shared<E> {
    fn abort(&self) {
        let children: Vec<TaskRef> = {
            let mut st = self.state.lock();
            st.aborting = true;
            st.tasks.values().cloned().collect()
        };
        for t in children {
            if !t.done() {
                t.cancel(None);
            }
        }
    }

    fn on_task_done(&self, task: &TaskRef, returned_err: Option<E>) {
        let waker = {
            let mut st = self.state.lock();
            st.tasks.remove(&task.id().as_u64());
            if st.tasks.is_empty() {
                st.waker.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
        if task.cancelled() {
            return;
        }
        let failure = match task.exception() {
            Ok(Some(TaskError::Panicked(p))) => ChildError::Panicked(p),
            _ => match returned_err {
                Some(e) => ChildError::Error(e),
                None => return,
            },
        };
        let cancel_parent = {
            let mut st = self.state.lock();
            st.errors.push(failure);
            if self.parent.done() {
                false
            } else if !st.aborting && !st.parent_cancel_requested {
                st.parent_cancel_requested = true;
                true
            } else {
                false
            }
        };
        if self.parent.done() {
            self.handle.shared.report_exception(
                "TaskGroup child failed after its parent task finished",
                None,
                Some(self.parent.id().as_u64()),
            );
            return;
        }
        if cancel_parent {
            self.abort();
            self.parent.cancel(None);
        }
    }
}

/// Waits until the group has no running child; a runtime-aware await point.
struct AllDone<'a, E> {
    shared: &'a Shared<E>,
}

impl<E> Future for AllDone<'_, E> {
    type Output = Result<(), CancelledError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // No child left: nothing to wait for, so no await point (asyncio's
        // `while self._tasks:` never awaits then).
        if self.shared.state.lock().tasks.is_empty() {
            return Poll::Ready(Ok(()));
        }
        if let Some(c) = deliver_pending_cancel() {
            return Poll::Ready(Err(c));
        }
        let mut st = self.shared.state.lock();
        if st.tasks.is_empty() {
            return Poll::Ready(Ok(()));
        }
        match &st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state.lock();
        f.debug_struct("TaskGroup")
            .field("tasks", &st.tasks.len())
            .field("errors", &st.errors.len())
            .field("aborting", &st.aborting)
            .finish()
    }
}
