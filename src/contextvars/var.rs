//! `ContextVar<T>`: a variable whose value depends on the context it is read in.

use std::fmt;
use std::marker::PhantomData;

use crate::contextvars::current::{self, Written};
use crate::contextvars::error::ContextError;
use crate::contextvars::token::Token;
use crate::contextvars::vars::Value;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::{IdCounter, OnceLock, StdArc};

/// Ids of variables (assigned on first use, so that `new` can be `const`).
static VAR_IDS: IdCounter = IdCounter::new();

/// A context variable (Python's `contextvars.ContextVar`): each task sees the value set
/// in its own context, which is a copy of its creator's taken when the task was created.
///
/// Declare it once, usually as a `static` (`new` and `with_default` are `const`).
/// [`get`](Self::get) returns a clone of the value: use an `Arc<T>` for values that are
/// costly to clone (the context stores the value once, shared by every copy of it).
///
/// ```
/// use asyncio::ContextVar;
///
/// static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
///
/// asyncio::run(async {
///     REQUEST_ID.set(1);
///     let child = asyncio::create_task(async {
///         let inherited = REQUEST_ID.get();
///         REQUEST_ID.set(2); // in the child's own context only
///         inherited
///     });
///     assert_eq!(child.await.unwrap(), Some(1));
///     assert_eq!(REQUEST_ID.get(), Some(1));
/// });
/// ```
pub struct ContextVar<T> {
    name: &'static str,
    default: Option<T>,
    id: OnceLock<u64>,
}

impl<T> ContextVar<T> {
    /// A variable with no default: [`get`](Self::get) is `None` where it was not set
    /// (Python: `ContextVar(name)`).
    ///
    /// ```
    /// static USER: asyncio::ContextVar<String> = asyncio::ContextVar::new("user");
    /// assert_eq!(USER.get(), None);
    /// ```
    pub const fn new(name: &'static str) -> ContextVar<T> {
        ContextVar {
            name,
            default: None,
            id: OnceLock::new(),
        }
    }

    /// A variable whose value is `default` where it was not set (Python:
    /// `ContextVar(name, default=...)`).
    ///
    /// ```
    /// static LEVEL: asyncio::ContextVar<u8> = asyncio::ContextVar::with_default("level", 3);
    /// assert_eq!(LEVEL.get(), Some(3));
    /// ```
    pub const fn with_default(name: &'static str, default: T) -> ContextVar<T> {
        ContextVar {
            name,
            default: Some(default),
            id: OnceLock::new(),
        }
    }

    /// The variable's name (Python's `ContextVar.name`).
    ///
    /// ```
    /// let v: asyncio::ContextVar<i32> = asyncio::ContextVar::new("depth");
    /// assert_eq!(v.name(), "depth");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The default given to [`with_default`](Self::with_default).
    ///
    /// ```
    /// let v = asyncio::ContextVar::with_default("depth", 0);
    /// assert_eq!(v.default_value(), Some(&0));
    /// ```
    pub fn default_value(&self) -> Option<&T> {
        self.default.as_ref()
    }

    pub(crate) fn id(&self) -> u64 {
        *self.id.get_or_init(|| VAR_IDS.next())
    }
}

impl<T: Clone + Send + Sync + 'static> ContextVar<T> {
    /// The value in the current context, else the variable's default, else `None`
    /// (Python's `var.get()`, with `None` for its `LookupError`).
    ///
    /// ```
    /// let v = asyncio::ContextVar::with_default("v", "default");
    /// assert_eq!(v.get(), Some("default"));
    /// v.set("set");
    /// assert_eq!(v.get(), Some("set"));
    /// ```
    pub fn get(&self) -> Option<T> {
        match self.value() {
            Some(value) => Some(value),
            None => self.default.clone(),
        }
    }

    /// The value in the current context, else `default` (Python's `var.get(default)`:
    /// the given default wins over the variable's own).
    ///
    /// ```
    /// let v = asyncio::ContextVar::with_default("v", 1);
    /// assert_eq!(v.get_or(2), 2);
    /// v.set(3);
    /// assert_eq!(v.get_or(2), 3);
    /// ```
    pub fn get_or(&self, default: T) -> T {
        self.value().unwrap_or(default)
    }

    /// The value set in the current context (not the default).
    fn value(&self) -> Option<T> {
        // Cloned after the context's borrow is released: `T::clone` is user code.
        let value = current::read(self.id())?;
        value.downcast_ref::<T>().cloned()
    }

    /// Sets the value in the current context (Python's `var.set(value)`); the returned
    /// [`Token`] undoes it with [`reset`](Self::reset).
    ///
    /// Inside a task this changes the task's own context: its creator and the tasks it
    /// created before are unaffected; tasks it creates afterwards inherit the value.
    ///
    /// ```
    /// let v = asyncio::ContextVar::new("v");
    /// let token = v.set(10);
    /// assert_eq!(v.get(), Some(10));
    /// v.reset(&token).unwrap();
    /// assert_eq!(v.get(), None);
    /// ```
    pub fn set(&self, value: T) -> Token<T> {
        let value: Value = StdArc::new(value);
        let Written { old, context } = current::write(self.id(), Some(value), None)
            .expect("an unconditional write always writes");
        Token {
            var: self.id(),
            var_name: self.name,
            context,
            old,
            used: AtomicBool::new(false),
            _type: PhantomData,
        }
    }

    /// Restores the value the variable had before the `set` that made `token` (or
    /// removes it, if it had none): Python's `var.reset(token)`.
    ///
    /// # Errors
    /// In Python's order of checks: [`ContextError::TokenUsed`] if a `reset` used the
    /// token already, [`ContextError::DifferentVar`] if another variable made it,
    /// [`ContextError::DifferentContext`] if it was made in another context (another
    /// task's, or a `Context::run` of another context). Nothing changes then.
    ///
    /// ```
    /// use asyncio::contextvars::{ContextError, ContextVar};
    /// let a = ContextVar::new("a");
    /// let b = ContextVar::new("b");
    /// let token = a.set(1);
    /// assert_eq!(b.reset(&token), Err(ContextError::DifferentVar));
    /// assert_eq!(a.reset(&token), Ok(()));
    /// assert_eq!(a.reset(&token), Err(ContextError::TokenUsed));
    /// ```
    pub fn reset(&self, token: &Token<T>) -> Result<(), ContextError> {
        if token.used.load(Ordering::Relaxed) {
            return Err(ContextError::TokenUsed);
        }
        if token.var != self.id() {
            return Err(ContextError::DifferentVar);
        }
        if !current::is_current(token.context) {
            return Err(ContextError::DifferentContext);
        }
        if token.used.swap(true, Ordering::Relaxed) {
            return Err(ContextError::TokenUsed);
        }
        match current::write(self.id(), token.old.clone(), Some(token.context)) {
            Some(_) => Ok(()),
            None => {
                token.used.store(false, Ordering::Relaxed);
                Err(ContextError::DifferentContext)
            }
        }
    }
}

impl<T> fmt::Debug for ContextVar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextVar")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
