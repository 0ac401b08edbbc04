//! One connection's shared state (asyncio's transport + `StreamReaderProtocol`): the
//! socket, the write buffer and its water marks, the on-demand flusher task, and the
//! "connection lost" transition that wakes `drain` and `wait_closed` and detaches the
//! connection from its server.
//!
//! ```text
//! write(data): buffer empty and no flusher -> send(2) now (asyncio's "try to send now")
//!              the rest -> buffer; no flusher -> spawn one (asyncio's add_writer)
//! flusher:     send the buffer as the socket takes it; below the low-water mark wake
//!              drain(); buffer empty -> exit, after the deferred shutdown(Write)
//!              (write_eof) or the connection-lost transition (close)
//! lost:        once: keep the error, drop the buffer, shutdown(Both) (the peer reads
//!              EOF, our own reader wakes and sees EOF), set `closed` and `resumed`,
//!              detach from the server
//! ```

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Arc;
use crate::loom::Mutex;
use crate::net::{TcpStream, UnixStream};
use crate::runtime::Handle;
use crate::streams::error::{is_cancellation, SavedError};
use crate::streams::server::Attachment;
use crate::sync::{Event, ValueError};

/// asyncio's default high-water mark of a transport's write buffer (64 KiB).
pub(crate) const DEFAULT_HIGH_WATER: usize = 64 * 1024;

/// The socket of a stream connection.
pub(crate) enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// A socket address as [`StreamWriter::get_extra_info`](super::StreamWriter::get_extra_info)
/// reports it: an IP address and port, or a Unix-domain address.
#[derive(Debug, Clone)]
pub enum Addr {
    /// A TCP address.
    Inet(std::net::SocketAddr),
    /// A Unix-domain address (unnamed for the client end of a connection).
    Unix(std::os::unix::net::SocketAddr),
}

impl Addr {
    /// The IP address and port, for a TCP socket.
    ///
    /// ```
    /// let a = asyncio::streams::Addr::Inet("127.0.0.1:80".parse().unwrap());
    /// assert_eq!(a.as_inet().unwrap().port(), 80);
    /// ```
    pub fn as_inet(&self) -> Option<std::net::SocketAddr> {
        match self {
            Addr::Inet(a) => Some(*a),
            Addr::Unix(_) => None,
        }
    }

    /// The path, for a Unix-domain socket bound to one.
    ///
    /// ```
    /// let a = asyncio::streams::Addr::Inet("127.0.0.1:80".parse().unwrap());
    /// assert!(a.as_pathname().is_none());
    /// ```
    pub fn as_pathname(&self) -> Option<&std::path::Path> {
        match self {
            Addr::Inet(_) => None,
            Addr::Unix(a) => a.as_pathname(),
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Inet(a) => fmt::Display::fmt(a, f),
            Addr::Unix(a) => match a.as_pathname() {
                Some(p) => fmt::Display::fmt(&p.display(), f),
                None => Ok(()),
            },
        }
    }
}

