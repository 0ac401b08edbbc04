//! `Task::builder()`: create a task with a name, a start mode and a context.

use crate::contextvars::current::{ContextInner, TaskContext};
use crate::contextvars::Context;
use crate::loom::StdArc as Arc;
use crate::task::output::IntoOutcome;
use std::future::Future;

use crate::runtime::Handle;
use crate::task::spawn::{spawn, SpawnOptions, Start};
use crate::task::Task;

/// Configures a task before creating it (asyncio's `create_task(coro, name=...,
/// eager_start=..., context=...)`).
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::Task::builder()
///         .name("fetcher")
///         .eager_start(true)
///         .create_task(async { 42 });
///     assert_eq!(t.get_name(), "fetcher");
///     assert!(t.done()); // it finished during its eager first step
///     assert_eq!(t.await.unwrap(), 42);
/// });
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until create_task is called"]
pub struct TaskBuilder {
    name: Option<Arc<str>>,
    start: Option<bool>,
    context: Option<Arc<ContextInner>>,
}

impl Task<()> {
    /// Starts configuring a task.
    pub fn builder() -> TaskBuilder {
        TaskBuilder::default()
    }
}

impl TaskBuilder {
    /// Names the task (default `Task-N`). A named task uses up no `Task-N` number, as in
    /// CPython 3.13.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(Arc::from(name.into()));
        self
    }

    /// `true`: run the first step inline in `create_task` when called on a worker of the
    /// runtime; `false`: always queue. Unset: the runtime's task factory decides.
    pub fn eager_start(mut self, eager: bool) -> Self {
        self.start = Some(eager);
        self
    }

    /// Runs the task in `context` itself (asyncio's `create_task(coro, context=ctx)`,
    /// 3.11+), instead of in a copy of the creator's context: what the task sets is set in
    /// `context`, seen by everything else running in it, and by `context.get` afterwards.
    ///
    /// ```
    /// use asyncio::contextvars::{Context, ContextVar};
    ///
    /// static VAR: ContextVar<u32> = ContextVar::new("var");
    /// asyncio::run(async {
    ///     let ctx = Context::new();
    ///     let t = asyncio::Task::builder()
    ///         .context(&ctx)
    ///         .create_task(async {
    ///             VAR.set(5);
    ///         });
    ///     t.await.unwrap();
    ///     assert_eq!(ctx.get(&VAR), Some(5));
    ///     assert_eq!(VAR.get(), None);
    /// });
    /// ```
    pub fn context(mut self, context: &Context) -> Self {
        self.context = Some(context.for_task());
        self
    }

    pub(crate) fn options(self) -> SpawnOptions {
        SpawnOptions {
            context: self.context.map(TaskContext::Object),
            name: self.name,
            start: match self.start {
                None => Start::RuntimeDefault,
                Some(true) => Start::Eager,
                Some(false) => Start::Scheduled,
            },
        }
    }

    /// Creates the task on the current runtime.
    ///
    /// # Panics
    /// Outside a runtime (use [`create_task_on`](Self::create_task_on) from other threads).
    pub fn create_task<F>(self, future: F) -> Task<<F::Output as IntoOutcome>::Value>
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        let handle = Handle::current_or_panic("Task::builder().create_task");
        self.create_task_on(&handle, future)
    }

    /// Creates the task on `handle`'s runtime, from any thread.
    pub fn create_task_on<F>(
        self,
        handle: &Handle,
        future: F,
    ) -> Task<<F::Output as IntoOutcome>::Value>
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        spawn(&handle.shared, future, self.options())
    }
}
