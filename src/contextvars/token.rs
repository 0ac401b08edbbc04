//! `Token`: what `ContextVar::set` returns, to undo that `set` with `reset`.

use std::fmt;
use std::marker::PhantomData;

use crate::contextvars::vars::Value;
use crate::loom::sync::atomic::{AtomicBool, Ordering};

/// Undoes one [`ContextVar::set`](super::ContextVar::set) (Python's `contextvars.Token`).
///
/// Usable once, with the variable that made it, in the context it was made in;
/// [`ContextVar::reset`](super::ContextVar::reset) says which rule was broken otherwise.
///
/// ```
/// use asyncio::contextvars::ContextVar;
///
/// static LOCALE: ContextVar<&str> = ContextVar::with_default("locale", "en");
/// let token = LOCALE.set("fr");
/// assert_eq!(token.old_value(), None); // Token.MISSING: it was not set before
/// assert_eq!(LOCALE.get(), Some("fr"));
/// LOCALE.reset(&token).unwrap();
/// assert_eq!(LOCALE.get(), Some("en"));
/// assert!(token.used());
/// ```
pub struct Token<T> {
    pub(crate) var: u64,
    pub(crate) var_name: &'static str,
    pub(crate) context: u64,
    pub(crate) old: Option<Value>,
    /// Set by the `reset` that uses the token. A flag only (the reset's effect is on the
    /// context, not published through it): Relaxed suffices; the swap makes one `reset`
    /// win when two race.
    pub(crate) used: AtomicBool,
    pub(crate) _type: PhantomData<fn() -> T>,
}

impl<T: Clone + 'static> Token<T> {
    /// The variable's value before the `set` (Python's `Token.old_value`); `None` for
    /// `Token.MISSING`: it had no value in that context (its default does not count).
    ///
    /// ```
    /// use asyncio::contextvars::ContextVar;
    /// let var = ContextVar::new("n");
    /// var.set(1);
    /// let token = var.set(2);
    /// assert_eq!(token.old_value(), Some(1));
    /// ```
    pub fn old_value(&self) -> Option<T> {
        self.old
            .as_ref()
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }
}

impl<T> Token<T> {
    /// The name of the variable that made the token (Python's `Token.var`).
    ///
    /// ```
    /// use asyncio::contextvars::ContextVar;
    /// let var = ContextVar::new("user");
    /// assert_eq!(var.set("ann").var_name(), "user");
    /// ```
    pub fn var_name(&self) -> &'static str {
        self.var_name
    }

    /// `true` once a `reset` used the token.
    ///
    /// ```
    /// use asyncio::contextvars::ContextVar;
    /// let var = ContextVar::new("n");
    /// let token = var.set(1);
    /// assert!(!token.used());
    /// var.reset(&token).unwrap();
    /// assert!(token.used());
    /// ```
    pub fn used(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }
}

impl<T> fmt::Debug for Token<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("var", &self.var_name)
            .field("used", &self.used())
            .finish()
    }
}
