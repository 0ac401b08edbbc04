//! [`Exception`]: an error raised by a task or set on a future, with its type erased.
//!
//! ## The exception model (asyncio's `raise` / `except`, docs/design.md §9)
//! A task's *exception* is either a panic ([`PanicError`]) or the `Err(e)` of a task whose
//! output is `Result<T, E>` (see `output.rs`). Both end up in one [`TaskError`]:
//!
//! | the task ends with | its outcome |
//! |---|---|
//! | `Ok(v)` / a plain value `v` | `Ok(v)` |
//! | a panic | `Err(TaskError::Panicked(..))` |
//! | `Err(e)`, `e` a `CancelledError` (or an `io::Error` / `TaskError` carrying one) | `Err(TaskError::Cancelled(..))`: the task ends *cancelled* with that message |
//! | `Err(e)`, `e` a `TaskError` | that same error, re-raised as is |
//! | `Err(e)`, any other error | `Err(TaskError::Exception(Exception::new(e)))` |
//!
//! An [`Exception`] is shared (`Clone` is a reference count), keeps the error's type
//! ([`downcast_ref`](Exception::downcast_ref), [`downcast`](Exception::downcast)), its
//! `Display` and its `source()` chain (through `Deref` to `dyn Error`). Like
//! `anyhow::Error` it is not itself a `std::error::Error`, so that every error converts
//! into it with `?` (`From<E: Error>`): `Result<T, asyncio::Exception>` is the Rust
//! spelling of "a coroutine that may raise anything".

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::ops::Deref;

use crate::loom::StdArc as Arc;
use crate::task::cancel::CancelledError;
use crate::task::error::{PanicError, TaskError};

/// An error raised by a task (its `Err`) or set on a future, with its type erased.
///
/// Cheap to clone; clones are the same exception ([`same_as`](Exception::same_as)).
///
/// ```
/// #[derive(Debug)]
/// struct NotFound(&'static str);
/// impl std::fmt::Display for NotFound {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "{} not found", self.0)
///     }
/// }
/// impl std::error::Error for NotFound {}
///
/// let err = asyncio::run(async {
///     asyncio::create_task(async { Err::<u32, _>(NotFound("key")) }).await.unwrap_err()
/// });
/// let asyncio::TaskError::Exception(e) = err else { unreachable!() };
/// assert_eq!(e.to_string(), "key not found");
/// assert_eq!(e.downcast_ref::<NotFound>().unwrap().0, "key");
/// ```
#[derive(Clone)]
pub struct Exception {
    error: Arc<dyn Error + Send + Sync + 'static>,
}

impl Exception {
    /// Wraps `error`. An `Exception` wrapped in a `TaskError` is taken out, not wrapped
    /// again, so re-raising keeps its identity.
    pub fn new<E>(error: E) -> Exception
    where
        E: Error + Send + Sync + 'static,
    {
        let mut slot = Some(error);
        if let Some(t) = (&mut slot as &mut dyn Any).downcast_mut::<Option<TaskError>>() {
            if let Some(TaskError::Exception(e)) = t.take_if(|t| t.is_exception()) {
                return e;
            }
        }
        let error = slot.expect("only an Exception variant is taken out");
        Exception {
            error: Arc::new(error),
        }
    }

    /// An exception carrying only a message (Python's `raise Exception("...")`).
    ///
    /// ```
    /// let e = asyncio::Exception::msg("bad state");
    /// assert_eq!(e.to_string(), "bad state");
    /// ```
    pub fn msg(message: impl Into<String>) -> Exception {
        Exception::new(MessageError(message.into()))
    }

    /// `true` if the error is an `E`.
    pub fn is<E: Error + 'static>(&self) -> bool {
        self.error.is::<E>()
    }

    /// The error as an `E`, if it is one.
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.error.downcast_ref::<E>()
    }

    /// The error by value, if it is an `E` and this is its only handle; otherwise the
    /// exception back.
    ///
    /// ```
    /// let e = asyncio::Exception::new(std::fmt::Error);
    /// let e = e.downcast::<std::io::Error>().unwrap_err(); // not an io::Error
    /// assert!(e.downcast::<std::fmt::Error>().is_ok());
    /// ```
    pub fn downcast<E: Error + Send + Sync + 'static>(self) -> Result<E, Exception> {
        if !self.error.is::<E>() || Arc::strong_count(&self.error) != 1 {
            return Err(self);
        }
        let raw = Arc::into_raw(self.error) as *const E;
        // SAFETY: the allocation holds an `E` (checked by `is::<E>` above) and `raw` came
        // from `Arc::into_raw` of that allocation; casting the fat pointer to `*const E`
        // keeps its address, so this rebuilds the `Arc` with its concrete type.
        let arc = unsafe { Arc::from_raw(raw) };
        Arc::try_unwrap(arc).map_err(|arc| Exception { error: arc })
    }

    /// The error itself.
    pub fn as_error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.error
    }

    /// `true` if both are handles of one exception (Python's `is`).
    pub fn same_as(&self, other: &Exception) -> bool {
        Arc::ptr_eq(&self.error, &other.error)
    }
}

