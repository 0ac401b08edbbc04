//! The Rust servers of the network benches (benches/net_run.sh starts one process per run):
//!
//! ```sh
//! net_server KIND PORT      # listens on 127.0.0.1:PORT until killed
//! net_server --list         # the KINDs of this build
//! ```
//!
//! | KIND | what |
//! |---|---|
//! | `echo-asyncio` | this runtime, 2 workers, a task per connection on raw `net::TcpStream` |
//! | `echo-asyncio-streams` | this runtime, 2 workers, asyncio's streams API: `start_server`, `StreamReader::read(65536)`, `StreamWriter::write` + `drain` (what `net_ref.py` runs on CPython and uvloop) |
//! | `echo-tokio` | tokio multi-thread, 2 workers, a task per connection |
//! | `echo-smol` | async-executor run by 2 threads (`async_io::block_on`) + async-io's reactor |
//! | `http-asyncio` | hyper 1.x HTTP/1.1 hello world on this runtime (`TokioIo` over its `TcpStream`, a timer on `asyncio::sleep`) |
//! | `http-tokio` | the same hyper service on tokio multi-thread, 2 workers (`TokioIo`, `TokioTimer`) |
//!
//! Every echo server does the same thing: per connection, read up to 64 KiB and write it
//! all back, until EOF; `TCP_NODELAY` on every accepted socket (asyncio and uvloop set it
//! by default). The accept loop runs as a task on the runtime under test in every case.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use asyncio_benches::WORKERS;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

const BUF: usize = 64 * 1024;

const KINDS: &[&str] = &[
    "echo-asyncio",
    "echo-asyncio-streams",
    "echo-tokio",
    "echo-smol",
    "http-asyncio",
    "http-tokio",
];

fn main() {
    let mut args = std::env::args().skip(1);
    if std::env::args().nth(1).as_deref() == Some("--list") {
        // The runner asks which servers this build has.
        println!("{}", KINDS.join("\n"));
        return;
    }
    let (Some(kind), Some(port)) = (args.next(), args.next()) else {
        eprintln!("usage: net_server KIND PORT");
        std::process::exit(2);
    };
    let port: u16 = port.parse().expect("PORT");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    match kind.as_str() {
        "echo-asyncio" => asyncio_main(echo_asyncio(addr)),
        "echo-asyncio-streams" => asyncio_main(echo_asyncio_streams(addr)),
        "http-asyncio" => asyncio_main(http_asyncio(addr)),
        "echo-tokio" => tokio_main(echo_tokio(addr)),
        "http-tokio" => tokio_main(http_tokio(addr)),
        "echo-smol" => echo_smol(addr),
        _ => {
            eprintln!("net_server: unknown KIND {kind}");
            std::process::exit(2);
        }
    }
}

// ---- this runtime ----

fn asyncio_main(server: impl Future<Output = ()> + Send + 'static) {
    let rt = asyncio::Builder::new()
        .worker_threads(WORKERS)
        .build()
        .expect("asyncio runtime");
    rt.block_on(server);
}

async fn echo_asyncio(addr: SocketAddr) {
    let listener = asyncio::net::TcpListener::bind(addr).await.expect("bind");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        asyncio::create_task(async move {
            let mut buf = vec![0u8; BUF];
            loop {
                let n = match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if stream.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}

async fn echo_asyncio_streams(addr: SocketAddr) {
    let server = asyncio::start_server(
        |mut reader: asyncio::StreamReader, writer: asyncio::StreamWriter| async move {
            loop {
                let data = match reader.read(BUF as isize).await {
                    Ok(data) if !data.is_empty() => data,
                    _ => break,
                };
                if writer.write(&data).is_err() || writer.drain().await.is_err() {
                    break;
                }
            }
            writer.close();
        },
        &addr.ip().to_string(),
        addr.port(),
    )
    .await
    .expect("start_server");
    let _ = server.serve_forever().await;
}

/// hyper's timer on `asyncio::sleep` (for its header-read timeout).
#[derive(Clone)]
struct AsyncioTimer;

struct AsyncioSleep(asyncio::Sleep);

impl Future for AsyncioSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A cancelled sleep ends too: the connection task is going away.
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

impl hyper::rt::Sleep for AsyncioSleep {}

impl hyper::rt::Timer for AsyncioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(AsyncioSleep(asyncio::sleep(duration)))
    }
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(AsyncioSleep(asyncio::sleep_until(deadline)))
    }
}

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

async fn http_asyncio(addr: SocketAddr) {
    let listener = asyncio::net::TcpListener::bind(addr).await.expect("bind");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        asyncio::create_task(async move {
            let _ = http1::Builder::new()
                .timer(AsyncioTimer)
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}

// ---- tokio ----

fn tokio_main(server: impl Future<Output = ()> + Send + 'static) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async { rt_spawned(tokio::spawn(server)).await });
}

async fn rt_spawned(h: tokio::task::JoinHandle<()>) {
    h.await.expect("server task");
}

async fn echo_tokio(addr: SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let mut buf = vec![0u8; BUF];
            loop {
                let n = match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if stream.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}

async fn http_tokio(addr: SocketAddr) {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}

// ---- smol: async-executor + async-io ----

fn echo_smol(addr: SocketAddr) {
    use async_io::Async;
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    use std::sync::Arc;

    let ex = Arc::new(async_executor::Executor::new());
    let listener = Async::<std::net::TcpListener>::bind(addr).expect("bind");
    let spawner = ex.clone();
    ex.spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.get_ref().set_nodelay(true);
            spawner
                .spawn(async move {
                    let mut buf = vec![0u8; BUF];
                    loop {
                        let n = match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if stream.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                })
                .detach();
        }
    })
    .detach();
    // WORKERS threads run the executor (this one included); an idle one drives the reactor.
    let others: Vec<_> = (1..WORKERS)
        .map(|_| {
            let ex = ex.clone();
            std::thread::spawn(move || async_io::block_on(ex.run(std::future::pending::<()>())))
        })
        .collect();
    async_io::block_on(ex.run(std::future::pending::<()>()));
    drop(others);
}
