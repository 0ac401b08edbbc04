//! [`UnixDatagram`]: a Unix-domain datagram socket.
//!
//! ## The protocol
//! As [`UdpSocket`](crate::net::UdpSocket)'s: each method waits for readiness in its
//! direction, makes the non-blocking call and on `WouldBlock` clears exactly the
//! readiness it saw; a datagram is received whole or not at all, so a cancelled
//! `recv` loses none. Unix datagrams are reliable and ordered: a send to a peer whose
//! queue is full waits (`writable`) instead of dropping the datagram.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::io::registration::IoSource;
use crate::io::scheduled_io::Direction;
use crate::net::ops;

/// A connected pair for the examples: `a` and `b`.
macro_rules! SETUP {
    () => {
        "    let (a, b) = asyncio::net::UnixDatagram::pair()?;\n"
    };
}

/// The set-up of the examples that need a path: a fresh directory `dir`.
macro_rules! DIR {
    () => {
        r#"    let dir = std::env::temp_dir().join(format!("asyncio-doc-dgram-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir)?;
"#
    };
}

/// A Unix-domain datagram socket: bound to a path, unbound, or one of a `pair`.
/// Methods take `&self`; share it between tasks with an `Arc`.
///
/// ```
/// use asyncio::net::UnixDatagram;
///
/// asyncio::run(async {
///     let dir = std::env::temp_dir().join(format!("asyncio-doc-ud-{}", std::process::id()));
///     std::fs::create_dir_all(&dir)?;
///     let path = dir.join("server.sock");
///     let _ = std::fs::remove_file(&path);
///     let server = UnixDatagram::bind(&path)?;
///     let client = UnixDatagram::unbound()?;
///     client.send_to(b"ping", &path).await?;
///     let mut buf = [0u8; 16];
///     let (n, _from) = server.recv_from(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     std::fs::remove_dir_all(&dir)?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct UnixDatagram {
    io: IoSource<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds a socket to `path` (which must not exist). The file is not removed on drop.
    #[doc = ops::doc_example!(DIR!(), r#"
    let socket = asyncio::net::UnixDatagram::bind(dir.join("s.sock"))?;
    assert_eq!(socket.local_addr()?.as_pathname(), Some(dir.join("s.sock").as_path()));
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address: it can send (with `send_to`, or `send` after
    /// `connect`) but nobody can send to it except a connected peer.
    #[doc = ops::doc_example!("", r#"
    let socket = asyncio::net::UnixDatagram::unbound()?;
    assert!(socket.local_addr()?.is_unnamed());
"#)]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// Two sockets connected to each other (`socketpair(2)`).
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.send(b"x").await?;
    assert_eq!(b.recv(&mut [0u8; 4]).await?, 1);
"#)]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_mio(a)?, UnixDatagram::from_mio(b)?))
    }

    fn from_mio(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: IoSource::new(socket)?,
        })
    }

    /// Takes over a std socket (made non-blocking here).
    #[doc = ops::doc_example!("", r#"
    let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
    let a = asyncio::net::UnixDatagram::from_std(a)?;
    b.send(b"x")?;
    assert_eq!(a.recv(&mut [0u8; 4]).await?, 1);
"#)]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::from_mio(mio::net::UnixDatagram::from_std(socket))
    }

    /// Deregisters the socket and returns it as a std `UnixDatagram`, still in
    /// non-blocking mode.
    #[doc = ops::doc_example!(SETUP!(), r#"
    let std_socket = a.into_std()?;
    std_socket.send(b"x")?;
    assert_eq!(b.recv(&mut [0u8; 4]).await?, 1);
"#)]
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io
            .into_inner()
            .map(|s| std::os::unix::net::UnixDatagram::from(std::os::fd::OwnedFd::from(s)))
    }

    /// Sets the default peer to the socket at `path`: `send` goes there and only its
    /// datagrams are received.
    #[doc = ops::doc_example!(DIR!(), r#"
    let server = asyncio::net::UnixDatagram::bind(dir.join("s.sock"))?;
    let client = asyncio::net::UnixDatagram::unbound()?;
    client.connect(dir.join("s.sock"))?;
    client.send(b"x").await?;
    assert_eq!(server.recv(&mut [0u8; 4]).await?, 1);
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    ops::datagram_methods!(SETUP!(), SocketAddr);

    /// Sends `buf` as one datagram to the socket at `path`.
    #[doc = ops::doc_example!(DIR!(), r#"
    let server = asyncio::net::UnixDatagram::bind(dir.join("s.sock"))?;
    let client = asyncio::net::UnixDatagram::unbound()?;
    client.send_to(b"hi", dir.join("s.sock")).await?;
    assert_eq!(server.recv(&mut [0u8; 4]).await?, 2);
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let target = socket2::SockAddr::unix(path)?;
        ops::op(&self.io, Direction::Write, |s| {
            ops::send_to(s, buf, &target)
        })
        .await
    }

    /// Sends `buf` to the socket at `path` now; `WouldBlock` if its queue is full.
    #[doc = ops::doc_example!(DIR!(), r#"
    let server = asyncio::net::UnixDatagram::bind(dir.join("s.sock"))?;
    let client = asyncio::net::UnixDatagram::unbound()?;
    client.try_send_to(b"hi", dir.join("s.sock"))?;
    assert_eq!(server.recv(&mut [0u8; 4]).await?, 2);
    std::fs::remove_dir_all(&dir)?;
"#)]
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let target = socket2::SockAddr::unix(path)?;
        self.io
            .try_io(Direction::Write, |s| ops::send_to(s, buf, &target))
    }

    /// The local address (unnamed if the socket is not bound to a path).
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert!(a.local_addr()?.is_unnamed());
"#)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address; `NotConnected` if not connected.
    #[doc = ops::doc_example!("", r#"
    let socket = asyncio::net::UnixDatagram::unbound()?;
    assert_eq!(socket.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
"#)]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read side, the write side or both: a later `send` fails with
    /// `BrokenPipe` (never a `SIGPIPE`), a later `recv` returns 0.
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.shutdown(std::net::Shutdown::Write)?;
    let err = a.send(b"x").await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
"#)]
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    fn source(&self) -> &IoSource<mio::net::UnixDatagram> {
        &self.io
    }
}

ops::impl_socket_traits!(UnixDatagram: local_addr, peer_addr);
