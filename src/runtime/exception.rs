//! The runtime's exception handler (asyncio's `loop.call_exception_handler`), the guard
//! around user code the runtime calls on its own stack, and the policy on task panics.
//!
//! ## What reaches the handler
//! Exceptions nobody else will see: a panic in a `call_soon` callback ("Exception in
//! callback"), a task's exception (a panic or a raised `Err`) that was never retrieved
//! (neither awaited nor asked for with `exception()`) when the task is freed — asyncio's
//! "Task exception was never retrieved", and "Future exception was never retrieved" for
//! an [`asyncio::Future`](crate::Future) — and a panic in user code the runtime itself calls: a waker it wakes
//! (the waker of a foreign executor awaiting a task, say), or a destructor it runs (a
//! done callback, an output, a never-run callback's closure). The default handler writes
//! one line to stderr and ignores a failure to write (a closed stderr must not take the
//! worker down); set your own with
//! [`Builder::exception_handler`](crate::Builder::exception_handler).
//!
//! ## Panics never escape the runtime
//! Every call into user code made from a worker's loop, the task harness or a blocking
//! thread is wrapped in [`Shared::run_user_code`] (or, for the task's own future, the
//! harness's `catch_unwind`): a panic there is caught and reported, and the runtime's
//! bookkeeping (task completion, references, registries, idle counts) goes on as if the
//! code had returned. A panic in the handler itself is swallowed.
//!
//! ## The policy on task panics ([`UnhandledPanic`])
//! By default a task's panic is its exception, as in asyncio. With
//! [`UnhandledPanic::ShutdownRuntime`] (tokio's `unhandled_panic`), the first task or
//! callback that panics shuts the runtime down: every task still pending is cancelled,
//! and [`Runtime::block_on`](crate::Runtime::block_on) / [`run`](crate::run) panic with
//! the original message.

use crate::loom::StdArc as Arc;
use std::fmt;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};

use crate::task::error::{PanicError, TaskError};
use crate::task::TaskId;

/// What the exception handler receives (asyncio's `context` dict).
#[derive(Debug, Clone)]
pub struct ExceptionContext {
    /// What happened, e.g. `"Task exception was never retrieved"`.
    pub message: String,
    /// The exception, if there is one: a panic or a raised error
    /// ([`TaskError::Panicked`] / [`TaskError::Exception`]).
    pub exception: Option<TaskError>,
    /// The task concerned, if any.
    pub task_id: Option<TaskId>,
    /// The name of the task concerned (its `get_name()` when reported), if any. A named
    /// task's id is no `Task-N` number (it comes from a separate range), so reports name
    /// the task by this.
    pub task_name: Option<String>,
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match (&self.task_name, self.task_id) {
            (Some(name), _) => write!(f, " (task {name})")?,
            (None, Some(id)) => write!(f, " (task Task-{id})")?,
            (None, None) => {}
        }
        match &self.exception {
            Some(TaskError::Panicked(p)) => write!(f, ": {}", p.message())?,
            Some(e) => write!(f, ": {e}")?,
            None => {}
        }
        Ok(())
    }
}

pub(crate) type ExceptionHandler = Arc<dyn Fn(&ExceptionContext) + Send + Sync + 'static>;

/// The default handler: one line on stderr. A failed write (stderr closed) is ignored:
/// `eprintln!` would panic there.
pub(crate) fn default_handler(ctx: &ExceptionContext) {
    let _ = writeln!(std::io::stderr(), "asyncio: {ctx}");
}

/// What the runtime does when a task or a callback panics (tokio's `unhandled_panic`).
///
/// ```
/// use asyncio::UnhandledPanic;
/// let rt = asyncio::Builder::new()
///     .worker_threads(1)
///     .unhandled_panic(UnhandledPanic::ShutdownRuntime)
///     .build()
///     .unwrap();
/// let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
///     rt.block_on(async {
///         asyncio::create_task(async { if true { panic!("boom") } });
///         asyncio::sleep(std::time::Duration::from_secs(3600)).await.ok();
///     })
/// }));
/// assert!(out.is_err()); // block_on panicked: the runtime shut down on "boom"
/// assert!(rt.handle().is_closed());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// asyncio's behaviour (the default): the panic is the task's exception, given to
    /// whoever awaits the task or asks for `exception()`; one nobody retrieves is reported
    /// to the exception handler when the task is freed, and a callback's at once. The
    /// runtime carries on.
    #[default]
    Report,
    /// The first panic of a task or a callback shuts the runtime down: workers stop,
    /// every pending task is cancelled (its future dropped), and `block_on` / `run` panic
    /// with a message naming the task and its panic.
    ShutdownRuntime,
}

