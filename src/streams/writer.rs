//! [`StreamWriter`]: asyncio's `StreamWriter` over a connection's write buffer.

use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::sync::Arc;
use crate::loom::Mutex;
use crate::streams::conn::{Addr, Conn};
use crate::sync::ValueError;

/// What [`StreamWriter::get_extra_info`] returns.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ExtraInfo {
    /// `"peername"` or `"sockname"`.
    Addr(Addr),
    /// `"socket"`: the socket's file descriptor, owned by the connection.
    Socket(RawFd),
}

impl ExtraInfo {
    /// The address, for `"peername"` and `"sockname"`.
    ///
    /// ```
    /// let info = asyncio::streams::ExtraInfo::Socket(3);
    /// assert!(info.addr().is_none());
    /// ```
    pub fn addr(&self) -> Option<&Addr> {
        match self {
            ExtraInfo::Addr(a) => Some(a),
            ExtraInfo::Socket(_) => None,
        }
    }
}

/// The writing half of a stream connection (asyncio's `asyncio.StreamWriter`).
///
/// [`write`](Self::write) does not wait: it sends what the socket takes at once and
/// buffers the rest, which a flusher task of the connection sends as the socket
/// allows (so written data always goes out, drain or not). [`drain`](Self::drain) is
/// the back-pressure: it waits while the buffer is above the high-water mark (64 KiB)
/// until it is back at the low one (16 KiB).
///
/// Dropping the writer closes the connection as [`close`](Self::close) does (asyncio's
/// `StreamWriter.__del__`): what is buffered is still sent, then the socket is shut
/// down. The descriptor itself is closed when the reader is dropped too.
///
/// ```
/// use asyncio::streams::{open_connection, start_server};
///
/// asyncio::run(async {
///     let server = start_server(
///         |mut reader, writer| async move {
///             let line = reader.readline().await?;
///             writer.write(&line)?;
///             writer.drain().await
///         },
///         "127.0.0.1",
///         0,
///     )
///     .await
///     .unwrap();
///     let port = server.sockets()[0].as_inet().unwrap().port();
///     let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
///     writer.write(b"hello\n").unwrap();
///     writer.drain().await.unwrap();
///     assert_eq!(&reader.readline().await.unwrap()[..], b"hello\n");
///     writer.close();
///     writer.wait_closed().await.unwrap();
///     server.close();
///     server.wait_closed().await.unwrap();
/// });
/// ```
pub struct StreamWriter {
    conn: Arc<Conn>,
    /// The `drain` in progress of the `AsyncWrite` impl (`streams/traits.rs`), kept
    /// between polls. Behind a lock so the writer stays `Sync`.
    pending_drain: Mutex<Option<DrainFuture>>,
}

/// A `drain` owned by the writer (it holds the connection, not a borrow of the writer).
type DrainFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

impl StreamWriter {
    pub(crate) fn from_conn(conn: Arc<Conn>) -> StreamWriter {
        StreamWriter {
            conn,
            pending_drain: Mutex::new(None),
        }
    }

