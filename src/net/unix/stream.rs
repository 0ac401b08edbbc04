//! [`UnixStream`]: a connected Unix-domain stream socket.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::io::registration::IoSource;
use crate::net::ops;
use crate::net::unix::{OwnedReadHalf, OwnedWriteHalf};

/// The set-up of the method examples: `a` and `b`, a connected pair.
macro_rules! SETUP {
    () => {
        "    let (a, b) = asyncio::net::UnixStream::pair()?;\n"
    };
}

/// A connected Unix-domain stream socket. Same methods and traits as
/// [`TcpStream`](crate::net::TcpStream), without the TCP options.
///
/// ```
/// asyncio::run(async {
///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
///     a.write_all(b"ping").await.unwrap();
///     let mut buf = [0u8; 4];
///     b.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
/// });
/// ```
pub struct UnixStream {
    io: IoSource<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    #[doc = ops::doc_example!("", r#"
    let dir = std::env::temp_dir().join(format!("asyncio-doc-connect-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("s.sock");
    let _ = std::fs::remove_file(&path);
    let listener = asyncio::net::UnixListener::bind(&path)?;
    let client = asyncio::net::UnixStream::connect(&path).await?;
    let (server, _) = listener.accept().await?;
    client.write_all(b"x").await?;
    assert_eq!(server.read(&mut [0u8; 1]).await?, 1);
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect(path)?)?;
        ops::finish_connect(&stream.io, |s| match s.take_error()? {
            Some(e) => Err(e),
            None => s.peer_addr().map(drop),
        })
        .await?;
        Ok(stream)
    }

    /// A connected pair (`socketpair(2)`).
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.write_all(b"x").await?;
    assert_eq!(b.read(&mut [0u8; 1]).await?, 1);
"#)]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    pub(crate) fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: IoSource::new(stream)?,
        })
    }

    /// Takes over a connected std socket (made non-blocking here).
    #[doc = ops::doc_example!("", r#"
    let (a, b) = std::os::unix::net::UnixStream::pair()?;
    let a = asyncio::net::UnixStream::from_std(a)?;
    let b = asyncio::net::UnixStream::from_std(b)?;
    a.write_all(b"x").await?;
    assert_eq!(b.read(&mut [0u8; 1]).await?, 1);
"#)]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }

    ops::stream_read_methods!(SETUP!());
    ops::stream_write_methods!(SETUP!());

    /// Shuts down the read side, the write side (the peer reads EOF) or both.
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.shutdown(std::net::Shutdown::Write)?;
    assert_eq!(b.read(&mut [0u8; 4]).await?, 0); // EOF
    b.write_all(b"still open").await?; // the other direction works
"#)]
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The local address (unnamed for a socket of `pair` or an unbound client).
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert!(a.local_addr()?.is_unnamed());
"#)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert!(a.peer_addr()?.is_unnamed());
"#)]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Splits the stream into a read half and a write half that two tasks can own
    /// (tokio's `into_split`). Dropping the write half shuts the write side down; the
    /// halves [`reunite`](crate::net::unix::OwnedReadHalf::reunite) into the stream.
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
        crate::net::unix::split::split(self)
    }

    /// Deregisters the socket and returns it as a std `UnixStream`, still in non-blocking
    /// mode (`set_nonblocking(false)` to use it blocking).
    #[doc = ops::doc_example!(SETUP!(), r#"
    let std_stream = a.into_std()?;
    std_stream.set_nonblocking(false)?;
    std::io::Write::write_all(&mut &std_stream, b"x")?;
    assert_eq!(b.read(&mut [0u8; 1]).await?, 1);
"#)]
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io
            .into_inner()
            .map(|s| std::os::unix::net::UnixStream::from(std::os::fd::OwnedFd::from(s)))
    }

    pub(crate) fn source(&self) -> &IoSource<mio::net::UnixStream> {
        &self.io
    }
}

impl crate::net::traits::ShutdownWrite for UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

crate::net::traits::impl_async_io!(UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for UnixStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        // SAFETY: the fd is owned by `self.io`, which lives as long as the borrow.
        unsafe { std::os::fd::BorrowedFd::borrow_raw(std::os::fd::AsRawFd::as_raw_fd(self)) }
    }
}
