//! asyncio's streams API: [`open_connection`], [`start_server`], [`StreamReader`],
//! [`StreamWriter`], [`Server`] (and their Unix-domain forms), on `asyncio::net`.
//!
//! ```
//! use asyncio::streams::{open_connection, start_server};
//!
//! asyncio::run(async {
//!     // An echo server: one task per connection.
//!     let server = start_server(
//!         |mut reader, writer| async move {
//!             loop {
//!                 let line = reader.readline().await?;
//!                 if line.is_empty() {
//!                     return Ok::<_, std::io::Error>(()); // EOF; dropping `writer` closes
//!                 }
//!                 writer.write(&line)?;
//!                 writer.drain().await?;
//!             }
//!         },
//!         "127.0.0.1",
//!         0,
//!     )
//!     .await
//!     .unwrap();
//!     let port = server.sockets()[0].as_inet().unwrap().port();
//!
//!     let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
//!     writer.write(b"ping\n").unwrap();
//!     assert_eq!(&reader.readline().await.unwrap()[..], b"ping\n");
//!     writer.close();
//!     writer.wait_closed().await.unwrap();
//!
//!     server.close();
//!     server.wait_closed().await.unwrap();
//! });
//! ```
//!
//! ## Reading: the buffer and the cancellation guarantee
//! A [`StreamReader`] owns a `bytes::BytesMut` buffer. Every read method first serves
//! from it, and only when the buffer cannot satisfy the call reads the socket (one
//! `recv(2)` of up to 64 KiB) *into the buffer*, then looks again. No future of a
//! read method keeps bytes of its own, so when a read is cancelled — its future
//! dropped, a [`timeout`](crate::timeout)/[`wait_for`](crate::wait_for) expiring, or
//! `task.cancel()` delivered at its await point as an `io::Error` wrapping the
//! [`CancelledError`](crate::CancelledError) — every byte that arrived stays buffered
//! for the next call: asyncio's guarantee. Results are `bytes::Bytes`, split off the
//! buffer without copying.
//!
//! The parsing rules are asyncio 3.13's, exactly: the limit (64 KiB by default) bounds
//! what [`readline`](StreamReader::readline) and [`readuntil`](StreamReader::readuntil)
//! return; `readuntil` over the limit fails with [`LimitOverrunError`] and leaves the
//! data in the buffer; `readline` over the limit fails with a `ValueError` and drops
//! the line (up to and including its newline, or everything buffered if the newline was
//! not found); EOF inside [`readexactly`](StreamReader::readexactly) or `readuntil`
//! fails with [`IncompleteReadError`] carrying the partial bytes; `readline` at EOF
//! returns the partial line.
//!
//! ## Errors
//! The parsing reads return [`StreamError`]: `Io`, `IncompleteRead`, `LimitOverrun` or
//! `Value`. It converts into `io::Error` (so `?` works in a function returning
//! `io::Result`), keeping the original as the inner error: an `Io` error is passed on
//! unchanged (so [`CancelledError::from_io`](crate::CancelledError::from_io) still
//! finds a cancellation, and propagating it still ends the task cancelled), the others
//! are wrapped (`UnexpectedEof`, `InvalidData`, `InvalidInput`).
//! [`read`](StreamReader::read) and the writer's methods return `io::Result`.
//!
//! ## Writing: flushing and the water marks
//! [`StreamWriter::write`] does not wait. As asyncio's transport does, it sends at once
//! when nothing is buffered (one non-blocking `send(2)`, `MSG_NOSIGNAL`: a closed peer
//! is `BrokenPipe`/`ConnectionReset`, never a `SIGPIPE`) and buffers what the socket did
//! not take. A buffered remainder is sent by a small flusher task of the connection,
//! started on demand (asyncio's `add_writer`) and ended when the buffer is empty: data
//! written always reaches the socket, whether or not anyone calls
//! [`drain`](StreamWriter::drain). Small writes to a socket with room cost no task.
//!
//! [`drain`](StreamWriter::drain) is the back-pressure: once the buffer exceeds the
//! high-water mark (64 KiB) the writer is *paused*, and `drain` waits until the
//! flusher brings it down to the low-water mark (16 KiB), asyncio's transport defaults
//! (see [`StreamWriter::set_write_buffer_limits`]). It fails with the connection's
//! error once the connection is lost.
//!
//! [`close`](StreamWriter::close) (and dropping the writer, as asyncio's
//! `StreamWriter.__del__` does) sends what is buffered, then shuts the socket down both
//! ways: the peer reads EOF, and this side's reader sees EOF after its buffer.
//! [`write_eof`](StreamWriter::write_eof) shuts down the write side only, after the
//! buffer. The descriptor is closed when both the reader and the writer are dropped.
//!
//! ## Servers
//! [`start_server`] binds, listens, and accepts on one task per listening socket; each
//! connection's callback future runs as its own task, as asyncio's
//! `client_connected_cb`. Running out of descriptors (`EMFILE`) on accept is reported
//! to the runtime's exception handler and accepting pauses for
//! [`ACCEPT_RETRY_DELAY`] (1 s, asyncio's), while open connections go on.
//! See [`Server`] for `close`, `wait_closed`, `serve_forever`.

