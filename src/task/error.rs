//! The errors a task can end with: asyncio's "exception" of a task.
//!
//! A task ends in one of four ways: it returns a value, it is cancelled
//! ([`CancelledError`], defined in `cancel/`), its future panics ([`PanicError`]), or it
//! raises: it ends with the `Err` of a `Result` output ([`Exception`], see
//! `exception.rs` and `output.rs`). Awaiting a [`Task<T>`](crate::Task) yields
//! `Result<T, TaskError>`; a panic and an `Err` are both the task's *exception*.

use crate::loom::StdArc as Arc;
use std::any::Any;
use std::fmt;

use crate::loom::Mutex;
use crate::task::cancel::CancelledError;
use crate::task::exception::Exception;

/// Why a task did not return a value: asyncio's task "exception".
///
/// ```
/// let out = asyncio::run(async {
///     let t = asyncio::create_task(async { if true { panic!("boom") } });
///     t.await
/// });
/// match out {
///     Err(asyncio::TaskError::Panicked(p)) => assert_eq!(p.message(), "boom"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Clone, Debug)]
pub enum TaskError {
    /// The task was cancelled (asyncio's `CancelledError`).
    Cancelled(CancelledError),
    /// The task's future panicked; the panic is its exception.
    Panicked(PanicError),
    /// The task raised: its output was the `Err(e)` of a `Result` (or the error was set
    /// with [`Future::set_exception`](crate::Future::set_exception)). `e` is kept with
    /// its type: see [`Exception::downcast_ref`].
    Exception(Exception),
}

impl TaskError {
    /// `true` for [`TaskError::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled(_))
    }

    /// `true` for [`TaskError::Panicked`].
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }

    /// `true` for [`TaskError::Exception`].
    pub fn is_exception(&self) -> bool {
        matches!(self, TaskError::Exception(_))
    }

    /// `true` for what asyncio calls the task's exception: a panic or a raised error
    /// (everything but a cancellation).
    pub fn is_failure(&self) -> bool {
        !self.is_cancelled()
    }

    /// The raised error as an `E`, if this is a [`TaskError::Exception`] holding one.
    ///
    /// ```
    /// let err = asyncio::run(async {
    ///     asyncio::create_task(async { Err::<(), _>(std::fmt::Error) }).await.unwrap_err()
    /// });
    /// assert!(err.downcast_ref::<std::fmt::Error>().is_some());
    /// ```
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            TaskError::Exception(e) => e.downcast_ref::<E>(),
            _ => None,
        }
    }

    /// The same error, with any cancellation untracked: returning it from a task does
    /// not make that task end cancelled (see [`CancelledError::untracked`]).
    pub fn untracked(&self) -> TaskError {
        match self {
            TaskError::Cancelled(c) => TaskError::Cancelled(c.untracked()),
            other => other.clone(),
        }
    }

    /// The cancellation, if this is one.
    pub fn as_cancelled(&self) -> Option<&CancelledError> {
        match self {
            TaskError::Cancelled(c) => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled(c) => fmt::Display::fmt(c, f),
            TaskError::Panicked(p) => fmt::Display::fmt(p, f),
            TaskError::Exception(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for TaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TaskError::Cancelled(c) => Some(c),
            TaskError::Panicked(p) => Some(p),
            // Transparent: the raised error's own cause comes next.
            TaskError::Exception(e) => e.source(),
        }
    }
}

impl From<CancelledError> for TaskError {
    fn from(c: CancelledError) -> Self {
        TaskError::Cancelled(c)
    }
}

impl From<Exception> for TaskError {
    fn from(e: Exception) -> Self {
        TaskError::Exception(e)
    }
}

/// For `?` in I/O code: a cancellation stays a cancellation (the `io::Error` carries the
/// `CancelledError`, so propagating it still ends the task cancelled, see
/// [`CancelledError::from_io`]); an exception or a panic becomes an `io::Error` of kind
/// `Other` wrapping this error.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::create_task(async { Ok::<_, std::io::Error>(7) });
///     let v: std::io::Result<i32> = async { Ok(t.await?) }.await;
///     assert_eq!(v.unwrap(), 7);
/// });
/// ```
impl From<TaskError> for std::io::Error {
    fn from(e: TaskError) -> Self {
        match e {
            TaskError::Cancelled(c) => c.into(),
            other => std::io::Error::other(other),
        }
    }
}

/// A panic caught at a task boundary.
///
/// Cheap to clone (shared); the original payload can be taken out once with
/// [`PanicError::take_payload`] to resume the unwind.
///
/// ```
/// let err = asyncio::run(async {
///     asyncio::create_task(async { if true { panic!("bad input") } }).await.unwrap_err()
/// });
/// let asyncio::TaskError::Panicked(p) = err else { unreachable!() };
/// assert_eq!(p.message(), "bad input");
/// ```
#[derive(Clone)]
pub struct PanicError {
    inner: Arc<PanicInner>,
}

struct PanicInner {
    message: String,
    payload: Mutex<Option<Box<dyn Any + Send + 'static>>>,
}

