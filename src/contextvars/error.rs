//! `ContextError`: what `ContextVar::reset` and `Context::run` return instead of raising.

use std::fmt;

/// Why [`ContextVar::reset`](super::ContextVar::reset) or
/// [`Context::run`](super::Context::run) did nothing (Python raises `RuntimeError` or
/// `ValueError` there).
///
/// ```
/// use asyncio::contextvars::{ContextError, ContextVar};
///
/// let var = ContextVar::new("request_id");
/// let token = var.set(7);
/// assert_eq!(var.reset(&token), Ok(()));
/// assert_eq!(var.reset(&token), Err(ContextError::TokenUsed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContextError {
    /// The token was already used by a `reset` (Python: `RuntimeError`, "has already
    /// been used once").
    TokenUsed,
    /// The token was made by another `ContextVar` (Python: `ValueError`, "was created by
    /// a different ContextVar").
    DifferentVar,
    /// The token was made in another context (Python: `ValueError`, "was created in a
    /// different Context").
    DifferentContext,
    /// `Context::run` on a context already entered by a `run` (Python: `RuntimeError`,
    /// "cannot enter context: ... is already entered").
    AlreadyEntered,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::TokenUsed => "Token has already been used once",
            ContextError::DifferentVar => "Token was created by a different ContextVar",
            ContextError::DifferentContext => "Token was created in a different Context",
            ContextError::AlreadyEntered => "cannot enter context: it is already entered",
        })
    }
}

impl std::error::Error for ContextError {}
