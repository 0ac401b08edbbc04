//! [`TcpStream`]: a connected TCP socket.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};

use crate::io::registration::IoSource;
use crate::io::scheduled_io::Direction;
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::ops;
use crate::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

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
    /// Connects to `addr`, trying each resolved address in turn.
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

    /// Shuts down the read side, the write side (a FIN: the peer reads EOF) or both.
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.shutdown(std::net::Shutdown::Write)?;
    assert_eq!(b.read(&mut [0u8; 4]).await?, 0); // EOF
    b.write_all(b"still open").await?; // the other direction works
"#)]
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

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

    /// `IP_TTL`.
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert!(a.ttl()? > 0);
"#)]
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL`.
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.set_ttl(42)?;
    assert_eq!(a.ttl()?, 42);
"#)]
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Splits the stream into a read half and a write half that two tasks can own
    /// (tokio's `into_split`). Dropping the write half shuts the write side down; the
    /// halves [`reunite`](crate::net::tcp::OwnedReadHalf::reunite) into the stream.
    #[doc = ops::doc_example!(SETUP!(), r#"
    let (rd, wr) = a.into_split();
    let reader = asyncio::create_task(async move {
        let mut buf = [0u8; 4];
        rd.read_exact(&mut buf).await.map(|()| buf)
    });
    wr.write_all(b"ping").await?;
    let mut echo = [0u8; 4];
    b.read_exact(&mut echo).await?;
    b.write_all(&echo).await?;
    assert_eq!(&reader.await.unwrap()?, b"ping");
"#)]
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        crate::net::tcp::split::split(self)
    }

    /// Deregisters the socket and returns it as a std `TcpStream`, still in non-blocking
    /// mode (`set_nonblocking(false)` to use it blocking).
    #[doc = ops::doc_example!(SETUP!(), r#"
    let std_stream = a.into_std()?;
    std_stream.set_nonblocking(false)?;
    std::io::Write::write_all(&mut &std_stream, b"x")?;
    assert_eq!(b.read(&mut [0u8; 1]).await?, 1);
"#)]
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_inner().map(std::net::TcpStream::from)
    }

    pub(crate) fn source(&self) -> &IoSource<mio::net::TcpStream> {
        &self.io
    }
}

impl crate::net::traits::ShutdownWrite for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

crate::net::traits::impl_async_io!(TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        // SAFETY: the fd is owned by `self.io`, which lives as long as the borrow.
        unsafe { std::os::fd::BorrowedFd::borrow_raw(std::os::fd::AsRawFd::as_raw_fd(self)) }
    }
}
