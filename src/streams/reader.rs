//! [`StreamReader`]: asyncio's `StreamReader`, pulling from its socket into a buffer it
//! owns.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};

use crate::loom::sync::Arc;
use crate::net::cancel_point;
use crate::streams::conn::Conn;
use crate::streams::error::{is_cancellation, IncompleteReadError, LimitOverrunError, StreamError};
use crate::sync::ValueError;

/// asyncio's default reader limit: 64 KiB (`2 ** 16`).
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// Bytes taken from the socket per `recv(2)`.
const READ_CHUNK: usize = 64 * 1024;

thread_local! {
    /// Where `recv(2)` writes before the bytes are appended to a reader's buffer: one
    /// initialised block per thread instead of one per connection (10,000 idle
    /// connections then cost no 64 KiB each), and no `unsafe` reads into uninitialised
    /// spare capacity.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}

/// The reading half of a stream connection (asyncio's `asyncio.StreamReader`).
///
/// Every method serves from the reader's own buffer first and only then reads the
/// socket into that buffer; no method's future holds bytes, so a read that is
/// cancelled (its future dropped, a timeout, `task.cancel()` delivered as an
/// `io::Error`) loses nothing: what arrived is there for the next call. The methods
/// take `&mut self`: one task reads a stream at a time, as asyncio requires.
///
/// A reader made with [`new`](Self::new) has no socket: [`feed_data`](Self::feed_data)
/// and [`feed_eof`](Self::feed_eof) fill it (asyncio's own tests use it so). Waiting
/// for more data on such a reader waits until the task is cancelled.
///
/// ```
/// asyncio::run(async {
///     let mut reader = asyncio::StreamReader::new();
///     reader.feed_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody");
///     reader.feed_eof();
///     assert_eq!(&reader.readuntil(b"\r\n\r\n").await.unwrap()[..], b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
///     assert_eq!(&reader.read(-1).await.unwrap()[..], b"body");
///     assert!(reader.at_eof());
/// });
/// ```
pub struct StreamReader {
    buf: BytesMut,
    limit: usize,
    eof: bool,
    conn: Option<Arc<Conn>>,
}

impl StreamReader {
    /// A reader with no socket and the default limit (64 KiB), for
    /// [`feed_data`](Self::feed_data).
    ///
    /// ```
    /// let reader = asyncio::StreamReader::new();
    /// assert_eq!(reader.limit(), 65536);
    /// assert!(!reader.at_eof());
    /// ```
    pub fn new() -> StreamReader {
        StreamReader {
            buf: BytesMut::new(),
            limit: DEFAULT_LIMIT,
            eof: false,
            conn: None,
        }
    }

    /// A reader with no socket and `limit` (asyncio's `StreamReader(limit=...)`);
    /// `ValueError` for 0 ("Limit cannot be <= 0").
    ///
    /// ```
    /// assert_eq!(asyncio::StreamReader::with_limit(10).unwrap().limit(), 10);
    /// assert!(asyncio::StreamReader::with_limit(0).is_err());
    /// ```
    pub fn with_limit(limit: usize) -> Result<StreamReader, ValueError> {
        check_limit(limit)?;
        Ok(StreamReader {
            limit,
            ..StreamReader::new()
        })
    }

    pub(crate) fn from_conn(conn: Arc<Conn>, limit: usize) -> StreamReader {
        StreamReader {
            buf: BytesMut::new(),
            limit,
            eof: false,
            conn: Some(conn),
        }
    }

    /// The limit: the longest line [`readline`](Self::readline) and
    /// [`readuntil`](Self::readuntil) return, separator excluded.
    ///
    /// ```
    /// assert_eq!(asyncio::StreamReader::new().limit(), asyncio::streams::DEFAULT_LIMIT);
    /// ```
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Appends `data` to the buffer (asyncio's `feed_data`, which asserts if called
    /// after `feed_eof`; here the data is appended anyway).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let mut reader = asyncio::StreamReader::new();
    ///     reader.feed_data(b"12");
    ///     reader.feed_data(b"34");
    ///     assert_eq!(&reader.readexactly(4).await.unwrap()[..], b"1234");
    /// });
    /// ```
    pub fn feed_data(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Marks the end of the stream (asyncio's `feed_eof`): reads past the buffer
    /// return what is left instead of waiting.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let mut reader = asyncio::StreamReader::new();
    ///     reader.feed_eof();
    ///     assert!(reader.read(10).await.unwrap().is_empty());
    /// });
    /// ```
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// `true` once EOF was seen and the buffer is empty (asyncio's `at_eof`). EOF is
    /// seen by a read that found the socket closed, not in advance.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let mut reader = asyncio::StreamReader::new();
    ///     reader.feed_data(b"x");
    ///     reader.feed_eof();
    ///     assert!(!reader.at_eof());
    ///     reader.read(1).await.unwrap();
    ///     assert!(reader.at_eof());
    /// });
    /// ```
    pub fn at_eof(&self) -> bool {
        self.eof && self.buf.is_empty()
    }

    /// Reads up to `n` bytes (asyncio's `read(n=-1)`):
    /// * `n < 0`: everything until EOF;
    /// * `n == 0`: empty at once;
    /// * `n > 0`: at most `n` bytes, as soon as at least one is buffered; empty at EOF.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let mut reader = asyncio::StreamReader::new();
    ///     reader.feed_data(b"hello world");
    ///     reader.feed_eof();
    ///     assert_eq!(&reader.read(5).await.unwrap()[..], b"hello");
    ///     assert_eq!(&reader.read(-1).await.unwrap()[..], b" world");
    ///     assert!(reader.read(5).await.unwrap().is_empty());
    /// });
    /// ```
    pub async fn read(&mut self, n: isize) -> io::Result<Bytes> {
        poll_fn(|cx| {
            cancel_point()?;
            if n == 0 {
                return Poll::Ready(Ok(Bytes::new()));
            }
            loop {
                if n < 0 {
                    if self.eof {
                        return Poll::Ready(Ok(self.buf.split().freeze()));
                    }
                } else if !self.buf.is_empty() || self.eof {
                    let take = self.buf.len().min(n as usize);
                    return Poll::Ready(Ok(self.buf.split_to(take).freeze()));
                }
                ready!(self.poll_fill(cx))?;
            }
        })
        .await
    }

    /// Reads exactly `n` bytes (asyncio's `readexactly`). EOF first:
    /// [`StreamError::IncompleteRead`] with every byte that was there (the buffer is
    /// then empty). Not bounded by the limit.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let mut reader = asyncio::StreamReader::new();
    ///     reader.feed_data(b"0123456789");
    ///     assert_eq!(&reader.readexactly(4).await.unwrap()[..], b"0123");
    ///     assert!(reader.readexactly(0).await.unwrap().is_empty());
    /// });
    /// ```
    pub async fn readexactly(&mut self, n: usize) -> Result<Bytes, StreamError> {
        poll_fn(|cx| {
            cancel_point()?;
            loop {
                if self.buf.len() >= n {
                    return Poll::Ready(Ok(self.buf.split_to(n).freeze()));
                }
                if self.eof {
                    return Poll::Ready(Err(IncompleteReadError {
                        partial: self.buf.split().freeze(),
                        expected: Some(n),
                    }
                    .into()));
                }
                ready!(self.poll_fill(cx))?;
            }
        })
        .await
    }

    /// Reads a line ending in `b"\n"` (asyncio's `readline`), newline included.
    ///
    /// asyncio's rules, exactly:
    /// * at EOF, the partial line (without newline), or empty if nothing is left;
    /// * a line longer than the limit (newline excluded): [`StreamError::Value`]
    ///   (asyncio raises `ValueError`), and the buffer loses the data up to and
    ///   including the newline if it was found, everything buffered if not. Use
    ///   [`readuntil`](Self::readuntil) to keep an over-long line consumable.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let mut reader = asyncio::StreamReader::new();
    ///     reader.feed_data(b"one\ntwo");
    ///     reader.feed_eof();
    ///     assert_eq!(&reader.readline().await.unwrap()[..], b"one\n");
    ///     assert_eq!(&reader.readline().await.unwrap()[..], b"two");
    ///     assert!(reader.readline().await.unwrap().is_empty());
    /// });
    /// ```
    pub async fn readline(&mut self) -> Result<Bytes, StreamError> {
        match self.readuntil(b"\n").await {
            Ok(line) => Ok(line),
            Err(StreamError::IncompleteRead(e)) => Ok(e.partial),
            Err(StreamError::LimitOverrun(e)) => {
                if self.buf[e.consumed..].starts_with(b"\n") {
                    self.buf.advance(e.consumed + 1);
                } else {
                    self.buf.clear();
                }
                Err(StreamError::Value(ValueError::new(e.message())))
            }
            Err(e) => Err(e),
        }
    }

    /// Reads until `separator` (asyncio's `readuntil`), separator included.
    ///
    /// * EOF first: [`StreamError::IncompleteRead`] with everything buffered
    ///   (`expected: None`); the buffer is then empty.
    /// * Not found within the limit, or found past it:
    ///   [`StreamError::LimitOverrun`], and the data **stays** in the buffer.
    /// * An empty separator: [`StreamError::Value`].
    ///
    /// ```
    /// asyncio::run(async {
    ///     let mut reader = asyncio::StreamReader::new();
    ///     reader.feed_data(b"key=value;rest");
    ///     assert_eq!(&reader.readuntil(b";").await.unwrap()[..], b"key=value;");
    /// });
    /// ```
    pub async fn readuntil(&mut self, separator: &[u8]) -> Result<Bytes, StreamError> {
        self.readuntil_any(&[separator]).await
    }

    /// Reads until any of `separators` (asyncio 3.13's `readuntil` with a tuple): the
    /// shortest result that ends with one of them. For the limit, the separator that
    /// matched counts as the shortest. No separators, or an empty one:
    /// [`StreamError::Value`].
    ///
    /// ```
    /// asyncio::run(async {
    ///     let mut reader = asyncio::StreamReader::new();
    ///     reader.feed_data(b"a\r\nb\n");
    ///     assert_eq!(&reader.readuntil_any(&[b"\n", b"\r\n"]).await.unwrap()[..], b"a\r\n");
    ///     assert_eq!(&reader.readuntil_any(&[b"\n", b"\r\n"]).await.unwrap()[..], b"b\n");
    /// });
    /// ```
    pub async fn readuntil_any(&mut self, separators: &[&[u8]]) -> Result<Bytes, StreamError> {
        let min_seplen = separators.iter().map(|s| s.len()).min();
        let max_seplen = separators.iter().map(|s| s.len()).max().unwrap_or(0);
        match min_seplen {
            None => {
                return Err(ValueError::new("Separator should contain at least one element").into())
            }
            Some(0) => {
                return Err(ValueError::new("Separator should be at least one-byte string").into())
            }
            Some(_) => {}
        }
        let min_seplen = min_seplen.unwrap_or(1);
        poll_fn(|cx| {
            cancel_point()?;
            // asyncio's loop: `offset` is how much of the buffer is known to hold no
            // separator.
            let mut offset = 0;
            loop {
                let buflen = self.buf.len();
                if buflen - offset >= min_seplen {
                    let found = separators
                        .iter()
                        .filter_map(|sep| find(&self.buf, sep, offset).map(|i| (i, i + sep.len())))
                        .min_by_key(|&(_, end)| end);
                    if let Some((start, end)) = found {
                        if start > self.limit {
                            return Poll::Ready(Err(LimitOverrunError::new(
                                "Separator is found, but chunk is longer than limit",
                                start,
                            )
                            .into()));
                        }
                        return Poll::Ready(Ok(self.buf.split_to(end).freeze()));
                    }
                    offset = (buflen + 1).saturating_sub(max_seplen);
                    if offset > self.limit {
                        return Poll::Ready(Err(LimitOverrunError::new(
                            "Separator is not found, and chunk exceed the limit",
                            offset,
                        )
                        .into()));
                    }
                }
                if self.eof {
                    return Poll::Ready(Err(IncompleteReadError {
                        partial: self.buf.split().freeze(),
                        expected: None,
                    }
                    .into()));
                }
                ready!(self.poll_fill(cx))?;
            }
        })
        .await
    }

    /// The buffered bytes, reading the socket first if there are none (and no EOF):
    /// `AsyncBufRead::poll_fill_buf` (`streams/traits.rs`). Empty at EOF.
    pub(crate) fn poll_fill_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        cancel_point()?;
        while self.buf.is_empty() && !self.eof {
            ready!(self.poll_fill(cx))?;
        }
        Poll::Ready(Ok(&self.buf[..]))
    }

    /// Drops `amt` bytes from the front of the buffer (`AsyncBufRead::consume`).
    pub(crate) fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.buf.len());
        let _ = self.buf.split_to(amt);
    }

    /// Reads the socket once into the buffer; sets `eof` at its end. Pending forever
    /// (until a cancellation) for a reader without a socket.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(conn) = &self.conn else {
            return Poll::Pending;
        };
        if let Some(outcome) = conn.lost_outcome() {
            // Closed by us (EOF, as asyncio feeds EOF at connection_lost) or failed
            // (its error again, as asyncio keeps raising the reader's exception).
            outcome?;
            self.eof = true;
            return Poll::Ready(Ok(()));
        }
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            match ready!(conn.socket.poll_read(cx, &mut scratch)) {
                Ok(0) => self.eof = true,
                Ok(n) => self.buf.extend_from_slice(&scratch[..n]),
                Err(e) => {
                    if !is_cancellation(&e) {
                        conn.fail(&e);
                    }
                    return Poll::Ready(Err(e));
                }
            }
            Poll::Ready(Ok(()))
        })
    }
}

impl Default for StreamReader {
    fn default() -> Self {
        StreamReader::new()
    }
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &self.buf.len())
            .field("eof", &self.eof)
            .field("limit", &self.limit)
            .finish()
    }
}

pub(crate) fn check_limit(limit: usize) -> Result<(), ValueError> {
    if limit == 0 {
        return Err(ValueError::new("Limit cannot be <= 0"));
    }
    Ok(())
}

/// The first `needle` in `hay[from..]`, as an index into `hay`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut i = from;
    while i + needle.len() <= hay.len() {
        let at = hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)?;
        let start = i + at;
        if hay[start + 1..start + needle.len()] == *rest {
            return Some(start);
        }
        i = start + 1;
    }
    None
}
