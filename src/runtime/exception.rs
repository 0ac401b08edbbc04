//! The runtime's exception handler (asyncio's `loop.call_exception_handler`).
//!
//! Exceptions nobody else will see end up here: a panic in a `call_soon` callback, and a
//! task's panic that was never retrieved (neither awaited nor asked for with
//! `exception()`) when the task is freed — asyncio's "Task exception was never
//! retrieved". The default handler writes one line to stderr; set your own with
//! [`Builder::exception_handler`](crate::Builder::exception_handler).

use crate::loom::StdArc as Arc;
use std::fmt;

use crate::task::error::PanicError;
use crate::task::TaskId;

/// What the exception handler receives (asyncio's `context` dict).
#[derive(Debug, Clone)]
pub struct ExceptionContext {
    /// What happened, e.g. `"Task exception was never retrieved"`.
    pub message: String,
    /// The panic, if the exception is one.
    pub exception: Option<PanicError>,
    /// The task concerned, if any.
    pub task_id: Option<TaskId>,
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(id) = self.task_id {
            write!(f, " (task Task-{id})")?;
        }
        if let Some(p) = &self.exception {
            write!(f, ": {}", p.message())?;
        }
        Ok(())
    }
}

pub(crate) type ExceptionHandler = Arc<dyn Fn(&ExceptionContext) + Send + Sync + 'static>;

pub(crate) fn default_handler(ctx: &ExceptionContext) {
    eprintln!("asyncio: {ctx}");
}