impl PanicError {
    pub(crate) fn new(payload: Box<dyn Any + Send + 'static>) -> PanicError {
        let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "Box<dyn Any>".to_owned()
        };
        PanicError {
            inner: Arc::new(PanicInner {
                message,
                payload: Mutex::new(Some(payload)),
            }),
        }
    }

    /// The panic message (`"Box<dyn Any>"` when the payload is not a string).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Takes the original panic payload, for `std::panic::resume_unwind`. Returns `None`
    /// if a clone of this error already took it.
    pub fn take_payload(&self) -> Option<Box<dyn Any + Send + 'static>> {
        self.inner.payload.lock().take()
    }

    /// Resumes unwinding with the original payload (or the message if it was taken).
    pub fn resume_unwind(self) -> ! {
        match self.take_payload() {
            Some(payload) => std::panic::resume_unwind(payload),
            None => std::panic::resume_unwind(Box::new(self.inner.message.clone())),
        }
    }

    /// `true` if both values are clones of one caught panic.
    pub fn same_panic(&self, other: &PanicError) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PanicError")
            .field(&self.inner.message)
            .finish()
    }
}

impl fmt::Display for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task panicked: {}", self.inner.message)
    }
}

impl std::error::Error for PanicError {}

/// An operation was called in a state that does not allow it (asyncio's
/// `InvalidStateError`), e.g. `result()` on a pending task.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::create_task(asyncio::sleep(std::time::Duration::from_secs(60)));
///     let err = t.task_ref().exception().unwrap_err();
///     assert_eq!(err.to_string(), "invalid state: Result is not set.");
///     t.cancel(None);
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidStateError {
    what: &'static str,
}

impl InvalidStateError {
    pub(crate) const fn new(what: &'static str) -> Self {
        InvalidStateError { what }
    }

    /// What was wrong, in asyncio's words.
    pub fn reason(&self) -> &'static str {
        self.what
    }
}

impl fmt::Display for InvalidStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid state: {}", self.what)
    }
}

impl std::error::Error for InvalidStateError {}

/// An operation needed a running runtime and found none, or found it shut down
/// (asyncio's `RuntimeError: no running event loop`).
///
/// ```
/// let err = asyncio::get_running_loop().unwrap_err();
/// assert!(err.to_string().contains("no running event loop"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeError {
    what: &'static str,
}

impl RuntimeError {
    pub(crate) const fn new(what: &'static str) -> Self {
        RuntimeError { what }
    }

    pub(crate) const NO_RUNNING_LOOP: RuntimeError = RuntimeError::new(
        "no running event loop: call this from a task of an asyncio runtime, \
         or use Handle::create_task / run_coroutine_threadsafe from other threads",
    );
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

impl std::error::Error for RuntimeError {}

/// A deadline passed (asyncio's `TimeoutError`).
///
/// The `TimeoutError` of a [`timeout`](crate::timeout) scope, of
/// [`timeout_at`](crate::timeout_at) and of [`wait_for`](crate::wait_for) replaces the
/// cancellation the scope made and took back; that `CancelledError` is its
/// [`source()`](std::error::Error::source) (asyncio: `raise TimeoutError from exc`). It is
/// kept *untracked*: returning the `TimeoutError` from a task does not make that task end
/// cancelled. A `TimeoutError` that replaced nothing (a blocking wait that timed out,
/// [`TimeoutError::new`]) has no source.
///
/// Two `TimeoutError`s are equal whatever their sources (as `CancelledError`'s equality
/// ignores tracking): equality says which error it is, `source()` says why.
///
/// ```
/// use std::error::Error;
/// let e = asyncio::TimeoutError::new();
/// assert_eq!(e.to_string(), "TimeoutError");
/// assert!(e.source().is_none());
///
/// let e = asyncio::run(async {
///     asyncio::timeout(Some(std::time::Duration::ZERO))
///         .run(asyncio::sleep(std::time::Duration::from_secs(60)))
///         .await
///         .unwrap_err()
/// });
/// assert_eq!(e, asyncio::TimeoutError::new());
/// assert!(e.source().unwrap().is::<asyncio::CancelledError>());
/// assert!(!e.cancelled_error().unwrap().is_tracked());
/// ```
#[derive(Debug, Clone, Default)]
pub struct TimeoutError {
    /// The cancellation this error replaced, untracked.
    source: Option<CancelledError>,
}

impl TimeoutError {
    /// A new `TimeoutError` without a source.
    pub fn new() -> Self {
        TimeoutError { source: None }
    }

    /// A `TimeoutError` that replaces `cancelled` (kept as an untracked copy).
    pub(crate) fn from_cancelled(cancelled: &CancelledError) -> Self {
        TimeoutError {
            source: Some(cancelled.untracked()),
        }
    }

    /// The cancellation this error replaced (its [`source()`](std::error::Error::source)),
    /// if any.
    pub fn cancelled_error(&self) -> Option<&CancelledError> {
        self.source.as_ref()
    }
}

impl PartialEq for TimeoutError {
    /// Always `true`: the sources are not compared (see the type's docs).
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for TimeoutError {}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TimeoutError")
    }
}

impl std::error::Error for TimeoutError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}