/// User code that the runtime calls on its own stack, for the report of its panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserCode {
    /// A waker the runtime wakes (a task's join waker, a completion waker, a timer's).
    Waker,
    /// A destructor the runtime runs (an output, a done callback, a closure never run).
    Destructor,
    /// A runtime hook (`Builder::on_thread_start`, `on_task_spawn`, ...).
    Hook,
}

impl UserCode {
    fn what(self) -> &'static str {
        match self {
            UserCode::Waker => "Exception in a waker woken by the runtime",
            UserCode::Destructor => "Exception in a destructor run by the runtime",
            UserCode::Hook => "Exception in a runtime hook",
        }
    }
}

/// The task a report concerns: its id and its name, read when the report is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportedTask {
    pub(crate) id: u64,
    pub(crate) name: String,
}

impl ReportedTask {
    /// The task of `header`, named as `get_name()` would name it (takes the task's small
    /// lock: not to be called with it held).
    pub(crate) fn of(header: &crate::task::core::Header) -> ReportedTask {
        ReportedTask {
            id: header.id,
            name: header.name(),
        }
    }
}

/// Reports an exception to `handler` (or the default one), swallowing a panic in it.
pub(crate) fn call_handler(
    handler: Option<&ExceptionHandler>,
    message: &str,
    exception: Option<TaskError>,
    task: Option<ReportedTask>,
) {
    let (task_id, task_name) = match task {
        Some(t) => (Some(TaskId(t.id)), Some(t.name)),
        None => (None, None),
    };
    let ctx = ExceptionContext {
        message: message.to_owned(),
        exception,
        task_id,
        task_name,
    };
    let _ = panic::catch_unwind(AssertUnwindSafe(|| match handler {
        Some(handler) => handler(&ctx),
        None => default_handler(&ctx),
    }));
}

/// Runs `f`; a panic in it is returned as a [`PanicError`] instead of unwinding.
#[inline]
pub(crate) fn catch_user_panic(f: impl FnOnce()) -> Option<PanicError> {
    panic::catch_unwind(AssertUnwindSafe(f))
        .err()
        .map(PanicError::new)
}

/// The message of the panic that shut a runtime down.
pub(crate) fn shutdown_message(task: Option<ReportedTask>, panic: &PanicError) -> String {
    match task {
        Some(ReportedTask { name, .. }) => format!(
            "the runtime shut down because task {name} panicked \
             (UnhandledPanic::ShutdownRuntime): {}",
            panic.message()
        ),
        None => format!(
            "the runtime shut down because a callback panicked \
             (UnhandledPanic::ShutdownRuntime): {}",
            panic.message()
        ),
    }
}

impl crate::runtime::scheduler::Shared {
    /// Runs user code the runtime calls on its own stack; a panic in it is reported to
    /// the exception handler (with `task`, if the code belongs to one) and goes no
    /// further.
    #[inline]
    pub(crate) fn run_user_code(
        &self,
        what: UserCode,
        task: Option<&crate::task::core::Header>,
        f: impl FnOnce(),
    ) {
        if let Some(panic) = catch_user_panic(f) {
            self.report_user_code_panic(what, task.map(ReportedTask::of), panic);
        }
    }

    /// Reports a panic caught in user code the runtime called.
    #[cold]
    pub(crate) fn report_user_code_panic(
        &self,
        what: UserCode,
        task: Option<ReportedTask>,
        panic: PanicError,
    ) {
        self.report_exception(what.what(), Some(TaskError::Panicked(panic)), task);
    }
}
