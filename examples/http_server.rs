//! hyper 1.x serving HTTP/1.1 "Hello, World!" on this runtime, with a graceful shutdown
//! on SIGINT (Ctrl-C) or SIGTERM.
//!
//! ```sh
//! cargo run --release --example http_server -- --addr 127.0.0.1:8080 --workers 2
//! curl http://127.0.0.1:8080/
//! ```
//!
//! What hyper needs from a runtime, and where it comes from here:
//! * **I/O**: hyper's own `rt::Read`/`rt::Write`, implemented by [`HyperIo`] over
//!   `asyncio::net::TcpStream`'s `poll_read_uninit`/`poll_write` (no tokio traits, so no
//!   `tokio-io` feature and no hyper-util).
//! * **A timer** (for the header-read timeout): [`AsyncioTimer`], on `asyncio::sleep`.
//! * **An executor**: [`AsyncioExecutor`], on `asyncio::create_task`. hyper's HTTP/1
//!   server does not spawn anything itself (only HTTP/2 does), so the accept loop uses it
//!   to start one task per connection.
//! * **Shutdown**: `asyncio::signal` handlers for SIGINT and SIGTERM set an event; the
//!   accept loop stops, every connection finishes its in-flight request and closes
//!   (`graceful_shutdown`), and the process exits 0.

use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use asyncio::net::{TcpListener, TcpStream};
use asyncio::signal::{add_signal_handler, remove_signal_handler, SIGINT, SIGTERM};
use asyncio::Event;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::rt::{Executor, Read, ReadBufCursor, Sleep, Timer, Write};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// hyper's executor: a task on the running runtime per future.
#[derive(Clone, Copy, Debug)]
struct AsyncioExecutor;

impl<F> Executor<F> for AsyncioExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        // Dropping the handle detaches the task: it runs to completion. hyper's futures
        // have outputs of any type: `Value` passes them through as plain values.
        drop(asyncio::create_task(
            async move { asyncio::Value(fut.await) },
        ));
    }
}

/// hyper's timer: `asyncio::sleep`.
#[derive(Clone, Copy, Debug)]
struct AsyncioTimer;

impl Timer for AsyncioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(AsyncioSleep(asyncio::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(AsyncioSleep(asyncio::sleep_until(deadline)))
    }
}

/// `asyncio::Sleep` as hyper's `Sleep` (output `()`). A cancellation of the task
/// delivered at the sleep ends it early, which hyper sees as the timeout expiring.
struct AsyncioSleep(asyncio::Sleep);

impl Future for AsyncioSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

impl Sleep for AsyncioSleep {}

/// hyper's I/O traits over the runtime's TCP stream.
struct HyperIo(TcpStream);

impl Read for HyperIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `poll_read_uninit` only writes into the unfilled part (recv(2)); it
        // never de-initialises a byte.
        let unfilled = unsafe { buf.as_mut() };
        let n = ready!(self.0.poll_read_uninit(cx, unfilled))?;
        // SAFETY: the read filled the first `n` bytes of the unfilled part.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl Write for HyperIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // No user-space buffer.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.shutdown(std::net::Shutdown::Write))
    }
}

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

/// Live connections, and an event set when the last one closes after shutdown began.
#[derive(Default)]
struct Connections {
    open: AtomicUsize,
    all_closed: Event,
}

/// Serves one connection until it closes, or until `shutdown` is set and it finished
/// its in-flight request.
async fn serve_connection(stream: TcpStream, shutdown: Arc<Event>) {
    let _ = stream.set_nodelay(true);
    let conn = http1::Builder::new()
        .timer(AsyncioTimer)
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(HyperIo(stream), service_fn(hello));
    let mut conn = pin!(conn);
    let mut stop = pin!(shutdown.wait());
    let mut stopping = false;
    let result = poll_fn(|cx| {
        if !stopping && stop.as_mut().poll(cx).is_ready() {
            conn.as_mut().graceful_shutdown();
            stopping = true;
        }
        conn.as_mut().poll(cx)
    })
    .await;
    if let Err(e) = result {
        // A client gone mid-request, a header timeout...: that connection only.
        eprintln!("connection error: {e}");
    }
}

async fn serve(addr: SocketAddr) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);

    let shutdown = Arc::new(Event::new());
    for sig in [SIGINT, SIGTERM] {
        let shutdown = shutdown.clone();
        add_signal_handler(sig, move || shutdown.set())?;
    }

    let connections = Arc::new(Connections::default());
    loop {
        let mut stop = pin!(shutdown.wait());
        let accepted = poll_fn(|cx| {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            listener.poll_accept(cx).map(Some)
        })
        .await;
        let stream = match accepted {
            None => break,
            Some(Ok((stream, _peer))) => stream,
            Some(Err(e)) => {
                // EMFILE and the like: this accept fails, the server goes on.
                eprintln!("accept: {e}");
                asyncio::sleep(Duration::from_millis(10)).await.ok();
                continue;
            }
        };
        connections.open.fetch_add(1, Ordering::SeqCst);
        let (shutdown, connections) = (shutdown.clone(), connections.clone());
        AsyncioExecutor.execute(async move {
            serve_connection(stream, shutdown.clone()).await;
            if connections.open.fetch_sub(1, Ordering::SeqCst) == 1 && shutdown.is_set() {
                connections.all_closed.set();
            }
        });
    }

    // Stop accepting, then let the open connections finish.
    drop(listener);
    let open = connections.open.load(Ordering::SeqCst);
    println!("shutting down: {open} connection(s) open");
    if open > 0 {
        let closed = asyncio::wait_for(connections.all_closed.wait(), Some(SHUTDOWN_GRACE)).await;
        if closed.is_err() {
            eprintln!("connections still open after {SHUTDOWN_GRACE:?}: closing them");
        }
    }
    // The default actions are back: a second Ctrl-C now ends the process at once.
    remove_signal_handler(SIGINT)?;
    remove_signal_handler(SIGTERM)?;
    println!("bye");
    Ok(())
}

struct Args {
    addr: SocketAddr,
    workers: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:8080".parse().expect("a valid default"),
        workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => args.addr = value.parse().map_err(|e| format!("--addr {value}: {e}"))?,
            "--workers" => {
                args.workers = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--workers {value}: a positive number"))?
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\nusage: http_server [--addr HOST:PORT] [--workers N]");
            std::process::exit(2);
        }
    };
    let rt = asyncio::Builder::new()
        .worker_threads(args.workers)
        .build()
        .expect("start the runtime");
    if let Err(e) = rt.block_on(serve(args.addr)) {
        eprintln!("http_server: {e}");
        std::process::exit(1);
    }
}