    /// Polls a `drain` (the poll form of [`drain`](Self::drain), for the `AsyncWrite`
    /// impl): ready at once when the buffer is not above the high-water mark.
    pub(crate) fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut pending = self.pending_drain.lock();
        let fut = pending.get_or_insert_with(|| {
            let conn = self.conn.clone();
            Box::pin(async move { conn.drain().await })
        });
        let result = std::task::ready!(fut.as_mut().poll(cx));
        *pending = None;
        Poll::Ready(result)
    }

    /// Writes `data` (asyncio's `write`): sent now as far as the socket takes it, the
    /// rest buffered and sent in the background. Does not wait; call
    /// [`drain`](Self::drain) for back-pressure.
    ///
    /// As in asyncio, a write to a connection already lost is dropped silently (`drain`
    /// reports the loss); after [`write_eof`](Self::write_eof) it is an error
    /// ("Cannot call write() after write_eof()").
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.write(b"x").unwrap();
    ///     w.write_eof();
    ///     assert!(w.write(b"y").is_err());
    ///     # drop(r);
    /// });
    /// ```
    pub fn write(&self, data: &[u8]) -> io::Result<()> {
        self.conn.write(&[data])
    }

    /// Writes each of `lines` in order (asyncio's `writelines`), as one buffered write.
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (mut r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.writelines([&b"a\n"[..], b"b\n"]).unwrap();
    ///     assert_eq!(&r.readline().await.unwrap()[..], b"a\n");
    ///     assert_eq!(&r.readline().await.unwrap()[..], b"b\n");
    /// });
    /// ```
    pub fn writelines<'a>(&self, lines: impl IntoIterator<Item = &'a [u8]>) -> io::Result<()> {
        let lines: Vec<&[u8]> = lines.into_iter().collect();
        self.conn.write(&lines)
    }

    /// Waits while the write buffer is above the high-water mark, until it is at the low
    /// one (asyncio's `drain`). Returns at once when it is not above.
    ///
    /// Errors: the connection's error if it was lost to one (a reset peer, a broken
    /// pipe), `ConnectionReset` ("Connection lost") if it was closed; a cancellation of
    /// the task as an `io::Error` wrapping the `CancelledError`.
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.write(b"data").unwrap();
    ///     w.drain().await.unwrap();
    ///     w.close();
    ///     let err = w.drain().await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    /// });
    /// ```
    pub async fn drain(&self) -> io::Result<()> {
        self.conn.drain().await
    }

    /// Shuts the write side down once the buffer is sent (asyncio's `write_eof`): the
    /// peer reads EOF, and can still write to us. No-op after `close` or a first call.
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (mut r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.write(b"last").unwrap();
    ///     w.write_eof();
    ///     assert_eq!(&r.read(-1).await.unwrap()[..], b"last");
    /// });
    /// ```
    pub fn write_eof(&self) {
        self.conn.write_eof()
    }

    /// `true`: TCP and Unix-domain streams can half-close (asyncio's `can_write_eof`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     assert!(w.can_write_eof());
    /// });
    /// ```
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Closes the connection (asyncio's `close`): what is buffered is still sent, then
    /// the connection is shut down both ways (the peer reads EOF, this side's reader
    /// sees EOF once its buffer is read) and [`wait_closed`](Self::wait_closed)
    /// returns.
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     assert!(!w.is_closing());
    ///     w.close();
    ///     assert!(w.is_closing());
    ///     w.wait_closed().await.unwrap();
    /// });
    /// ```
    pub fn close(&self) {
        self.conn.close()
    }

    /// Closes the connection now, dropping what is buffered (asyncio's
    /// `transport.abort()`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.abort();
    ///     w.wait_closed().await.unwrap();
    /// });
    /// ```
    pub fn abort(&self) {
        self.conn.abort()
    }

    /// `true` once [`close`](Self::close) was called or the connection was lost
    /// (asyncio's `is_closing`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.close();
    ///     assert!(w.is_closing());
    /// });
    /// ```
    pub fn is_closing(&self) -> bool {
        self.conn.is_closing()
    }

    /// Waits until the connection is closed (asyncio's `wait_closed`): after `close`
    /// once the buffer is sent, or when it is lost. Returns the error it was lost to,
    /// if any.
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.write(b"bye").unwrap();
    ///     w.close();
    ///     w.wait_closed().await.unwrap();
    /// });
    /// ```
    pub async fn wait_closed(&self) -> io::Result<()> {
        self.conn.wait_closed().await
    }

    /// Transport information (asyncio's `get_extra_info`): `"peername"`, `"sockname"`
    /// (an [`Addr`]) or `"socket"` (the descriptor); `None` for other names or when the
    /// socket cannot tell (after the peer left).
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     assert!(w.get_extra_info("peername").is_some());
    ///     assert!(w.get_extra_info("sslcontext").is_none());
    /// });
    /// ```
    pub fn get_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        let socket = &self.conn.socket;
        match name {
            "peername" => socket.peer_addr().ok().map(ExtraInfo::Addr),
            "sockname" => socket.local_addr().ok().map(ExtraInfo::Addr),
            "socket" => Some(ExtraInfo::Socket(socket.as_raw_fd())),
            _ => None,
        }
    }

    /// Bytes buffered, not yet taken by the socket (asyncio's
    /// `transport.get_write_buffer_size()`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.write(b"small").unwrap();
    ///     assert_eq!(w.get_write_buffer_size(), 0); // the socket took it at once
    /// });
    /// ```
    pub fn get_write_buffer_size(&self) -> usize {
        self.conn.write_buffer_size()
    }

    /// `(low, high)` water marks (asyncio's `transport.get_write_buffer_limits()`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     assert_eq!(w.get_write_buffer_limits(), (16 * 1024, 64 * 1024));
    /// });
    /// ```
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.conn.write_buffer_limits()
    }

    /// Sets the water marks (asyncio's `transport.set_write_buffer_limits`): `high`
    /// defaults to 64 KiB, or 4 × `low` if only `low` is given; `low` to `high / 4`.
    /// `ValueError` unless `high >= low`.
    ///
    /// ```
    /// asyncio::run(async {
    ///     // `r` reads what `w` writes (the two ends of a socket pair).
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.set_write_buffer_limits(None, Some(100)).unwrap();
    ///     assert_eq!(w.get_write_buffer_limits(), (100, 400));
    ///     assert!(w.set_write_buffer_limits(Some(1), Some(2)).is_err());
    /// });
    /// ```
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), ValueError> {
        self.conn.set_write_buffer_limits(high, low)
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        self.conn.close();
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamWriter")
            .field("peername", &self.conn.socket.peer_addr().ok())
            .field("closing", &self.conn.is_closing())
            .field("buffered", &self.conn.write_buffer_size())
            .finish()
    }
}