impl Socket {
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self {
            Socket::Tcp(s) => s.poll_read(cx, buf),
            Socket::Unix(s) => s.poll_read(cx, buf),
        }
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Socket::Tcp(s) => s.poll_write(cx, buf),
            Socket::Unix(s) => s.poll_write(cx, buf),
        }
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.try_write(buf),
            Socket::Unix(s) => s.try_write(buf),
        }
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.shutdown(how),
            Socket::Unix(s) => s.shutdown(how),
        }
    }

    pub(crate) fn peer_addr(&self) -> io::Result<Addr> {
        match self {
            Socket::Tcp(s) => s.peer_addr().map(Addr::Inet),
            Socket::Unix(s) => s.peer_addr().map(Addr::Unix),
        }
    }

    pub(crate) fn local_addr(&self) -> io::Result<Addr> {
        match self {
            Socket::Tcp(s) => s.local_addr().map(Addr::Inet),
            Socket::Unix(s) => s.local_addr().map(Addr::Unix),
        }
    }

    pub(crate) fn as_raw_fd(&self) -> RawFd {
        match self {
            Socket::Tcp(s) => s.as_raw_fd(),
            Socket::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// How the connection ended.
enum Lost {
    /// Closed by us (`close`, the flush after it, `abort`).
    Clean,
    /// A socket error (a reset peer, a broken pipe).
    Error(SavedError),
}

struct WriteState {
    buf: BytesMut,
    high: usize,
    low: usize,
    /// Above the high-water mark and not yet back to the low one: `drain` waits.
    paused: bool,
    /// `write_eof` was called: no more writes; shutdown(Write) once flushed.
    eof: bool,
    /// `close` (or `abort`, or the loss) happened.
    closing: bool,
    lost: Option<Lost>,
    /// A flusher task is running (it owns the socket's writable-wait).
    flushing: bool,
    /// The server this connection counts for, until it is lost.
    attachment: Option<Attachment>,
}

/// One connection, shared by its reader, its writer, its flusher task and its server.
pub(crate) struct Conn {
    pub(crate) socket: Socket,
    handle: Handle,
    state: Mutex<WriteState>,
    /// Fast check for the reader: the connection is lost.
    lost: AtomicBool,
    /// Set while not paused (`drain` waits on it) and at the loss.
    resumed: Event,
    /// Set at the loss (`wait_closed` waits on it).
    closed: Event,
}

impl Conn {
    pub(crate) fn new(socket: Socket, handle: Handle, attachment: Option<Attachment>) -> Arc<Conn> {
        let resumed = Event::new();
        resumed.set();
        Arc::new(Conn {
            socket,
            handle,
            state: Mutex::new(WriteState {
                buf: BytesMut::new(),
                high: DEFAULT_HIGH_WATER,
                low: DEFAULT_HIGH_WATER / 4,
                paused: false,
                eof: false,
                closing: false,
                lost: None,
                flushing: false,
                attachment,
            }),
            lost: AtomicBool::new(false),
            resumed,
            closed: Event::new(),
        })
    }

    /// For the reader once the socket has nothing more: `None` if the connection is
    /// alive, `Some(Ok(()))` after a clean loss (EOF), `Some(Err)` after a failure.
    pub(crate) fn lost_outcome(&self) -> Option<io::Result<()>> {
        if !self.lost.load(Ordering::Acquire) {
            return None;
        }
        match &self.state.lock().lost {
            Some(Lost::Error(e)) => Some(Err(e.to_io())),
            _ => Some(Ok(())),
        }
    }

    /// asyncio's `connection_lost(exc)`, done once. Returns the server attachment, to
    /// drop after the state lock is released (dropping it locks the server).
    fn lose(&self, st: &mut WriteState, err: Option<&io::Error>) -> Option<Attachment> {
        if st.lost.is_some() {
            return None;
        }
        st.lost = Some(match err {
            None => Lost::Clean,
            Some(e) => Lost::Error(SavedError::new(e)),
        });
        st.closing = true;
        st.buf.clear();
        st.paused = false;
        self.lost.store(true, Ordering::Release);
        // The peer reads EOF; our own reader, if it waits, is woken and sees the loss.
        let _ = self.socket.shutdown(Shutdown::Both);
        self.resumed.set();
        self.closed.set();
        st.attachment.take()
    }

    /// The connection failed (a read error): asyncio's `_fatal_error`.
    pub(crate) fn fail(&self, err: &io::Error) {
        let attachment = {
            let mut st = self.state.lock();
            self.lose(&mut st, Some(err))
        };
        drop(attachment);
    }

    fn maybe_pause(&self, st: &mut WriteState) {
        if st.buf.len() > st.high && !st.paused {
            st.paused = true;
            self.resumed.clear();
        }
    }

    fn maybe_resume(&self, st: &mut WriteState) {
        if st.paused && st.buf.len() <= st.low {
            st.paused = false;
            self.resumed.set();
        }
    }

    /// The buffer is empty: do what was deferred until it was.
    fn flushed(&self, st: &mut WriteState) -> Option<Attachment> {
        if st.closing {
            self.lose(st, None)
        } else {
            if st.eof {
                let _ = self.socket.shutdown(Shutdown::Write);
            }
            None
        }
    }

    /// `StreamWriter::write`: send what the socket takes now, buffer the rest.
    pub(crate) fn write(self: &Arc<Self>, data: &[&[u8]]) -> io::Result<()> {
        let spawn = {
            let mut st = self.state.lock();
            if st.eof {
                return Err(io::Error::other("Cannot call write() after write_eof()"));
            }
            if st.lost.is_some() {
                // asyncio drops writes to a lost connection; drain() reports the loss.
                return Ok(());
            }
            let mut chunks = data.iter().copied().filter(|c| !c.is_empty()).peekable();
            if st.buf.is_empty() && !st.flushing {
                while let Some(chunk) = chunks.peek_mut() {
                    match self.socket.try_write(chunk) {
                        Ok(n) if n == chunk.len() => {
                            chunks.next();
                        }
                        Ok(n) => {
                            *chunk = &chunk[n..];
                            break;
                        }
                        Err(e) if retry_later(&e) => break,
                        Err(e) => {
                            // asyncio's "Fatal write error on socket transport": the
                            // connection is lost; write itself does not raise.
                            let attachment = self.lose(&mut st, Some(&e));
                            drop(st);
                            drop(attachment);
                            return Ok(());
                        }
                    }
                }
            }
            let mut buffered = false;
            for chunk in chunks {
                st.buf.extend_from_slice(chunk);
                buffered = true;
            }
            if !buffered {
                return Ok(());
            }
            self.maybe_pause(&mut st);
            !std::mem::replace(&mut st.flushing, true)
        };
        if spawn {
            self.spawn_flusher();
        }
        Ok(())
    }

    fn spawn_flusher(self: &Arc<Self>) {
        let conn = self.clone();
        // Detached: it ends when the buffer is empty or the connection is lost.
        drop(self.handle.create_task(async move {
            poll_fn(|cx| conn.poll_flush(cx)).await;
        }));
    }

    /// The flusher task's loop.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.state.lock();
        loop {
            if st.lost.is_some() {
                st.flushing = false;
                return Poll::Ready(());
            }
            if st.buf.is_empty() {
                st.flushing = false;
                let attachment = self.flushed(&mut st);
                drop(st);
                drop(attachment);
                return Poll::Ready(());
            }
            match self.socket.poll_write(cx, &st.buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(n)) => {
                    st.buf.advance(n);
                    self.maybe_resume(&mut st);
                }
                Poll::Ready(Err(e)) if retry_later(&e) => {}
                Poll::Ready(Err(e)) if is_cancellation(&e) => {
                    // The flusher itself was cancelled (runtime shutdown, or someone
                    // cancelling every task): the next write starts another.
                    st.flushing = false;
                    return Poll::Ready(());
                }
                Poll::Ready(Err(e)) => {
                    let attachment = self.lose(&mut st, Some(&e));
                    drop(st);
                    drop(attachment);
                    return Poll::Ready(());
                }
            }
        }
    }

    pub(crate) fn write_eof(&self) {
        let mut st = self.state.lock();
        if st.closing || st.eof {
            return;
        }
        st.eof = true;
        if st.buf.is_empty() && !st.flushing {
            let _ = self.socket.shutdown(Shutdown::Write);
        }
    }

    pub(crate) fn close(&self) {
        let attachment = {
            let mut st = self.state.lock();
            if st.closing {
                return;
            }
            st.closing = true;
            if st.buf.is_empty() && !st.flushing {
                self.lose(&mut st, None)
            } else {
                None
            }
        };
        drop(attachment);
    }

    /// asyncio's `transport.abort()`: close now, dropping what is buffered.
    pub(crate) fn abort(&self) {
        let attachment = {
            let mut st = self.state.lock();
            self.lose(&mut st, None)
        };
        drop(attachment);
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.state.lock().closing
    }

    /// `drain`'s check: `Some(result)` to return now, `None` to wait for `resumed`.
    fn drain_now(&self) -> Option<io::Result<()>> {
        let st = self.state.lock();
        match &st.lost {
            Some(Lost::Error(e)) => Some(Err(e.to_io())),
            Some(Lost::Clean) => Some(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "Connection lost",
            ))),
            None if !st.paused => Some(Ok(())),
            None => None,
        }
    }

    pub(crate) async fn drain(&self) -> io::Result<()> {
        crate::net::cancel_point()?;
        if self.is_closing() {
            // asyncio yields once here so that a pending loss is seen.
            crate::sleep(std::time::Duration::ZERO).await?;
        }
        if let Some(result) = self.drain_now() {
            return result;
        }
        self.resumed.wait().await?;
        // Resumed, or lost while paused: asyncio's waiter gets the loss's exception,
        // or no error for a clean close.
        match &self.state.lock().lost {
            Some(Lost::Error(e)) => Err(e.to_io()),
            _ => Ok(()),
        }
    }

    pub(crate) async fn wait_closed(&self) -> io::Result<()> {
        self.closed.wait().await?;
        match &self.state.lock().lost {
            Some(Lost::Error(e)) => Err(e.to_io()),
            _ => Ok(()),
        }
    }

    pub(crate) fn write_buffer_size(&self) -> usize {
        self.state.lock().buf.len()
    }

    pub(crate) fn write_buffer_limits(&self) -> (usize, usize) {
        let st = self.state.lock();
        (st.low, st.high)
    }

    pub(crate) fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), ValueError> {
        let high = match (high, low) {
            (Some(h), _) => h,
            (None, None) => DEFAULT_HIGH_WATER,
            (None, Some(l)) => l.saturating_mul(4),
        };
        let low = low.unwrap_or(high / 4);
        if high < low {
            return Err(ValueError::new("high must be >= low must be >= 0"));
        }
        let mut st = self.state.lock();
        st.high = high;
        st.low = low;
        self.maybe_pause(&mut st);
        Ok(())
    }
}

/// Errors after which the write is simply tried again later.
fn retry_later(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}
