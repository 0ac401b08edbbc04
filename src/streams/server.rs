//! [`Server`]: asyncio's `Server` for the streams API, with one accept task per
//! listening socket and one task per connection.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::loom::sync::{Arc, Weak};
use crate::loom::Mutex;
use crate::net::{TcpListener, UnixListener};
use crate::runtime::Handle;
use crate::streams::conn::{Addr, Conn, Socket};
use crate::streams::{StreamReader, StreamWriter};
use crate::sync::Event;
use crate::task::error::{PanicError, TaskError};
use crate::task::TaskRef;

/// How long accepting pauses after running out of descriptors or memory (asyncio's
/// `constants.ACCEPT_RETRY_DELAY`, 1 s).
pub const ACCEPT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// What a connection handler's future may end with: `()`, or a `Result` whose error
/// goes to the runtime's exception handler ("Unhandled exception in
/// client_connected_cb", as asyncio reports a handler's exception). A cancellation
/// (an `io::Error` wrapping a `CancelledError`) is not reported.
pub trait HandlerOutput: Send + 'static {
    /// The report for the exception handler, if the handler failed.
    fn failure(self) -> Option<String>;
}

impl HandlerOutput for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<T: Send + 'static, E: fmt::Display + Send + 'static> HandlerOutput for Result<T, E> {
    fn failure(self) -> Option<String> {
        let err = self.err()?;
        let any: &dyn std::any::Any = &err;
        if let Some(io) = any.downcast_ref::<io::Error>() {
            if crate::CancelledError::from_io(io).is_some() {
                return None;
            }
        }
        if let Some(s) = any.downcast_ref::<crate::streams::StreamError>() {
            if s.as_cancelled().is_some() {
                return None;
            }
        }
        Some(err.to_string())
    }
}

pub(crate) type BoxedHandler = Box<
    dyn Fn(StreamReader, StreamWriter) -> Pin<Box<dyn Future<Output = Option<String>> + Send>>
        + Send
        + Sync,
>;

/// Boxes a user's `client_connected_cb`.
pub(crate) fn box_handler<F, Fut>(cb: F) -> BoxedHandler
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    Box::new(move |r, w| {
        let fut = cb(r, w);
        Box::pin(async move { fut.await.failure() })
    })
}

/// A listening socket of a server.
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Socket>> {
        match self {
            Listener::Tcp(l) => l.poll_accept(cx).map_ok(|(s, _)| {
                // As asyncio: TCP_NODELAY on every stream socket.
                let _ = s.set_nodelay(true);
                Socket::Tcp(s)
            }),
            Listener::Unix(l) => l.poll_accept(cx).map_ok(|(s, _)| Socket::Unix(s)),
        }
    }

    fn local_addr(&self) -> io::Result<Addr> {
        match self {
            Listener::Tcp(l) => l.local_addr().map(Addr::Inet),
            Listener::Unix(l) => l.local_addr().map(Addr::Unix),
        }
    }
}

/// The socket file of a Unix server, removed at close if it is still ours (asyncio
/// 3.13's `cleanup_socket`).
pub(crate) struct SocketFile {
    pub(crate) path: PathBuf,
    pub(crate) id: (u64, u64),
}

