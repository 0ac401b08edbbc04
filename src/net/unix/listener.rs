//! [`UnixListener`]: a listening Unix-domain stream socket.

use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use crate::io::registration::IoSource;
use crate::io::scheduled_io::Direction;
use crate::net::ops;
use crate::net::unix::stream::UnixStream;

/// The set-up of the method examples: a fresh directory `dir` and a `path` in it.
macro_rules! DIR {
    () => {
        r#"    let dir = std::env::temp_dir().join(format!("asyncio-doc-ul-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("s.sock");
"#
    };
}

/// A Unix-domain socket accepting connections (asyncio's `start_unix_server` socket).
///
/// ```
/// asyncio::run(async {
///     let dir = std::env::temp_dir().join(format!("asyncio-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let path = dir.join("listener.sock");
///     let _ = std::fs::remove_file(&path);
///     let listener = asyncio::net::UnixListener::bind(&path).unwrap();
///     let p = path.clone();
///     let client = asyncio::create_task(async move {
///         asyncio::net::UnixStream::connect(&p).await.unwrap()
///     });
///     let (_conn, _) = listener.accept().await.unwrap();
///     client.await.unwrap();
///     std::fs::remove_file(&path).unwrap();
/// });
/// ```
pub struct UnixListener {
    io: IoSource<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` and listens. The socket file is not removed on drop (as with
    /// std and tokio); remove it when done.
    #[doc = ops::doc_example!(DIR!(), r#"
    let _listener = asyncio::net::UnixListener::bind(&path)?;
    let err = asyncio::net::UnixListener::bind(&path).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: IoSource::with_interest(
                mio::net::UnixListener::bind(path)?,
                mio::Interest::READABLE,
            )?,
        })
    }

    /// Takes over a listening std socket (made non-blocking here).
    #[doc = ops::doc_example!(DIR!(), r#"
    let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    let listener = asyncio::net::UnixListener::from_std(std_listener)?;
    let _client = asyncio::net::UnixStream::connect(&path).await?;
    listener.accept().await?;
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: IoSource::with_interest(
                mio::net::UnixListener::from_std(listener),
                mio::Interest::READABLE,
            )?,
        })
    }

    /// Waits for a connection. Cancelling the wait loses no connection.
    #[doc = ops::doc_example!(DIR!(), r#"
    let listener = asyncio::net::UnixListener::bind(&path)?;
    let client = asyncio::net::UnixStream::connect(&path).await?;
    let (server, _peer) = listener.accept().await?;
    client.write_all(b"x").await?;
    assert_eq!(server.read(&mut [0u8; 1]).await?, 1);
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection (the poll form of [`accept`](Self::accept)).
    #[doc = ops::doc_example!(DIR!(), r#"
    let listener = asyncio::net::UnixListener::bind(&path)?;
    let _client = asyncio::net::UnixStream::connect(&path).await?;
    let (_server, _) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, addr) =
            std::task::ready!(ops::poll_op(&self.io, cx, Direction::Read, |l| l.accept()))?;
        Poll::Ready(UnixStream::from_mio(stream).map(|s| (s, addr)))
    }

    /// The address the listener is bound to.
    #[doc = ops::doc_example!(DIR!(), r#"
    let listener = asyncio::net::UnixListener::bind(&path)?;
    assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

ops::impl_socket_traits!(UnixListener: local_addr);
