//! The errors of the stream readers: [`StreamError`] and the two asyncio exceptions it
//! carries, [`IncompleteReadError`] and [`LimitOverrunError`].

use std::fmt;
use std::io;

use bytes::Bytes;

use crate::sync::ValueError;
use crate::CancelledError;

/// EOF came before the read was complete (asyncio's `asyncio.IncompleteReadError`).
///
/// `partial` holds every byte the read had taken from the buffer: nothing is lost.
///
/// ```
/// asyncio::run(async {
///     let mut reader = asyncio::StreamReader::new();
///     reader.feed_data(b"abc");
///     reader.feed_eof();
///     let err = reader.readexactly(5).await.unwrap_err();
///     let asyncio::streams::StreamError::IncompleteRead(e) = err else { panic!() };
///     assert_eq!((&e.partial[..], e.expected), (&b"abc"[..], Some(5)));
///     assert_eq!(e.to_string(), "3 bytes read on a total of 5 expected bytes");
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// The bytes read before EOF.
    pub partial: Bytes,
    /// How many were wanted (`None` for [`readuntil`](super::StreamReader::readuntil),
    /// as asyncio's `expected=None`).
    pub expected: Option<usize>,
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(n) => write!(
                f,
                "{} bytes read on a total of {n} expected bytes",
                self.partial.len()
            ),
            None => write!(
                f,
                "{} bytes read on a total of undefined expected bytes",
                self.partial.len()
            ),
        }
    }
}

impl std::error::Error for IncompleteReadError {}

/// The separator was not found within the reader's limit (asyncio's
/// `asyncio.LimitOverrunError`). The data stays in the reader's buffer.
///
/// ```
/// asyncio::run(async {
///     let mut reader = asyncio::StreamReader::with_limit(4).unwrap();
///     reader.feed_data(b"abcdefgh\n");
///     let err = reader.readuntil(b"\n").await.unwrap_err();
///     let asyncio::streams::StreamError::LimitOverrun(e) = err else { panic!() };
///     assert_eq!(e.consumed, 8);
///     // Still there:
///     assert_eq!(&reader.read(100).await.unwrap()[..], b"abcdefgh\n");
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrunError {
    message: &'static str,
    /// How many bytes of the buffer were examined (asyncio's `consumed`): where the
    /// separator starts, or how far it was searched for.
    pub consumed: usize,
}

impl LimitOverrunError {
    pub(crate) fn new(message: &'static str, consumed: usize) -> Self {
        LimitOverrunError { message, consumed }
    }

    /// asyncio's message: `"Separator is not found, and chunk exceed the limit"` or
    /// `"Separator is found, but chunk is longer than limit"`.
    pub fn message(&self) -> &'static str {
        self.message
    }
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for LimitOverrunError {}

/// The error of [`StreamReader`](super::StreamReader)'s parsing reads.
///
/// Converts into `io::Error` (so `?` works in functions returning `io::Result`):
/// [`Io`](Self::Io) is the original error unchanged (a cancellation stays findable with
/// [`CancelledError::from_io`]); the others become an `io::Error` of kind
/// `UnexpectedEof` ([`IncompleteRead`](Self::IncompleteRead)), `InvalidData`
/// ([`LimitOverrun`](Self::LimitOverrun)) or `InvalidInput` ([`Value`](Self::Value))
/// wrapping the original, which `get_ref()?.downcast_ref()` gives back.
///
/// ```
/// async fn first_line(reader: &mut asyncio::StreamReader) -> std::io::Result<Vec<u8>> {
///     Ok(reader.readexactly(4).await?.to_vec())
/// }
/// asyncio::run(async {
///     let mut reader = asyncio::StreamReader::new();
///     reader.feed_data(b"ab");
///     reader.feed_eof();
///     let err = first_line(&mut reader).await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
///     let inner = err.get_ref().unwrap();
///     let incomplete = inner.downcast_ref::<asyncio::streams::IncompleteReadError>().unwrap();
///     assert_eq!(&incomplete.partial[..], b"ab");
/// });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError {
    /// The socket failed, or the task was cancelled (an `io::Error` wrapping the
    /// [`CancelledError`]; see [`as_cancelled`](Self::as_cancelled)).
    Io(io::Error),
    /// EOF before the read was complete.
    IncompleteRead(IncompleteReadError),
    /// The separator was not found within the limit; the data stays buffered.
    LimitOverrun(LimitOverrunError),
    /// A bad argument (an empty separator), or [`readline`](super::StreamReader::readline)'s
    /// `ValueError` on a line over the limit (asyncio's exact behaviour).
    Value(ValueError),
}

impl StreamError {
    /// The task's cancellation, if that is what interrupted the read.
    ///
    /// ```
    /// let err = asyncio::streams::StreamError::from(std::io::Error::from(
    ///     asyncio::CancelledError::new(Some("stop")),
    /// ));
    /// assert_eq!(err.as_cancelled().unwrap().message(), Some("stop"));
    /// ```
    pub fn as_cancelled(&self) -> Option<&CancelledError> {
        match self {
            StreamError::Io(e) => CancelledError::from_io(e),
            _ => None,
        }
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Io(e) => fmt::Display::fmt(e, f),
            StreamError::IncompleteRead(e) => fmt::Display::fmt(e, f),
            StreamError::LimitOverrun(e) => fmt::Display::fmt(e, f),
            StreamError::Value(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Io(e) => Some(e),
            StreamError::IncompleteRead(e) => Some(e),
            StreamError::LimitOverrun(e) => Some(e),
            StreamError::Value(e) => Some(e),
        }
    }
}

impl From<io::Error> for StreamError {
    fn from(e: io::Error) -> Self {
        StreamError::Io(e)
    }
}

impl From<IncompleteReadError> for StreamError {
    fn from(e: IncompleteReadError) -> Self {
        StreamError::IncompleteRead(e)
    }
}

impl From<LimitOverrunError> for StreamError {
    fn from(e: LimitOverrunError) -> Self {
        StreamError::LimitOverrun(e)
    }
}

impl From<ValueError> for StreamError {
    fn from(e: ValueError) -> Self {
        StreamError::Value(e)
    }
}

impl From<StreamError> for io::Error {
    fn from(e: StreamError) -> io::Error {
        match e {
            StreamError::Io(e) => e,
            StreamError::IncompleteRead(e) => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            StreamError::LimitOverrun(e) => io::Error::new(io::ErrorKind::InvalidData, e),
            StreamError::Value(e) => io::Error::new(io::ErrorKind::InvalidInput, e),
        }
    }
}

/// A connection error kept to be reported again (asyncio keeps the exception object;
/// an `io::Error` is not `Clone`, so its code or kind and message are kept).
#[derive(Debug, Clone)]
pub(crate) struct SavedError {
    kind: io::ErrorKind,
    os: Option<i32>,
    message: String,
}

impl SavedError {
    pub(crate) fn new(e: &io::Error) -> Self {
        SavedError {
            kind: e.kind(),
            os: e.raw_os_error(),
            message: e.to_string(),
        }
    }

    pub(crate) fn to_io(&self) -> io::Error {
        match self.os {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(self.kind, self.message.clone()),
        }
    }
}

/// `true` if `e` is a task's cancellation delivered at an I/O await point.
pub(crate) fn is_cancellation(e: &io::Error) -> bool {
    CancelledError::from_io(e).is_some()
}