impl SocketFile {
    fn cleanup(&self) {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata(&self.path) {
            if (meta.dev(), meta.ino()) == self.id {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

struct State {
    /// `None` once closed.
    listeners: Option<Vec<Listener>>,
    serving: bool,
    serving_forever: bool,
    accept_tasks: Vec<TaskRef>,
    /// Attachments alive: one per connection until it is lost, one per handler until
    /// it ends.
    active: usize,
    clients: std::collections::HashMap<u64, Weak<Conn>>,
    next_client: u64,
    socket_file: Option<SocketFile>,
}

struct Inner {
    handle: Handle,
    handler: BoxedHandler,
    limit: usize,
    state: Mutex<State>,
    /// Set by `close`: `serve_forever` returns.
    closed: Event,
    /// Set once closed and no attachment is left: `wait_closed` returns.
    done: Event,
}

/// Keeps a server's `wait_closed` waiting: held by each connection until it is lost,
/// and by each handler task until it ends.
pub(crate) struct Attachment {
    inner: Arc<Inner>,
    client: Option<u64>,
}

impl Inner {
    fn attach(self: &Arc<Self>, st: &mut State, client: Option<u64>) -> Attachment {
        st.active += 1;
        Attachment {
            inner: self.clone(),
            client,
        }
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        let mut st = self.inner.state.lock();
        st.active -= 1;
        if let Some(id) = self.client {
            st.clients.remove(&id);
        }
        if st.active == 0 && st.listeners.is_none() {
            self.inner.done.set();
        }
    }
}

/// A server accepting stream connections (asyncio's `asyncio.Server`), made by
/// [`start_server`](super::start_server) or [`start_unix_server`](super::start_unix_server).
///
/// Each connection gets a [`StreamReader`] and a [`StreamWriter`], handed to the
/// callback, whose future runs as its own task. A clone is another handle to the same
/// server. As in asyncio, dropping the handles does not stop the server (its accept
/// tasks keep it): [`close`](Self::close) does, and so does the runtime's shutdown.
///
/// ```
/// use asyncio::streams::start_server;
///
/// asyncio::run(async {
///     let server = start_server(|_r, w| async move { w.write(b"hi") }, "127.0.0.1", 0)
///         .await
///         .unwrap();
///     assert!(server.is_serving());
///     let addr = server.sockets()[0].as_inet().unwrap();
///     let (mut r, _w) = asyncio::open_connection("127.0.0.1", addr.port()).await.unwrap();
///     assert_eq!(&r.read(-1).await.unwrap()[..], b"hi");
///     server.close();
///     assert!(!server.is_serving() && server.sockets().is_empty());
///     server.wait_closed().await.unwrap();
/// });
/// ```
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

impl Server {
    pub(crate) fn new(
        handle: Handle,
        handler: BoxedHandler,
        limit: usize,
        listeners: Vec<Listener>,
        socket_file: Option<SocketFile>,
    ) -> Server {
        Server {
            inner: Arc::new(Inner {
                handle,
                handler,
                limit,
                state: Mutex::new(State {
                    listeners: Some(listeners),
                    serving: false,
                    serving_forever: false,
                    accept_tasks: Vec::new(),
                    active: 0,
                    clients: Default::default(),
                    next_client: 0,
                    socket_file,
                }),
                closed: Event::new(),
                done: Event::new(),
            }),
        }
    }

    /// The addresses of the listening sockets; empty once closed (asyncio's `sockets`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     assert_eq!(server.sockets().len(), 1);
    ///     server.close();
    ///     assert!(server.sockets().is_empty());
    /// });
    /// ```
    pub fn sockets(&self) -> Vec<Addr> {
        let st = self.inner.state.lock();
        st.listeners
            .iter()
            .flatten()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// `true` while accepting connections (asyncio's `is_serving`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::streams::StreamOptions::new()
    ///         .start_serving(false)
    ///         .start_server(|_r, _w| async {}, "127.0.0.1", 0)
    ///         .await
    ///         .unwrap();
    ///     assert!(!server.is_serving());
    ///     server.start_serving().await.unwrap();
    ///     assert!(server.is_serving());
    /// });
    /// ```
    pub fn is_serving(&self) -> bool {
        self.inner.state.lock().serving
    }

    /// Starts accepting, if not already (asyncio's `start_serving`). Connections made
    /// before wait in the listen backlog. A no-op once closed.
    pub async fn start_serving(&self) -> io::Result<()> {
        self.start_accepting();
        crate::sleep(Duration::ZERO).await?;
        Ok(())
    }

    pub(crate) fn start_accepting(&self) {
        let count = {
            let mut st = self.inner.state.lock();
            let count = match &st.listeners {
                Some(ls) if !st.serving => ls.len(),
                _ => return,
            };
            st.serving = true;
            count
        };
        let tasks: Vec<TaskRef> = (0..count)
            .map(|i| {
                let inner = self.inner.clone();
                self.inner
                    .handle
                    .create_task(accept_loop(inner, i))
                    .task_ref()
            })
            .collect();
        self.inner.state.lock().accept_tasks.extend(tasks);
    }

    /// Accepts until the server is closed (asyncio's `serve_forever`).
    ///
    /// As in asyncio, it ends with a cancellation: when another task calls
    /// [`close`](Self::close), or when the awaiting task is cancelled (then it closes the
    /// server and waits for [`wait_closed`](Self::wait_closed) first). The error is an
    /// `io::Error` wrapping the `CancelledError`, tracked by the awaiting task, so
    /// propagating it ends that task cancelled, as in asyncio; match it with
    /// [`CancelledError::from_io`](crate::CancelledError::from_io) to carry on.
    /// A second concurrent call, or a call after `close`: an error (asyncio's
    /// `RuntimeError`).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     let s = server.clone();
    ///     let serving = asyncio::create_task(async move { s.serve_forever().await });
    ///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
    ///     server.close();
    ///     let err = serving.await.unwrap_err(); // ended cancelled
    ///     assert!(err.as_cancelled().is_some());
    ///     assert!(server.serve_forever().await.is_err()); // closed
    /// });
    /// ```
    pub async fn serve_forever(&self) -> io::Result<()> {
        {
            let mut st = self.inner.state.lock();
            if st.serving_forever {
                return Err(io::Error::other(
                    "server is already being awaited on serve_forever()",
                ));
            }
            if st.listeners.is_none() {
                return Err(io::Error::other("server is closed"));
            }
            st.serving_forever = true;
        }
        struct Reset<'a>(&'a Inner);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.state.lock().serving_forever = false;
            }
        }
        let _reset = Reset(&self.inner);
        self.start_accepting();
        match self.inner.closed.wait().await {
            // Closed by someone else: asyncio's cancelled `_serving_forever_fut`.
            Ok(()) => Err(crate::task::cancel::cancelled_error(None).into()),
            Err(cancelled) => {
                self.close();
                // The cancellation was consumed: this wait only ends early if the task
                // is cancelled again.
                let _ = self.wait_closed().await;
                Err(cancelled.into())
            }
        }
    }

    /// Stops accepting and closes the listening sockets, now (asyncio's `close`).
    /// Open connections stay open (see [`close_clients`](Self::close_clients)). A Unix
    /// server's socket file is removed if it is still the one bound.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     let port = server.sockets()[0].as_inet().unwrap().port();
    ///     server.close();
    ///     assert!(asyncio::open_connection("127.0.0.1", port).await.is_err());
    /// });
    /// ```
    pub fn close(&self) {
        let (listeners, tasks, socket_file) = {
            let mut st = self.inner.state.lock();
            let Some(listeners) = st.listeners.take() else {
                return;
            };
            st.serving = false;
            if st.active == 0 {
                self.inner.done.set();
            }
            (
                listeners,
                std::mem::take(&mut st.accept_tasks),
                st.socket_file.take(),
            )
        };
        // The descriptors close here, before `close` returns.
        drop(listeners);
        if let Some(file) = socket_file {
            file.cleanup();
        }
        for task in tasks {
            // The accept loops find no listener when they next run; the cancel makes
            // sure they run (their wakers belonged to the closed sockets).
            task.cancel(None);
        }
        self.inner.closed.set();
    }

    /// Closes every open connection (asyncio 3.13's `close_clients`): each one's
    /// buffer is still sent.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::start_server(
    ///         |mut r, w| async move {
    ///             w.write(b"hi\n")?;
    ///             r.read(-1).await.map(drop) // until the connection is closed
    ///         },
    ///         "127.0.0.1",
    ///         0,
    ///     )
    ///     .await
    ///     .unwrap();
    ///     let port = server.sockets()[0].as_inet().unwrap().port();
    ///     let (mut r, _w) = asyncio::open_connection("127.0.0.1", port).await.unwrap();
    ///     assert_eq!(&r.readline().await.unwrap()[..], b"hi\n"); // accepted
    ///     server.close();
    ///     server.close_clients();
    ///     assert!(r.read(-1).await.unwrap().is_empty()); // EOF from the server
    ///     server.wait_closed().await.unwrap();
    /// });
    /// ```
    pub fn close_clients(&self) {
        for conn in self.clients() {
            conn.close();
        }
    }

    /// Aborts every open connection (asyncio 3.13's `abort_clients`): buffers are
    /// dropped.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     server.abort_clients(); // none yet
    ///     server.close();
    ///     server.wait_closed().await.unwrap();
    /// });
    /// ```
    pub fn abort_clients(&self) {
        for conn in self.clients() {
            conn.abort();
        }
    }

    fn clients(&self) -> Vec<Arc<Conn>> {
        let st = self.inner.state.lock();
        st.clients.values().filter_map(Weak::upgrade).collect()
        // The guard drops before the `Arc`s: dropping a last one detaches, which locks.
    }

    /// Connections that count for [`wait_closed`](Self::wait_closed): those not yet
    /// closed, and handler tasks not yet finished.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     assert_eq!(server.active_connections(), 0);
    /// });
    /// ```
    pub fn active_connections(&self) -> usize {
        self.inner.state.lock().active
    }

    /// Waits until the server is closed and every connection is done (asyncio 3.12.1+'s
    /// `wait_closed`): each connection closed, and each handler task finished. Waits
    /// for a `close` from elsewhere if the server is still open.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let server = asyncio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     server.close();
    ///     server.wait_closed().await.unwrap();
    ///     server.wait_closed().await.unwrap(); // again: at once
    /// });
    /// ```
    pub async fn wait_closed(&self) -> io::Result<()> {
        self.inner.done.wait().await?;
        Ok(())
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("sockets", &self.sockets())
            .field("serving", &self.is_serving())
            .field("active", &self.active_connections())
            .finish()
    }
}

/// One listening socket's accept loop (asyncio's `_accept_connection`).
async fn accept_loop(inner: Arc<Inner>, index: usize) {
    loop {
        let accepted = poll_fn(|cx| {
            let st = inner.state.lock();
            match &st.listeners {
                Some(ls) => ls[index].poll_accept(cx).map(Some),
                None => Poll::Ready(None),
            }
        })
        .await;
        match accepted {
            None => return,
            Some(Ok(socket)) => start_connection(&inner, socket),
            Some(Err(e)) if crate::CancelledError::from_io(&e).is_some() => return,
            Some(Err(e)) if accept_retry_now(&e) => {}
            Some(Err(e)) => {
                let what = if out_of_resources(&e) {
                    "socket.accept() out of system resource"
                } else {
                    "socket.accept() failed"
                };
                inner
                    .handle
                    .shared
                    .report_exception(&format!("{what}: {e}"), None, None);
                // asyncio stops reading the socket for ACCEPT_RETRY_DELAY: a pending
                // connection keeps it readable, so retrying at once would spin.
                if crate::sleep(ACCEPT_RETRY_DELAY).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Accept errors that concern one pending connection only (asyncio ignores
/// `ConnectionAbortedError`; Linux's accept(2) says to retry on the network errors).
fn accept_retry_now(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
    ) || matches!(
        e.raw_os_error(),
        Some(
            libc::EPROTO
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH
                | libc::ENETDOWN
                | libc::EPERM
        )
    )
}

fn out_of_resources(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Builds the reader and writer of an accepted socket and starts its handler task.
fn start_connection(inner: &Arc<Inner>, socket: Socket) {
    let (conn_attachment, handler_attachment, id) = {
        let mut st = inner.state.lock();
        if st.listeners.is_none() {
            // Accepted just before `close`: refused, as no accept can follow a close in
            // asyncio (the socket closes here).
            return;
        }
        let id = st.next_client;
        st.next_client += 1;
        (
            inner.attach(&mut st, Some(id)),
            inner.attach(&mut st, None),
            id,
        )
    };
    let conn = Conn::new(socket, inner.handle.clone(), Some(conn_attachment));
    inner.state.lock().clients.insert(id, Arc::downgrade(&conn));
    let reader = StreamReader::from_conn(conn.clone(), inner.limit);
    let writer = StreamWriter::from_conn(conn);
    let fut = match std::panic::catch_unwind(AssertUnwindSafe(|| (inner.handler)(reader, writer))) {
        Ok(fut) => fut,
        Err(payload) => {
            inner.handle.shared.report_exception(
                "Exception in client_connected_cb",
                Some(TaskError::Panicked(PanicError::new(payload))),
                None,
            );
            return;
        }
    };
    let shared = inner.handle.shared.clone();
    drop(inner.handle.create_task(async move {
        let _attachment = handler_attachment;
        match (CatchUnwind { fut }).await {
            Ok(None) => {}
            Ok(Some(failure)) => shared.report_exception(
                &format!("Unhandled exception in client_connected_cb: {failure}"),
                None,
                None,
            ),
            Err(payload) => shared.report_exception(
                "Unhandled exception in client_connected_cb",
                Some(TaskError::Panicked(PanicError::new(payload))),
                None,
            ),
        }
    }));
}

/// Catches a panic of the handler's future, to report it as asyncio reports a
/// handler's exception.
struct CatchUnwind {
    fut: Pin<Box<dyn Future<Output = Option<String>> + Send>>,
}

impl Future for CatchUnwind {
    type Output = Result<Option<String>, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.fut.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}
