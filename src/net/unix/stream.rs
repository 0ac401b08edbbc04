//! [`UnixStream`]: a connected Unix-domain stream socket.

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::io::registration::IoSource;
use crate::net::ops;

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
}

ops::stream_impls!(
    UnixStream,
    mio::net::UnixStream,
    std::os::unix::net::UnixStream,
    SETUP!()
);
