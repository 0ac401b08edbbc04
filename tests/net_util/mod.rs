//! Helpers shared by the `tests/net_*.rs` files: run a body on a 1-worker and a
//! 2-worker runtime under the test deadline, connected socket pairs, temporary paths.
#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use asyncio::net::{TcpListener, TcpStream};

use crate::util;

/// Runs the body made by `body(workers)` on a 1-worker runtime, then on a 2-worker one,
/// each inside [`util::deadline`].
#[track_caller]
pub fn on_both<F, Fut>(body: F)
where
    F: Fn(usize) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    util::deadline(move || {
        for n in util::WORKER_COUNTS {
            let rt = if n == 1 { util::rt1() } else { util::rt(n) };
            rt.block_on(body(n));
        }
    });
}

/// A connected TCP pair on 127.0.0.1: (client, accepted server side).
pub async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    (client, server)
}

/// Deterministic test data: `len` bytes, different for each `seed`.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Reads until EOF.
pub async fn read_to_end(read: impl AsyncReadFn) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match read.read_into(&mut buf).await? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Anything with an async `read(&self, &mut [u8])`.
pub trait AsyncReadFn {
    fn read_into(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send;
}

impl AsyncReadFn for &TcpStream {
    fn read_into(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send {
        self.read(buf)
    }
}

impl AsyncReadFn for &asyncio::net::UnixStream {
    fn read_into(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send {
        self.read(buf)
    }
}

impl AsyncReadFn for &asyncio::net::tcp::OwnedReadHalf {
    fn read_into(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send {
        self.read(buf)
    }
}

impl AsyncReadFn for &asyncio::net::unix::OwnedReadHalf {
    fn read_into(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send {
        self.read(buf)
    }
}

/// A fresh directory under the system's temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "asyncio-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether the host has an IPv6 loopback (`::1`) to bind.
pub fn has_ipv6_loopback() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

/// The cancellation carried by `err`, with its message: asserts it is one.
pub fn cancel_message(err: &io::Error) -> Option<String> {
    asyncio::CancelledError::from_io(err)
        .unwrap_or_else(|| panic!("not a cancellation: {err:?}"))
        .message()
        .map(str::to_owned)
}

/// Runs `op` in a task that sets an event just before awaiting it, cancels the task
/// with `msg` once the event is set (on 1 worker the task then waits in `op`), and
/// checks that it ended cancelled with `msg`: it propagated the `io::Error` with `?`.
pub async fn cancel_while_waiting<T: Send + 'static>(
    msg: &str,
    op: impl Future<Output = io::Result<T>> + Send + 'static,
) {
    let started = std::sync::Arc::new(asyncio::Event::new());
    let s = started.clone();
    let t = asyncio::create_task(async move {
        s.set();
        op.await?;
        io::Result::Ok(())
    });
    started.wait().await.unwrap();
    assert!(t.cancel(Some(msg)));
    let err = t.await.unwrap_err();
    assert_eq!(util::cancel_msg(&err).as_deref(), Some(msg));
}

/// Runs `op` in a task whose own cancel (with `msg`) was pending when the step that
/// starts `op` began: `op` fails with the cancellation at once (taking nothing, even if
/// it need not wait), and the task, which returns that error, ends cancelled with `msg`.
/// (Made in the same step, the request would not do: as in asyncio, an await point that
/// need not suspend gives its result, and the request waits for the next suspension.)
pub async fn cancel_delivered_at<T: Send + 'static>(
    msg: &'static str,
    op: impl Future<Output = io::Result<T>> + Send + 'static,
) {
    let t = asyncio::create_task(async move {
        asyncio::current_task().unwrap().cancel(Some(msg));
        // Ends the step without an await point that would take the request: it is
        // pending when the next step begins.
        ForeignYield(false).await;
        let err = op.await.err().expect("the cancellation");
        assert_eq!(cancel_message(&err).as_deref(), Some(msg));
        Err::<(), _>(err)
    });
    let err = t.await.unwrap_err();
    assert_eq!(util::cancel_msg(&err).as_deref(), Some(msg));
}

/// Yields once without knowing of the runtime (wakes itself, then is ready).
struct ForeignYield(bool);

impl Future for ForeignYield {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// `len` bytes each way through two pairs of halves at once, each half in its own task,
/// through the futures-io traits. More than the socket buffers hold: this deadlocks
/// unless the halves of one stream really run concurrently.
pub async fn full_duplex<R, W>(a: (R, W), b: (R, W), len: usize)
where
    R: futures_io::AsyncRead + Unpin + Send + 'static,
    W: futures_io::AsyncWrite + Unpin + Send + 'static,
{
    let up = pattern(2, len);
    let down = pattern(3, len);
    let ((a_rd, a_wr), (b_rd, b_wr)) = (a, b);
    let writers = [(a_wr, up.clone()), (b_wr, down.clone())].map(|(mut w, data)| {
        asyncio::create_task(async move {
            let mut sent = 0;
            while sent < data.len() {
                let n = std::future::poll_fn(|cx| {
                    std::pin::Pin::new(&mut w).poll_write(cx, &data[sent..])
                })
                .await?;
                sent += n;
            }
            io::Result::Ok(())
        })
    });
    let readers = [a_rd, b_rd].map(|mut r| {
        asyncio::create_task(async move {
            let mut buf = vec![0u8; len];
            let mut got = 0;
            while got < len {
                let n = std::future::poll_fn(|cx| {
                    std::pin::Pin::new(&mut r).poll_read(cx, &mut buf[got..])
                })
                .await?;
                assert!(n > 0, "EOF before the end");
                got += n;
            }
            io::Result::Ok(buf)
        })
    });
    for w in writers {
        w.await.unwrap();
    }
    let [a_got, b_got] = readers;
    assert!(a_got.await.unwrap() == down, "a read what b wrote");
    assert!(b_got.await.unwrap() == up, "b read what a wrote");
}