impl Deref for Exception {
    type Target = dyn Error + Send + Sync + 'static;
    fn deref(&self) -> &Self::Target {
        &*self.error
    }
}

impl<E> From<E> for Exception
where
    E: Error + Send + Sync + 'static,
{
    fn from(error: E) -> Exception {
        Exception::new(error)
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.error, f)
    }
}

impl fmt::Debug for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.error, f)
    }
}

/// The error of [`Exception::msg`].
#[derive(Debug)]
struct MessageError(String);

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for MessageError {}

mod sealed {
    pub trait Sealed {}
}

/// What the `Err` of a task's `Result` output may be: any `std::error::Error + Send +
/// Sync + 'static`, or an [`Exception`]. Sealed: it is implemented for exactly those.
///
/// `Box<dyn Error + Send + Sync>` is not an `Error` (a limit of std); use
/// [`Exception`] for "any error" (`?` converts every error into it).
pub trait IntoException: sealed::Sealed + Send + 'static {
    /// The task error this `Err` stands for (see the table in the module docs).
    #[doc(hidden)]
    fn into_task_error(self) -> TaskError;
}

impl<E: Error + Send + Sync + 'static> sealed::Sealed for E {}
impl sealed::Sealed for Exception {}

impl<E: Error + Send + Sync + 'static> IntoException for E {
    fn into_task_error(self) -> TaskError {
        classify(self)
    }
}

impl IntoException for Exception {
    fn into_task_error(self) -> TaskError {
        TaskError::Exception(self)
    }
}

/// Sorts an error into cancellation, a re-raised task error, a panic or an exception,
/// by its type (no allocation for the first three).
fn classify<E: Error + Send + Sync + 'static>(error: E) -> TaskError {
    let mut slot = Some(error);
    let any = &mut slot as &mut dyn Any;
    if let Some(t) = any.downcast_mut::<Option<TaskError>>() {
        return t.take().expect("filled above");
    }
    if let Some(c) = any.downcast_mut::<Option<CancelledError>>() {
        return TaskError::Cancelled(c.take().expect("filled above"));
    }
    if let Some(p) = any.downcast_mut::<Option<PanicError>>() {
        return TaskError::Panicked(p.take().expect("filled above"));
    }
    if let Some(io) = any.downcast_mut::<Option<std::io::Error>>() {
        let io = io.take().expect("filled above");
        if CancelledError::from_io(&io).is_some() {
            let inner = io
                .into_inner()
                .expect("an io::Error carrying a cancellation");
            let c = inner
                .downcast::<CancelledError>()
                .expect("from_io checked the type");
            return TaskError::Cancelled(*c);
        }
        return TaskError::Exception(Exception::new(io));
    }
    TaskError::Exception(Exception::new(slot.expect("not taken")))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("inner")
        }
    }
    impl Error for Inner {}

    #[derive(Debug)]
    struct Outer(Inner);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("outer")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn keeps_type_display_and_source_chain() {
        let e = Exception::new(Outer(Inner));
        assert_eq!(e.to_string(), "outer");
        assert!(e.is::<Outer>());
        assert_eq!(e.source().unwrap().to_string(), "inner");
        let clone = e.clone();
        assert!(clone.same_as(&e));
        let e = e.downcast::<Outer>().unwrap_err(); // two handles: not moved out
        drop(clone);
        assert!(e.downcast::<Outer>().is_ok());
    }

    #[test]
    fn classifies_cancellations_task_errors_and_panics() {
        let c = CancelledError::new(Some("m"));
        assert!(matches!(c.into_task_error(), TaskError::Cancelled(c) if c.message() == Some("m")));
        let io: std::io::Error = CancelledError::new(Some("io")).into();
        assert!(io.into_task_error().is_cancelled());
        let e = Exception::new(Inner);
        let again = TaskError::Exception(e.clone()).into_task_error();
        assert!(matches!(again, TaskError::Exception(x) if x.same_as(&e)));
        assert!(Exception::new(TaskError::Exception(e.clone())).same_as(&e));
        assert!(matches!(Inner.into_task_error(), TaskError::Exception(x) if x.is::<Inner>()));
    }
}