pub(crate) mod conn;
pub(crate) mod error;
pub(crate) mod reader;
pub(crate) mod server;
pub(crate) mod traits;
pub(crate) mod writer;

pub use conn::Addr;
pub use error::{IncompleteReadError, LimitOverrunError, StreamError};
pub use reader::{StreamReader, DEFAULT_LIMIT};
pub use server::{HandlerOutput, Server, ACCEPT_RETRY_DELAY};
pub use writer::{ExtraInfo, StreamWriter};

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use crate::io::registration::no_runtime_error;
use crate::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use crate::runtime::Handle;
use conn::{Conn, Socket};
use server::{box_handler, Listener, SocketFile};

/// Backlog of the servers' listening sockets: the net layer's (1024, tokio's; asyncio's
/// is 100, too short for a burst of connections).
const DEFAULT_BACKLOG: i32 = 1024;

/// The options of the streams functions (asyncio's keyword arguments `limit`,
/// `backlog`, `start_serving`), and the functions taking them.
///
/// ```
/// use asyncio::streams::StreamOptions;
///
/// asyncio::run(async {
///     let server = StreamOptions::new()
///         .limit(1024)
///         .backlog(16)
///         .start_server(|_r, _w| async {}, "127.0.0.1", 0)
///         .await
///         .unwrap();
///     let port = server.sockets()[0].as_inet().unwrap().port();
///     let (reader, _writer) = StreamOptions::new()
///         .limit(10)
///         .open_connection("127.0.0.1", port)
///         .await
///         .unwrap();
///     assert_eq!(reader.limit(), 10);
/// });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StreamOptions {
    limit: usize,
    backlog: i32,
    start_serving: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions::new()
    }
}

impl StreamOptions {
    /// The defaults: limit 64 KiB, backlog 1024, start serving at once.
    ///
    /// ```
    /// let _ = asyncio::streams::StreamOptions::new();
    /// ```
    pub fn new() -> Self {
        StreamOptions {
            limit: DEFAULT_LIMIT,
            backlog: DEFAULT_BACKLOG,
            start_serving: true,
        }
    }

    /// The readers' limit (asyncio's `limit=`); 0 is refused by the functions with
    /// `InvalidInput` (asyncio's `ValueError`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let err = asyncio::streams::StreamOptions::new()
    ///         .limit(0)
    ///         .open_connection("127.0.0.1", 9)
    ///         .await
    ///         .unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// });
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The listen backlog of servers (asyncio's `backlog=`).
    ///
    /// ```
    /// let _ = asyncio::streams::StreamOptions::new().backlog(100);
    /// ```
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog.min(i32::MAX as u32) as i32;
        self
    }

    /// Whether servers accept at once (asyncio's `start_serving=`, default `true`);
    /// otherwise [`Server::start_serving`] or [`Server::serve_forever`] starts them.
    ///
    /// ```
    /// let _ = asyncio::streams::StreamOptions::new().start_serving(false);
    /// ```
    pub fn start_serving(mut self, start: bool) -> Self {
        self.start_serving = start;
        self
    }

    /// Checks the limit (asyncio's `ValueError`) and finds the runtime.
    fn runtime(&self) -> io::Result<Handle> {
        reader::check_limit(self.limit)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Handle::try_current().map_err(|_| no_runtime_error())
    }

    /// [`open_connection`] with these options.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     let port = server.sockets()[0].as_inet().unwrap().port();
    ///     let opts = asyncio::streams::StreamOptions::new().limit(100);
    ///     let (r, _w) = opts.open_connection("127.0.0.1", port).await.unwrap();
    ///     assert_eq!(r.limit(), 100);
    /// });
    /// ```
    pub async fn open_connection(
        self,
        host: &str,
        port: u16,
    ) -> io::Result<(StreamReader, StreamWriter)> {
        let handle = self.runtime()?;
        let stream = TcpStream::connect((host, port)).await?;
        // As asyncio: TCP_NODELAY on every stream socket.
        stream.set_nodelay(true)?;
        Ok(self.streams(handle, Socket::Tcp(stream)))
    }

