//! `CancelledError`: asyncio's cancellation, delivered as a value, and its tracking.
//!
//! A `CancelledError` handed to a task *about its own cancellation* is **tracked**: it
//! counts as a live token of that task until dropped. When the task's future completes,
//! a live token means the cancellation was propagated (kept in the output, typically with
//! `?`), and the task ends cancelled with the token's message. A token that was dropped
//! means the cancellation was caught: the task ends normally (asyncio's swallowed
//! cancellation). Cloning a tracked error makes another tracked token; errors collected
//! as values (`gather(..).return_exceptions()`, the done set of `wait`) are untracked.

use crate::loom::StdArc as Arc;
use std::fmt;

use crate::loom::sync::atomic::Ordering;
use crate::task::TaskRef;

/// The operation or task was cancelled (asyncio's `asyncio.CancelledError`).
///
/// Carries the optional message given to [`TaskRef::cancel`].
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let t = asyncio::create_task(async {
///         asyncio::sleep(Duration::from_secs(60)).await?;
///         Ok::<_, asyncio::CancelledError>(())
///     });
///     asyncio::sleep(Duration::ZERO).await.unwrap();
///     t.cancel(Some("stop"));
///     let err = t.await.unwrap_err();
///     assert_eq!(err.as_cancelled().unwrap().message(), Some("stop"));
/// });
/// ```
pub struct CancelledError {
    msg: Option<Arc<str>>,
    tracker: Option<TaskRef>,
}

impl CancelledError {
    /// An untracked cancellation with an optional message.
    pub fn new(msg: Option<&str>) -> CancelledError {
        CancelledError {
            msg: msg.map(Arc::from),
            tracker: None,
        }
    }

    pub(crate) fn from_shared(msg: Option<Arc<str>>) -> CancelledError {
        CancelledError { msg, tracker: None }
    }

    /// A token tracked by `task`: counts as a live token of it until dropped.
    pub(crate) fn tracked(msg: Option<Arc<str>>, task: TaskRef) -> CancelledError {
        {
            let header = task.header();
            let mut fields = header.fields();
            // The message the task ends with if this token is still alive at completion.
            // A pending request keeps its own: it is delivered later, as given to
            // `cancel()` (asyncio's `_cancel_message`), so this one goes aside.
            if header.state.load().is_must_cancel() {
                fields.name_and_completion().token_msg = Some(msg.clone());
            } else {
                fields.cancel.msg = msg.clone();
                if let Some(details) = fields.name_and_completion.as_mut() {
                    details.token_msg = None;
                }
            }
        }
        task.header().live_tokens.fetch_add(1, Ordering::AcqRel);
        CancelledError {
            msg,
            tracker: Some(task),
        }
    }

    /// The message given to `cancel`, if any.
    pub fn message(&self) -> Option<&str> {
        self.msg.as_deref()
    }

    pub(crate) fn shared_message(&self) -> Option<Arc<str>> {
        self.msg.clone()
    }

    /// The same cancellation as an untracked value: returning it does not cancel the
    /// task that holds it.
    pub fn untracked(&self) -> CancelledError {
        CancelledError::from_shared(self.msg.clone())
    }

    /// `true` if this value decides whether the task it was delivered to ends cancelled.
    pub fn is_tracked(&self) -> bool {
        self.tracker.is_some()
    }
}

impl Clone for CancelledError {
    fn clone(&self) -> Self {
        match &self.tracker {
            Some(task) => CancelledError::tracked(self.msg.clone(), task.clone()),
            None => CancelledError::from_shared(self.msg.clone()),
        }
    }
}

impl Drop for CancelledError {
    fn drop(&mut self) {
        if let Some(task) = self.tracker.take() {
            let prev = task.header().live_tokens.fetch_sub(1, Ordering::AcqRel);
            debug_assert!(prev > 0);
        }
    }
}

impl PartialEq for CancelledError {
    /// Equal when the messages are equal (tracking is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.msg == other.msg
    }
}

impl Eq for CancelledError {}

impl Default for CancelledError {
    fn default() -> Self {
        CancelledError::new(None)
    }
}

impl fmt::Debug for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CancelledError");
        d.field("msg", &self.msg.as_deref());
        if let Some(t) = &self.tracker {
            d.field("tracked_by", &t.id());
        }
        d.finish()
    }
}

impl fmt::Display for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.msg {
            Some(m) => write!(f, "CancelledError: {m}"),
            None => f.write_str("CancelledError"),
        }
    }
}

impl std::error::Error for CancelledError {}

/// A cancellation delivered at an I/O await point (`asyncio::net`, the streams) travels
/// as an `io::Error` of kind [`Other`](std::io::ErrorKind::Other) wrapping the
/// `CancelledError`. It stays tracked inside: propagating the `io::Error` with `?` ends
/// the task cancelled, as propagating the `CancelledError` would.
impl From<CancelledError> for std::io::Error {
    fn from(err: CancelledError) -> std::io::Error {
        std::io::Error::other(err)
    }
}

impl CancelledError {
    /// The cancellation inside an `io::Error` returned by an I/O await point, if that is
    /// what it is.
    ///
    /// ```
    /// let err: std::io::Error = asyncio::CancelledError::new(Some("bye")).into();
    /// assert_eq!(asyncio::CancelledError::from_io(&err).unwrap().message(), Some("bye"));
    /// assert!(asyncio::CancelledError::from_io(&std::io::ErrorKind::BrokenPipe.into()).is_none());
    /// ```
    pub fn from_io(err: &std::io::Error) -> Option<&CancelledError> {
        err.get_ref()?.downcast_ref::<CancelledError>()
    }
}
