//! [`TcpStream`]: a connected TCP socket.

use std::io;
use std::net::SocketAddr;

use crate::io::registration::IoSource;
use crate::io::scheduled_io::Direction;
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::ops;

/// The set-up of the method examples: `a` a client stream, `b` its accepted peer.
macro_rules! SETUP {
    () => {
        r#"    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    let a = asyncio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (b, _) = listener.accept().await?;
"#
    };
}

/// A connected TCP socket (asyncio's socket transport, tokio's `TcpStream`).
///
/// Reads and writes take `&self`, so one task can read while another writes; for two
/// tasks that each own a side, [`into_split`](Self::into_split). It implements the
/// runtime-neutral `futures_io::{AsyncRead, AsyncWrite}` (for `TcpStream` and
/// `&TcpStream`), and with the `tokio-io` feature tokio's traits too.
///
/// Writes never raise `SIGPIPE`: writing to a closed peer is an `io::Error` of kind
/// `BrokenPipe` (or `ConnectionReset`).
///
/// ```
/// asyncio::run(async {
///     let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = asyncio::net::TcpStream::connect(addr).await.unwrap();
///     client.set_nodelay(true).unwrap();
///     let (server, _) = listener.accept().await.unwrap();
///     client.write_all(b"ping").await.unwrap();
///     let mut buf = [0u8; 4];
///     server.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
/// });
/// ```
pub struct TcpStream {
    io: IoSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn (host names are
    /// resolved on the blocking pool). Cancelling the connect closes the half-made
    /// socket.
    #[doc = ops::doc_example!("", r#"
    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let client = asyncio::net::TcpStream::connect(("localhost", port)).await?;
    let (_server, peer) = listener.accept().await?;
    assert_eq!(peer, client.local_addr()?);
"#)]
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(&addr, Self::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        ops::finish_connect(&stream.io, |s| match s.take_error()? {
            Some(e) => Err(e),
            None => s.peer_addr().map(drop),
        })
        .await?;
        Ok(stream)
    }

    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: IoSource::new(stream)?,
        })
    }

    /// Takes over a connected std socket (made non-blocking here).
    #[doc = ops::doc_example!("", r#"
    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    let client = asyncio::net::TcpStream::from_std(std_stream)?;
    let (server, _) = listener.accept().await?;
    client.write_all(b"x").await?;
    assert_eq!(server.read(&mut [0u8; 1]).await?, 1);
"#)]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Reads without removing the data from the socket's queue: the next read returns
    /// the same bytes.
    #[doc = ops::doc_example!(SETUP!(), r#"
    b.write_all(b"hi").await?;
    let mut buf = [0u8; 2];
    a.peek(&mut buf).await?;
    a.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"hi");
"#)]
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        ops::op(&self.io, Direction::Read, |s| s.peek(buf)).await
    }

    ops::stream_read_methods!(SETUP!());
    ops::stream_write_methods!(SETUP!());

    /// `TCP_NODELAY`.
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.set_nodelay(true)?;
    assert!(a.nodelay()?);
"#)]
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.set_nodelay(false)?;
    assert!(!a.nodelay()?);
"#)]
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// The local address.
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert_eq!(a.local_addr()?, b.peer_addr()?);
"#)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert_eq!(a.peer_addr()?, listener.local_addr()?);
"#)]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    ops::ttl_methods!(SETUP!());
}

ops::stream_impls!(
    TcpStream,
    mio::net::TcpStream,
    std::net::TcpStream,
    SETUP!()
);