    /// [`open_unix_connection`] with these options.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     assert!(opts.open_unix_connection("/nonexistent/socket").await.is_err());
    /// });
    /// ```
    pub async fn open_unix_connection(
        self,
        path: impl AsRef<Path>,
    ) -> io::Result<(StreamReader, StreamWriter)> {
        let handle = self.runtime()?;
        let stream = UnixStream::connect(path).await?;
        Ok(self.streams(handle, Socket::Unix(stream)))
    }

    /// Wraps a connected TCP socket (asyncio's `open_connection(sock=...)`); sets
    /// `TCP_NODELAY` as asyncio does.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = asyncio::net::TcpStream::connect(addr).await.unwrap();
    ///     let (accepted, _) = listener.accept().await.unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (_r, w) = opts.open_connection_from(client).unwrap();
    ///     let (mut r, _w) = opts.open_connection_from(accepted).unwrap();
    ///     w.write(b"ok\n").unwrap();
    ///     assert_eq!(&r.readline().await.unwrap()[..], b"ok\n");
    /// });
    /// ```
    pub fn open_connection_from(
        self,
        stream: TcpStream,
    ) -> io::Result<(StreamReader, StreamWriter)> {
        let handle = self.runtime()?;
        stream.set_nodelay(true)?;
        Ok(self.streams(handle, Socket::Tcp(stream)))
    }

    /// Wraps a connected Unix-domain socket (asyncio's `open_unix_connection(sock=...)`),
    /// e.g. one end of [`UnixStream::pair`].
    ///
    /// ```
    /// asyncio::run(async {
    ///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    ///     let opts = asyncio::streams::StreamOptions::new();
    ///     let (mut r, _wa) = opts.open_unix_connection_from(a).unwrap();
    ///     let (_rb, w) = opts.open_unix_connection_from(b).unwrap();
    ///     w.write(b"ok\n").unwrap();
    ///     assert_eq!(&r.readline().await.unwrap()[..], b"ok\n");
    /// });
    /// ```
    pub fn open_unix_connection_from(
        self,
        stream: UnixStream,
    ) -> io::Result<(StreamReader, StreamWriter)> {
        let handle = self.runtime()?;
        Ok(self.streams(handle, Socket::Unix(stream)))
    }

    fn streams(&self, handle: Handle, socket: Socket) -> (StreamReader, StreamWriter) {
        let conn = Conn::new(socket, handle, None);
        (
            StreamReader::from_conn(conn.clone(), self.limit),
            StreamWriter::from_conn(conn),
        )
    }

    /// [`start_server`] with these options.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::streams::StreamOptions::new()
    ///         .backlog(10)
    ///         .start_server(|_r, _w| async {}, "127.0.0.1", 0)
    ///         .await
    ///         .unwrap();
    ///     assert!(server.is_serving());
    /// });
    /// ```
    pub async fn start_server<F, Fut>(self, cb: F, host: &str, port: u16) -> io::Result<Server>
    where
        F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutput,
    {
        let handle = self.runtime()?;
        let addrs = if host.is_empty() {
            // asyncio's host=None / "": every interface, IPv4 and IPv6.
            vec![
                SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port),
                SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port),
            ]
        } else {
            crate::net::lookup_host((host, port)).await?
        };
        let mut listeners = Vec::new();
        for addr in dedup(addrs) {
            match TcpListener::bind_addr(addr, self.backlog) {
                Ok(l) => listeners.push(Listener::Tcp(l)),
                // As asyncio (bpo-30945): an address family that is not enabled.
                Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) && host.is_empty() => {}
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("error while attempting to bind on address {addr}: {e}"),
                    ))
                }
            }
        }
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "no address to listen on",
            ));
        }
        Ok(self.server(handle, box_handler(cb), listeners, None))
    }

    /// [`start_unix_server`] with these options.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let path = std::env::temp_dir().join(format!("asyncio-opts-{}.sock", std::process::id()));
    ///     let server = asyncio::streams::StreamOptions::new()
    ///         .start_unix_server(|_r, _w| async {}, &path)
    ///         .await
    ///         .unwrap();
    ///     server.close();
    ///     assert!(!path.exists()); // removed at close
    /// });
    /// ```
    pub async fn start_unix_server<F, Fut>(
        self,
        cb: F,
        path: impl AsRef<Path>,
    ) -> io::Result<Server>
    where
        F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutput,
    {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let handle = self.runtime()?;
        let path = path.as_ref();
        // As asyncio: a stale socket file from an earlier run is removed first.
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.file_type().is_socket() {
                let _ = std::fs::remove_file(path);
            }
        }
        let listener = UnixListener::bind(path)?;
        let socket_file = std::fs::metadata(path).ok().map(|meta| SocketFile {
            path: path.to_owned(),
            id: (meta.dev(), meta.ino()),
        });
        Ok(self.server(
            handle,
            box_handler(cb),
            vec![Listener::Unix(listener)],
            socket_file,
        ))
    }

    fn server(
        &self,
        handle: Handle,
        handler: server::BoxedHandler,
        listeners: Vec<Listener>,
        socket_file: Option<SocketFile>,
    ) -> Server {
        let server = Server::new(handle, handler, self.limit, listeners, socket_file);
        if self.start_serving {
            server.start_accepting();
        }
        server
    }
}

