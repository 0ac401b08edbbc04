//! `Context` and `copy_context`: a context as a value to run code in.

use std::fmt;

use crate::contextvars::current::{self, ContextInner, TaskContext};
use crate::contextvars::error::ContextError;
use crate::contextvars::var::ContextVar;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::StdArc;

/// A context: a mapping from context variables to values, to run code in (Python's
/// `contextvars.Context`).
///
/// Made with [`copy_context`] (a copy of the current one: O(1), the values are shared
/// until one side sets a variable) or [`Context::new`] (empty). [`run`](Self::run) runs a
/// function in it, and
/// [`TaskBuilder::context`](crate::TaskBuilder::context) a task: what they set stays in
/// this context and is seen by everything else running in it.
///
/// A `Context` is one object, as in Python: it is not `Clone` (use
/// [`copy`](Self::copy) for a copy, a reference or an `Arc` to share it).
///
/// ```
/// use asyncio::contextvars::{copy_context, ContextVar};
///
/// let var = ContextVar::new("var");
/// var.set("outer");
/// let ctx = copy_context();
/// ctx.run(|| {
///     assert_eq!(var.get(), Some("outer"));
///     var.set("inner");
/// })
/// .unwrap();
/// assert_eq!(var.get(), Some("outer"));
/// assert_eq!(ctx.get(&var), Some("inner"));
/// ```
pub struct Context {
    inner: StdArc<ContextInner>,
}

/// A copy of the current context (Python's `contextvars.copy_context()`).
///
/// ```
/// let var = asyncio::ContextVar::new("var");
/// var.set(1);
/// let ctx = asyncio::copy_context();
/// var.set(2);
/// assert_eq!(ctx.get(&var), Some(1));
/// ```
pub fn copy_context() -> Context {
    Context {
        inner: StdArc::new(ContextInner::new(current::current_vars())),
    }
}

impl Context {
    /// An empty context (Python's `Context()`).
    ///
    /// ```
    /// let var = asyncio::ContextVar::new("var");
    /// var.set(1);
    /// let empty = asyncio::contextvars::Context::new();
    /// assert_eq!(empty.run(|| var.get()).unwrap(), None);
    /// ```
    pub fn new() -> Context {
        Context {
            inner: StdArc::new(ContextInner::new(None)),
        }
    }

    /// A new context with the same values (Python's `Context.copy()`).
    ///
    /// ```
    /// use asyncio::contextvars::{Context, ContextVar};
    /// let var = ContextVar::new("var");
    /// let a = Context::new();
    /// a.run(|| var.set(1)).unwrap();
    /// let b = a.copy();
    /// b.run(|| var.set(2)).unwrap();
    /// assert_eq!((a.get(&var), b.get(&var)), (Some(1), Some(2)));
    /// ```
    pub fn copy(&self) -> Context {
        Context {
            inner: StdArc::new(ContextInner::new(self.inner.snapshot())),
        }
    }

    /// Runs `f` in this context (Python's `Context.run`): what `f` reads is this context's
    /// values, what it sets stays here. The caller's context is back afterwards, also if
    /// `f` panics.
    ///
    /// # Errors
    /// [`ContextError::AlreadyEntered`] if a `run` of this context is in progress (on this
    /// thread or another): `f` is not called.
    ///
    /// ```
    /// use asyncio::contextvars::{Context, ContextError};
    /// let ctx = Context::new();
    /// let nested = ctx.run(|| ctx.run(|| ())).unwrap();
    /// assert_eq!(nested, Err(ContextError::AlreadyEntered));
    /// ```
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> Result<R, ContextError> {
        if self
            .inner
            .entered
            .compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Err(ContextError::AlreadyEntered);
        }
        let _leave = LeaveOnDrop(&self.inner.entered);
        let mut slot = TaskContext::Object(self.inner.clone());
        let _entered = current::enter(&mut slot);
        Ok(f())
    }

    /// The value of `var` in this context, ignoring its default (Python's
    /// `ctx.get(var)`).
    ///
    /// ```
    /// let var = asyncio::ContextVar::with_default("var", 0);
    /// assert_eq!(asyncio::copy_context().get(&var), None);
    /// ```
    pub fn get<T: Clone + Send + Sync + 'static>(&self, var: &ContextVar<T>) -> Option<T> {
        let vars = self.inner.snapshot()?;
        let value = vars.get(var.id())?.clone();
        drop(vars);
        value.downcast_ref::<T>().cloned()
    }

    /// `true` if `var` is set in this context (Python's `var in ctx`).
    ///
    /// ```
    /// let var = asyncio::ContextVar::new("var");
    /// var.set(());
    /// assert!(asyncio::copy_context().contains(&var));
    /// ```
    pub fn contains<T>(&self, var: &ContextVar<T>) -> bool {
        self.inner
            .snapshot()
            .is_some_and(|vars| vars.get(var.id()).is_some())
    }

    /// Number of variables set in this context (Python's `len(ctx)`).
    ///
    /// ```
    /// let ctx = asyncio::contextvars::Context::new();
    /// assert_eq!(ctx.len(), 0);
    /// ctx.run(|| asyncio::ContextVar::new("a").set(1)).unwrap();
    /// assert_eq!(ctx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.snapshot().map_or(0, |vars| vars.len())
    }

    /// `true` if no variable is set in this context.
    ///
    /// ```
    /// assert!(asyncio::contextvars::Context::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The context a task created with `.context(self)` runs in: this object.
    pub(crate) fn for_task(&self) -> StdArc<ContextInner> {
        self.inner.clone()
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// Clears `Context::run`'s entered flag when the run ends (also by a panic).
struct LeaveOnDrop<'a>(&'a AtomicBool);

impl Drop for LeaveOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}
