//! [`UdpSocket`]: a UDP socket (asyncio's datagram transport, tokio's `UdpSocket`).
//!
//! ## The protocol
//! A datagram socket is ready to read when at least one datagram is queued, and ready
//! to write when the send buffer has room for one. Each method is one await point that
//! waits for readiness in its direction, makes the non-blocking call and, on
//! `WouldBlock`, clears exactly the readiness it saw and waits again
//! (`io/registration.rs`). A datagram is received whole by one call or not at all, so a
//! cancelled `recv`/`recv_from` loses no datagram, and tasks sharing the socket through
//! an `Arc` each receive different datagrams: every waiting receiver is woken on
//! readiness, the ones that find the queue empty wait again.

use std::io;
use std::net::SocketAddr;

use crate::io::registration::IoSource;
use crate::io::scheduled_io::Direction;
use crate::net::addr::{each_addr, resolve, ToSocketAddrs};
use crate::net::ops;

/// Two sockets connected to each other, for the examples: `a` and `b`.
macro_rules! SETUP {
    () => {
        r#"    use asyncio::net::UdpSocket;
    let a = UdpSocket::bind("127.0.0.1:0").await?;
    let b = UdpSocket::bind("127.0.0.1:0").await?;
    a.connect(b.local_addr()?).await?;
    b.connect(a.local_addr()?).await?;
"#
    };
}

/// A UDP socket. Methods take `&self`: share it between tasks with an `Arc` (one
/// task may send while others receive). Sends never raise `SIGPIPE`.
///
/// ```
/// use std::sync::Arc;
/// use asyncio::net::UdpSocket;
///
/// asyncio::run(async {
///     let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
///     let addr = server.local_addr()?;
///     let echo = asyncio::create_task({
///         let server = server.clone();
///         async move {
///             let mut buf = [0u8; 64];
///             let (n, from) = server.recv_from(&mut buf).await?;
///             server.send_to(&buf[..n], from).await
///         }
///     });
///     let client = UdpSocket::bind("127.0.0.1:0").await?;
///     client.send_to(b"ping", addr).await?;
///     let mut buf = [0u8; 64];
///     let (n, from) = client.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], addr));
///     echo.await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct UdpSocket {
    io: IoSource<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (the first resolved address that works).
    #[doc = ops::doc_example!("", r#"
    let socket = asyncio::net::UdpSocket::bind("127.0.0.1:0").await?;
    assert_ne!(socket.local_addr()?.port(), 0);
"#)]
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(&addr, |a| async move {
            UdpSocket::from_std(std::net::UdpSocket::bind(a)?)
        })
        .await
    }

    /// Takes over a bound std socket (made non-blocking here).
    #[doc = ops::doc_example!("", r#"
    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let socket = asyncio::net::UdpSocket::from_std(std_socket)?;
    assert!(socket.local_addr()?.ip().is_loopback());
"#)]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: IoSource::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Deregisters the socket and returns it as a std `UdpSocket`, still in
    /// non-blocking mode.
    #[doc = ops::doc_example!(SETUP!(), r#"
    let std_socket = a.into_std()?;
    std_socket.send(b"x")?;
    assert_eq!(b.recv(&mut [0u8; 4]).await?, 1);
"#)]
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_inner().map(std::net::UdpSocket::from)
    }

    /// Sets the default peer: `send` goes there and only its datagrams are received.
    /// Tries each resolved address until one works.
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert_eq!(a.peer_addr()?, b.local_addr()?);
"#)]
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(&addr, |a| async move { self.io.get_ref().connect(a) }).await
    }

    ops::datagram_methods!(SETUP!(), SocketAddr);

    /// Sends `buf` as one datagram to `target`: its first resolved address of the
    /// socket's family (IPv4 or IPv6), else its first address.
    #[doc = ops::doc_example!("", r#"
    use asyncio::net::UdpSocket;
    let c = UdpSocket::bind("127.0.0.1:0").await?;
    let d = UdpSocket::bind("127.0.0.1:0").await?;
    d.send_to(b"hi", c.local_addr()?).await?;
    let mut buf = [0u8; 8];
    let (n, from) = c.recv_from(&mut buf).await?;
    assert_eq!((&buf[..n], from), (&b"hi"[..], d.local_addr()?));
"#)]
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = pick_addr(resolve(&target).await?, self.local_addr()?)?;
        ops::op(&self.io, Direction::Write, |s| {
            ops::send_to(s, buf, &target)
        })
        .await
    }

    /// Sends `buf` to `target` now; `WouldBlock` if the socket's buffer is full.
    #[doc = ops::doc_example!("", r#"
    let c = asyncio::net::UdpSocket::bind("127.0.0.1:0").await?;
    c.writable().await?;
    c.try_send_to(b"hi", c.local_addr()?)?;
    assert_eq!(c.recv(&mut [0u8; 8]).await?, 2);
"#)]
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let target = socket2::SockAddr::from(target);
        self.io
            .try_io(Direction::Write, |s| ops::send_to(s, buf, &target))
    }

    /// Receives one datagram without removing it from the queue, with its sender's
    /// address.
    #[doc = ops::doc_example!(SETUP!(), r#"
    b.send(b"ping").await?;
    let mut buf = [0u8; 16];
    let (n, from) = a.peek_from(&mut buf).await?;
    assert_eq!((n, from), (4, b.local_addr()?));
    assert_eq!(a.recv(&mut buf).await?, 4); // still there
"#)]
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        ops::op(&self.io, Direction::Read, |s| s.peek_from(buf)).await
    }

    /// The local address.
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert_eq!(a.local_addr()?, b.peer_addr()?);
"#)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address; `NotConnected` if not connected.
    #[doc = ops::doc_example!("", r#"
    let socket = asyncio::net::UdpSocket::bind("127.0.0.1:0").await?;
    assert_eq!(socket.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
"#)]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// `SO_BROADCAST`.
    #[doc = ops::doc_example!(SETUP!(), r#"
    assert!(!a.broadcast()?);
"#)]
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `SO_BROADCAST` (allows sending to a broadcast address).
    #[doc = ops::doc_example!(SETUP!(), r#"
    a.set_broadcast(true)?;
    assert!(a.broadcast()?);
"#)]
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    ops::ttl_methods!(SETUP!());

    fn source(&self) -> &IoSource<mio::net::UdpSocket> {
        &self.io
    }
}

/// The address `send_to` uses: the first one resolved of the socket's family, else the
/// first one (so `("localhost", port)` works from an IPv4 socket where `localhost`
/// resolves to `::1` first; tokio takes the first address whatever its family).
fn pick_addr(addrs: Vec<SocketAddr>, local: SocketAddr) -> io::Result<socket2::SockAddr> {
    let same_family = addrs.iter().find(|a| a.is_ipv4() == local.is_ipv4());
    match same_family.or(addrs.first()) {
        Some(addr) => Ok((*addr).into()),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no addresses to send data to",
        )),
    }
}

ops::impl_socket_traits!(UdpSocket: local_addr, peer_addr);
