//! [`TcpListener`]: a listening TCP socket.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use crate::io::registration::IoSource;
use crate::io::scheduled_io::Direction;
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::ops;
use crate::net::tcp::stream::TcpStream;

/// Backlog of listening sockets (asyncio's `start_server` default is 100; tokio's 1024).
pub(crate) const DEFAULT_BACKLOG: i32 = 1024;

/// A TCP socket accepting connections (asyncio's server socket, tokio's `TcpListener`).
///
/// Bound with `SO_REUSEADDR` (as asyncio's `create_server` does on Unix), so a
/// restarted server can bind the port again at once.
///
/// ```
/// asyncio::run(async {
///     let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = asyncio::create_task(async move {
///         asyncio::net::TcpStream::connect(addr).await.unwrap()
///     });
///     let (_conn, peer) = listener.accept().await.unwrap();
///     let client = client.await.unwrap();
///     assert_eq!(client.local_addr().unwrap(), peer);
/// });
/// ```
pub struct TcpListener {
    io: IoSource<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (the first address that works) and listens.
    #[doc = ops::doc_example!("", r#"
    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    assert!(listener.local_addr()?.ip().is_loopback());
    let err = asyncio::net::TcpListener::bind(listener.local_addr()?).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
"#)]
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(
            &addr,
            |a| async move { Self::bind_addr(a, DEFAULT_BACKLOG) },
        )
        .await
    }

    /// Binds to one resolved address with `backlog`.
    pub(crate) fn bind_addr(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        socket.set_nonblocking(true)?;
        socket.set_reuse_address(true)?;
        if addr.is_ipv6() {
            // As asyncio: an IPv6 listener does not also take IPv4 connections.
            socket.set_only_v6(true)?;
        }
        socket.bind(&addr.into())?;
        socket.listen(backlog)?;
        Self::from_std(socket.into())
    }

    /// Takes over a listening std socket (made non-blocking here).
    #[doc = ops::doc_example!("", r#"
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let listener = asyncio::net::TcpListener::from_std(std_listener)?;
    let _client = asyncio::net::TcpStream::connect(listener.local_addr()?).await?;
    listener.accept().await?;
"#)]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: IoSource::with_interest(
                mio::net::TcpListener::from_std(listener),
                mio::Interest::READABLE,
            )?,
        })
    }

    /// Waits for a connection. Cancelling the wait loses no connection: it stays in the
    /// backlog for the next `accept`.
    #[doc = ops::doc_example!("", r#"
    use std::time::Duration;
    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    // Nobody connects in time: the accept is cancelled.
    assert!(asyncio::wait_for(listener.accept(), Some(Duration::from_millis(5))).await.is_err());
    let client = asyncio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (_server, peer) = listener.accept().await?;
    assert_eq!(peer, client.local_addr()?);
"#)]
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = poll_fn(|cx| self.poll_accept_raw(cx)).await?;
        Ok((TcpStream::from_mio(stream)?, addr))
    }

    /// Polls for a connection (the poll form of [`accept`](Self::accept)).
    #[doc = ops::doc_example!("", r#"
    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    let _client = asyncio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (_server, _peer) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
"#)]
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.poll_accept_raw(cx) {
            Poll::Ready(Ok((s, a))) => Poll::Ready(TcpStream::from_mio(s).map(|s| (s, a))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_accept_raw(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(mio::net::TcpStream, SocketAddr)>> {
        ops::poll_op(&self.io, cx, Direction::Read, |l| l.accept())
    }

    /// The address the listener is bound to.
    #[doc = ops::doc_example!("", r#"
    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    assert_ne!(listener.local_addr()?.port(), 0);
"#)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    ops::ttl_methods!("    let a = asyncio::net::TcpListener::bind(\"127.0.0.1:0\").await?;\n");
}

ops::impl_socket_traits!(TcpListener: local_addr);
