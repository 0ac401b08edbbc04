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
//! * A failure is a task's exception in the crate's one model (`task/exception.rs`): a
//!   panic, or the `Err` of a child whose output is a `Result`. It is recorded as the
//!   child's [`TaskError`] (shared: the child's own task still gives it to its awaiters),
//!   so children may raise different error types; downcast them back from the group.
//! * The body's output is read the same way: `Err(e)` is the body raising `e`. An `Err`
//!   that is, or carries, the cancellation of the parent (a `CancelledError` raised, or
//!   a tracked one of the parent inside the error, see `task/cancel/`) is a
//!   cancellation, not a failure.
//! * Failures are seen through done callbacks, as in asyncio, so they take effect on
//!   the runtime right after the child completes.

use crate::loom::{StdArc, StdWeak};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::Ordering;
use crate::loom::Mutex;
use crate::task::builder::TaskBuilder;
use crate::task::cancel::{deliver_pending_cancel, CancelledError};
use crate::task::error::{RuntimeError, TaskError};
use crate::task::graph::scopes::{self, ScopeChildren};
use crate::task::graph::ScopeKind;
use crate::task::output::IntoOutcome;
use crate::task::spawn::spawn;
use crate::task::{Task, TaskRef};

/// Every failure of a task group (asyncio's `ExceptionGroup('unhandled errors in a
/// TaskGroup', ...)`), children's first in completion order, then the body's. Each is a
/// [`TaskError::Panicked`] or a [`TaskError::Exception`].
#[derive(Debug, Clone)]
pub struct ExceptionGroup {
    errors: Vec<TaskError>,
}

impl ExceptionGroup {
    /// The failures.
    pub fn errors(&self) -> &[TaskError] {
        &self.errors
    }

    /// The failures, owned.
    pub fn into_errors(self) -> Vec<TaskError> {
        self.errors
    }

    /// The failures that are an `E` (asyncio's `ExceptionGroup.subgroup(E)`).
    ///
    /// ```
    /// let err = asyncio::run(async {
    ///     asyncio::TaskGroup::run(|tg| async move {
    ///         tg.create_task(async { Err::<(), _>(std::fmt::Error) }).unwrap();
    ///     })
    ///     .await
    ///     .unwrap_err()
    /// });
    /// let asyncio::TaskGroupError::Failed(group) = err else { unreachable!() };
    /// assert_eq!(group.matching::<std::fmt::Error>().count(), 1);
    /// ```
    pub fn matching<E: std::error::Error + 'static>(&self) -> impl Iterator<Item = &E> {
        self.errors.iter().filter_map(TaskError::downcast_ref::<E>)
    }
}

impl fmt::Display for ExceptionGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unhandled errors in a TaskGroup ({} sub-exception{})",
            self.errors.len(),
            if self.errors.len() == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for ExceptionGroup {}

/// Why [`TaskGroup::run`] gave no value.
#[derive(Debug, Clone)]
pub enum TaskGroupError {
    /// Children (or the body) failed.
    Failed(ExceptionGroup),
    /// The task running the group was cancelled from outside: propagate it (`?`).
    Cancelled(CancelledError),
}

impl TaskGroupError {
    /// The cancellation, if this is one.
    pub fn as_cancelled(&self) -> Option<&CancelledError> {
        match self {
            TaskGroupError::Cancelled(c) => Some(c),
            TaskGroupError::Failed(_) => None,
        }
    }
}

impl fmt::Display for TaskGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskGroupError::Failed(g) => fmt::Display::fmt(g, f),
            TaskGroupError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl std::error::Error for TaskGroupError {}

impl From<CancelledError> for TaskGroupError {
    fn from(c: CancelledError) -> Self {
        TaskGroupError::Cancelled(c)
    }
}

struct State {
    /// Children not done, by task id.
    tasks: HashMap<u64, TaskRef>,
    errors: Vec<TaskError>,
    aborting: bool,
    exiting: bool,
    parent_cancel_requested: bool,
    /// The exit waiting for the children.
    waker: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    parent: TaskRef,
    handle: crate::runtime::Handle,
}

/// A handle to create tasks in a running group (asyncio's `TaskGroup`). Cheap to clone.
///
/// Children and the body raise as every task does: with a panic or the `Err` of a
/// `Result` output. A child cancelled by the group ends cancelled, not failed.
///
/// ```
/// use std::time::Duration;
///
/// #[derive(Debug)]
/// struct Boom;
/// impl std::fmt::Display for Boom {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("boom")
///     }
/// }
/// impl std::error::Error for Boom {}
///
/// asyncio::run(async {
///     let out = asyncio::TaskGroup::run(|tg| async move {
///         let a = tg.create_task(async { 1 }).unwrap();
///         let b = tg.create_task(async {
///             asyncio::sleep(Duration::from_millis(1)).await?;
///             Ok::<_, asyncio::CancelledError>(2)
///         }).unwrap();
///         (a, b)
///     })
///     .await;
///     let (a, b) = out.unwrap();
///     // Both children are done when the group exits.
///     assert_eq!(a.await.unwrap() + b.await.unwrap(), 3);
///
///     // The first failure cancels the other children (they end cancelled).
///     let err = asyncio::TaskGroup::run(|tg| async move {
///         tg.create_task(async { Err::<(), _>(Boom) }).unwrap();
///         tg.create_task(async {
///             asyncio::sleep(Duration::from_secs(60)).await?;
///             Ok::<_, asyncio::CancelledError>(())
///         }).unwrap();
///     })
///     .await
///     .unwrap_err();
///     let asyncio::TaskGroupError::Failed(group) = err else { panic!() };
///     assert_eq!(group.errors().len(), 1);
///     assert!(group.errors()[0].downcast_ref::<Boom>().is_some());
/// });
/// ```
#[derive(Clone)]
pub struct TaskGroup {
    shared: StdArc<Shared>,
}