fn dedup(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let mut out: Vec<SocketAddr> = Vec::with_capacity(addrs.len());
    for a in addrs {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// Connects to `host:port` and returns the connection's reader and writer (asyncio's
/// `open_connection`). Host names are resolved on the blocking pool; each address is
/// tried in turn. `TCP_NODELAY` is set, as asyncio does.
///
/// ```
/// asyncio::run(async {
///     let server = asyncio::start_server(|_r, w| async move { w.write(b"hello") }, "127.0.0.1", 0)
///         .await
///         .unwrap();
///     let port = server.sockets()[0].as_inet().unwrap().port();
///     let (mut reader, _writer) = asyncio::open_connection("localhost", port).await.unwrap();
///     assert_eq!(&reader.readexactly(5).await.unwrap()[..], b"hello");
/// });
/// ```
pub async fn open_connection(host: &str, port: u16) -> io::Result<(StreamReader, StreamWriter)> {
    StreamOptions::new().open_connection(host, port).await
}

/// Connects to the Unix-domain socket at `path` (asyncio's `open_unix_connection`).
///
/// ```
/// asyncio::run(async {
///     let path = std::env::temp_dir().join(format!("asyncio-ouc-{}.sock", std::process::id()));
///     let server = asyncio::start_unix_server(|_r, w| async move { w.write(b"hi") }, &path)
///         .await
///         .unwrap();
///     let (mut r, _w) = asyncio::open_unix_connection(&path).await.unwrap();
///     assert_eq!(&r.read(-1).await.unwrap()[..], b"hi");
///     server.close();
/// });
/// ```
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> io::Result<(StreamReader, StreamWriter)> {
    StreamOptions::new().open_unix_connection(path).await
}

/// Starts a TCP server on `host:port` (asyncio's `start_server`): `cb` is called with
/// each connection's reader and writer, and the future it returns runs as its own task
/// (asyncio's `client_connected_cb`). Its output is `()` or a `Result`, whose error
/// is reported to the exception handler (see [`HandlerOutput`]).
///
/// The callback owns the connection: dropping the writer closes it (as asyncio's
/// `StreamWriter.__del__`), so a closure written `|reader, _writer| async move { .. }`
/// that never names the writer inside the `async move` block closes the connection
/// before the handler runs; move it in (`let _writer = writer;`) to keep it open.
///
/// `host` is resolved and every address it has is bound (so `"localhost"` may listen
/// on `::1` and `127.0.0.1`); `""` binds every interface. Port 0 picks a free port:
/// read it from [`Server::sockets`].
///
/// ```
/// asyncio::run(async {
///     let server = asyncio::start_server(
///         |mut r, w| async move {
///             let n = r.readexactly(4).await?;
///             w.write(&n)?;
///             w.drain().await?;
///             Ok::<_, std::io::Error>(())
///         },
///         "127.0.0.1",
///         0,
///     )
///     .await
///     .unwrap();
///     let port = server.sockets()[0].as_inet().unwrap().port();
///     let (mut r, w) = asyncio::open_connection("127.0.0.1", port).await.unwrap();
///     w.write(b"abcd").unwrap();
///     assert_eq!(&r.read(-1).await.unwrap()[..], b"abcd");
/// });
/// ```
pub async fn start_server<F, Fut>(cb: F, host: &str, port: u16) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    StreamOptions::new().start_server(cb, host, port).await
}

/// Starts a Unix-domain server at `path` (asyncio's `start_unix_server`). A stale
/// socket file at `path` is removed first, and the file is removed again by
/// [`Server::close`] (asyncio 3.13's `cleanup_socket`).
///
/// ```
/// asyncio::run(async {
///     let path = std::env::temp_dir().join(format!("asyncio-sus-{}.sock", std::process::id()));
///     let server = asyncio::start_unix_server(|_r, _w| async {}, &path).await.unwrap();
///     assert_eq!(server.sockets()[0].as_pathname(), Some(path.as_path()));
///     server.close();
///     server.wait_closed().await.unwrap();
/// });
/// ```
pub async fn start_unix_server<F, Fut>(cb: F, path: impl AsRef<Path>) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    StreamOptions::new().start_unix_server(cb, path).await
}
