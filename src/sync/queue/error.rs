//! The errors of a queue's `get` and `put`: [`GetError`] and [`PutError`], which gives the
//! item back. Their unit parts ([`QueueEmpty`], [`QueueFull`], [`QueueShutDown`]) are
//! asyncio's exception classes and live with the other primitives' errors in
//! [`crate::sync`].

use std::fmt;

use crate::sync::{QueueEmpty, QueueFull, QueueShutDown};
use crate::task::cancel::CancelledError;

/// Why a `get` gave no item.
///
/// ```
/// let q = asyncio::Queue::<u8>::new(0);
/// let err = q.get_nowait().unwrap_err();
/// assert!(err.is_empty() && !err.is_shutdown() && err.as_cancelled().is_none());
/// q.shutdown(false);
/// assert!(q.get_nowait().unwrap_err().is_shutdown());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetError {
    /// `get_nowait()` on an empty queue (asyncio's `QueueEmpty`).
    Empty(QueueEmpty),
    /// The queue was shut down (and is empty, or was shut down immediately).
    ShutDown(QueueShutDown),
    /// The awaiting task was cancelled.
    Cancelled(CancelledError),
}

impl GetError {
    /// The cancellation, if this is one.
    ///
    /// ```
    /// let e = asyncio::GetError::from(asyncio::CancelledError::new(Some("stop")));
    /// assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
    /// ```
    pub fn as_cancelled(&self) -> Option<&CancelledError> {
        match self {
            GetError::Cancelled(c) => Some(c),
            _ => None,
        }
    }

    /// `true` for [`GetError::ShutDown`].
    ///
    /// ```
    /// let q = asyncio::Queue::<u8>::new(0);
    /// q.shutdown(true);
    /// assert!(q.get_nowait().unwrap_err().is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, GetError::ShutDown(_))
    }

    /// `true` for [`GetError::Empty`].
    ///
    /// ```
    /// assert!(asyncio::Queue::<u8>::new(0).get_nowait().unwrap_err().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, GetError::Empty(_))
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Empty(e) => fmt::Display::fmt(e, f),
            GetError::ShutDown(e) => fmt::Display::fmt(e, f),
            GetError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl std::error::Error for GetError {}

impl From<CancelledError> for GetError {
    fn from(c: CancelledError) -> Self {
        GetError::Cancelled(c)
    }
}

/// Why a `put` did not store its item; the item comes back in every case.
///
/// ```
/// let q = asyncio::Queue::new(1);
/// q.put_nowait("a").unwrap();
/// match q.put_nowait("b") {
///     Err(asyncio::PutError::Full(_, item)) => assert_eq!(item, "b"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum PutError<T> {
    /// `put_nowait()` on a full queue (asyncio's `QueueFull`).
    Full(QueueFull, T),
    /// The queue was shut down.
    ShutDown(QueueShutDown, T),
    /// The awaiting task was cancelled.
    Cancelled(CancelledError, T),
}

impl<T> PutError<T> {
    /// The item that was not put.
    ///
    /// ```
    /// let q = asyncio::Queue::new(0);
    /// q.shutdown(false);
    /// assert_eq!(q.put_nowait(5).unwrap_err().into_item(), 5);
    /// ```
    pub fn into_item(self) -> T {
        match self {
            PutError::Full(_, t) | PutError::ShutDown(_, t) | PutError::Cancelled(_, t) => t,
        }
    }

    /// The item that was not put.
    ///
    /// ```
    /// let q = asyncio::Queue::new(0);
    /// q.shutdown(false);
    /// assert_eq!(*q.put_nowait(5).unwrap_err().item(), 5);
    /// ```
    pub fn item(&self) -> &T {
        match self {
            PutError::Full(_, t) | PutError::ShutDown(_, t) | PutError::Cancelled(_, t) => t,
        }
    }

    /// The cancellation, if this is one.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let q = std::sync::Arc::new(asyncio::Queue::new(1));
    ///     q.put_nowait(0).unwrap();
    ///     let putter = {
    ///         let q = q.clone();
    ///         asyncio::create_task(async move {
    ///             // Full: waits, until cancelled; the error gives the item back.
    ///             let err = q.put(1).await.unwrap_err();
    ///             assert!(err.as_cancelled().is_some());
    ///             err.into_item()
    ///         })
    ///     };
    ///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
    ///     putter.cancel(None);
    ///     assert_eq!(putter.await.unwrap(), 1); // caught: the task returned the item
    /// });
    /// ```
    pub fn as_cancelled(&self) -> Option<&CancelledError> {
        match self {
            PutError::Cancelled(c, _) => Some(c),
            _ => None,
        }
    }

    /// `true` for [`PutError::ShutDown`].
    ///
    /// ```
    /// let q = asyncio::Queue::new(0);
    /// q.shutdown(false);
    /// assert!(q.put_nowait(1).unwrap_err().is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, PutError::ShutDown(..))
    }

    /// `true` for [`PutError::Full`].
    ///
    /// ```
    /// let q = asyncio::Queue::new(1);
    /// q.put_nowait(1).unwrap();
    /// assert!(q.put_nowait(2).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, PutError::Full(..))
    }

    /// The error without the item, e.g. to propagate it with `?` from a task whose
    /// output must be `Send` regardless of `T`.
    ///
    /// ```
    /// let q = asyncio::Queue::new(0);
    /// q.shutdown(false);
    /// let err: asyncio::PutError<()> = q.put_nowait(vec![1]).unwrap_err().without_item();
    /// assert!(err.is_shutdown());
    /// ```
    pub fn without_item(self) -> PutError<()> {
        match self {
            PutError::Full(e, _) => PutError::Full(e, ()),
            PutError::ShutDown(e, _) => PutError::ShutDown(e, ()),
            PutError::Cancelled(c, _) => PutError::Cancelled(c, ()),
        }
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(..) => f.write_str("Full(..)"),
            PutError::ShutDown(..) => f.write_str("ShutDown(..)"),
            PutError::Cancelled(c, _) => write!(f, "Cancelled({c:?}, ..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(e, _) => fmt::Display::fmt(e, f),
            PutError::ShutDown(e, _) => fmt::Display::fmt(e, f),
            PutError::Cancelled(c, _) => fmt::Display::fmt(c, f),
        }
    }
}

impl<T> std::error::Error for PutError<T> {}
