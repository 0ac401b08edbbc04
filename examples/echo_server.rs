//! An echo server on asyncio's streams API: a task per connection (the
//! `client_connected_cb` of `start_server`), lines echoed back, and a graceful shutdown:
//! stop accepting, close every connection once its buffer is sent, wait for every
//! handler to finish.
//!
//! ```text
//! cargo run --example echo_server -- [ADDR] [--serve-for-ms N]
//! ```
//! `ADDR` defaults to `127.0.0.1:8888` (port 0 picks a free one); the server prints
//! `listening on ADDR` and shuts down gracefully on SIGINT (Ctrl-C) or SIGTERM, or after
//! `N` ms if given. Try it with `nc 127.0.0.1 8888`.
//!
//! `serve` is also run by `tests/net_streams.rs` (`echo_example_server`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use asyncio::signal::{add_signal_handler, remove_signal_handler, SIGINT, SIGTERM};
use asyncio::{StreamReader, StreamWriter};

/// One connection: echo each line until EOF.
async fn handle_client(mut reader: StreamReader, writer: StreamWriter) -> io::Result<()> {
    loop {
        let line = reader.readline().await?;
        if line.is_empty() {
            break; // EOF: the client is done, or the server is shutting down.
        }
        writer.write(&line)?;
        writer.drain().await?;
    }
    writer.close();
    writer.wait_closed().await
}

/// Serves on `addr` until `shutdown` completes, then shuts down gracefully.
/// `on_bound` gets the address actually bound (for port 0).
pub async fn serve(
    addr: &str,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let (host, port) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "expected HOST:PORT"))?;
    let server = asyncio::start_server(handle_client, host, port).await?;
    if let Some(bound) = server.sockets().first().and_then(|a| a.as_inet()) {
        on_bound(bound);
    }
    shutdown.await;
    server.close(); // no new connections; the listening socket is closed now
    server.close_clients(); // each handler's reader sees EOF once its data is read
    server.wait_closed().await // every handler finished, every connection closed
}

/// `[ADDR] [--serve-for-ms N]`.
fn parse_args() -> io::Result<(String, Option<Duration>)> {
    let mut addr = "127.0.0.1:8888".to_owned();
    let mut serve_for = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--serve-for-ms" {
            let ms = args
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "--serve-for-ms N"))?;
            serve_for = Some(Duration::from_millis(ms));
        } else {
            addr = arg;
        }
    }
    Ok((addr, serve_for))
}

#[asyncio::main]
async fn main() -> io::Result<()> {
    let (addr, serve_for) = parse_args()?;
    let stop = Arc::new(asyncio::Event::new());

    // ---- The shutdown triggers. ------------------------------------------------------
    // SIGINT (Ctrl-C) and SIGTERM, through asyncio's loop.add_signal_handler.
    for sig in [SIGINT, SIGTERM] {
        let stop = stop.clone();
        add_signal_handler(sig, move || stop.set())?;
    }
    if let Some(after) = serve_for {
        let stop = stop.clone();
        asyncio::call_later(after, move || stop.set());
    }
    // -----------------------------------------------------------------------------------

    serve(
        &addr,
        |bound| println!("listening on {bound}"),
        async move {
            let _ = stop.wait().await;
        },
    )
    .await?;
    remove_signal_handler(SIGINT)?;
    remove_signal_handler(SIGTERM)?;
    println!("shut down");
    Ok(())
}