impl TaskGroup {
    /// Runs `body` with a new group and waits for every task created in it (asyncio's
    /// `async with TaskGroup() as tg:`). See the module docs for the outcome.
    ///
    /// The group is a scope of the task call graph: its children show under it
    /// ([`Handle::task_tree`](crate::Handle::task_tree)), with the line of this call.
    ///
    /// # Panics
    /// When awaited outside a task of an asyncio runtime.
    #[track_caller]
    pub fn run<F, Fut>(
        body: F,
    ) -> impl Future<Output = Result<<Fut::Output as IntoOutcome>::Value, TaskGroupError>>
    where
        F: FnOnce(TaskGroup) -> Fut,
        Fut: Future,
        Fut::Output: IntoOutcome,
    {
        let at = Location::caller();
        async move {
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
            // The group's scope in the call graph, until the group is done (dropped with
            // this future if it is dropped early).
            let weak: StdWeak<dyn ScopeChildren> = {
                let s: StdArc<dyn ScopeChildren> = shared.clone();
                StdArc::downgrade(&s)
            };
            let _scope = scopes::enter(ScopeKind::TaskGroup, at, Some(weak));
            let parent = &shared.parent;
            let tokens_before = parent.header().live_tokens.load(Ordering::Acquire);

            let body_out = body(group).await.into_outcome();

            // Classify how the body ended ("et" in asyncio's __aexit__).
            let mut propagate: Option<CancelledError> = None;
            let mut body_error: Option<TaskError> = None;
            let mut value = None;
            let body_raised = match body_out {
                Ok(v) => {
                    value = Some(v);
                    false
                }
                Err(TaskError::Cancelled(c)) => {
                    propagate = Some(c);
                    true
                }
                Err(e) => {
                    if parent.header().live_tokens.load(Ordering::Acquire) > tokens_before {
                        // The body propagates the parent's cancellation inside its error.
                        let msg = parent.header().cancel_msg();
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
                errors.push(e);
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
    }

    /// Creates a task in the group (asyncio's `tg.create_task`). Its exception (a panic,
    /// or the `Err` of a `Result` output) fails the group. An error once the group
    /// finished or is shutting down.
    pub fn create_task<Fut>(
        &self,
        fut: Fut,
    ) -> Result<Task<<Fut::Output as IntoOutcome>::Value>, RuntimeError>
    where
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        self.create_task_with(TaskBuilder::default(), fut)
    }

    /// [`create_task`](Self::create_task) with a name or a start mode (asyncio's
    /// `tg.create_task(coro, name=..., eager_start=...)`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     asyncio::TaskGroup::run(|tg| async move {
    ///         let t = tg
    ///             .create_task_with(asyncio::Task::builder().name("fetch"), async { 1 })
    ///             .unwrap();
    ///         assert_eq!(t.get_name(), "fetch");
    ///     })
    ///     .await
    ///     .unwrap();
    /// });
    /// ```
    pub fn create_task_with<Fut>(
        &self,
        options: TaskBuilder,
        fut: Fut,
    ) -> Result<Task<<Fut::Output as IntoOutcome>::Value>, RuntimeError>
    where
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
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
        let task = spawn(&shared.handle.shared, fut, options.options());
        shared
            .state
            .lock()
            .tasks
            .insert(task.id().as_u64(), task.task_ref());
        let weak = StdArc::downgrade(shared);
        task.add_done_callback(move |t| {
            if let Some(shared) = weak.upgrade() {
                shared.on_task_done(t);
            }
        });
        Ok(task)
    }
}

impl ScopeChildren for Shared {
    fn children(&self) -> Vec<TaskRef> {
        self.state.lock().tasks.values().cloned().collect()
    }
}

impl Shared {
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

    fn on_task_done(&self, task: &TaskRef) {
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
        // The group retrieves the exception (asyncio: `t.exception()` in
        // `_on_task_done`), so it is not also reported as never retrieved.
        let failure = match task.exception() {
            Ok(Some(failure)) if failure.is_failure() => failure,
            _ => return,
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
                Some(crate::runtime::exception::ReportedTask {
                    id: self.parent.id().as_u64(),
                    name: self.parent.get_name(),
                }),
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
struct AllDone<'a> {
    shared: &'a Shared,
}

impl Future for AllDone<'_> {
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

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state.lock();
        f.debug_struct("TaskGroup")
            .field("tasks", &st.tasks.len())
            .field("errors", &st.errors.len())
            .field("aborting", &st.aborting)
            .finish()
    }
}
