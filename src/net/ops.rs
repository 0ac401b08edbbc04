//! The await points every socket type is built from: one cancellable wait or
//! wait-then-call loop over an [`IoSource`], so each public method is a one-liner and the
//! cancellation rule (`cancel_point()?` first, see the module docs of `net`) lives in one
//! place.

use std::future::poll_fn;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use mio::event::Source;

use crate::io::registration::IoSource;
use crate::io::scheduled_io::Direction;
use crate::net::cancel_point;

/// Waits until `io` is ready in `direction` (`readable()` / `writable()`).
pub(crate) async fn ready<E: Source>(io: &IoSource<E>, direction: Direction) -> io::Result<()> {
    poll_fn(|cx| {
        cancel_point()?;
        io.poll_ready(cx, direction).map_ok(|_| ())
    })
    .await
}

/// Polls the non-blocking `f` once `io` is ready in `direction`, after the cancel point.
pub(crate) fn poll_op<E: Source, R>(
    io: &IoSource<E>,
    cx: &mut Context<'_>,
    direction: Direction,
    f: impl FnMut(&E) -> io::Result<R>,
) -> Poll<io::Result<R>> {
    cancel_point()?;
    io.poll_io(cx, direction, f)
}

/// The await point of one non-blocking call: [`poll_op`] until it is not `WouldBlock`.
pub(crate) async fn op<E: Source, R>(
    io: &IoSource<E>,
    direction: Direction,
    mut f: impl FnMut(&E) -> io::Result<R>,
) -> io::Result<R> {
    poll_fn(|cx| poll_op(io, cx, direction, &mut f)).await
}

/// Polls a read of a stream socket into `buf`.
pub(crate) fn poll_read<E: Source>(
    io: &IoSource<E>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>>
where
    for<'a> &'a E: Read,
{
    cancel_point()?;
    let len = buf.len();
    io.poll_transfer(cx, Direction::Read, len, |mut s| s.read(buf))
}

/// Polls a read into uninitialised memory (tokio's `ReadBuf::unfilled_mut`), so the
/// `tokio-io` impls need not zero the caller's buffer first: `recv(2)` only writes to it.
/// Returns how many bytes are now initialised at the front of `buf`.
pub(crate) fn poll_read_uninit<E: Source + std::os::fd::AsRawFd>(
    io: &IoSource<E>,
    cx: &mut Context<'_>,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> Poll<io::Result<usize>> {
    cancel_point()?;
    io.poll_transfer(cx, Direction::Read, buf.len(), |s| {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole call and
        // `recv` writes at most that many, never reading them; `fd` is open (owned by
        // `io`, which outlives the call).
        let n = unsafe {
            libc::recv(
                s.as_raw_fd(),
                buf.as_mut_ptr().cast::<libc::c_void>(),
                buf.len(),
                0,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    })
}

/// Polls a write of `buf` to a stream socket (`send(2)` with `MSG_NOSIGNAL`).
pub(crate) fn poll_write<E: Source + AsFd>(
    io: &IoSource<E>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    cancel_point()?;
    io.poll_transfer(cx, Direction::Write, buf.len(), |s| send(s, buf))
}

/// `send(2)` with `MSG_NOSIGNAL`: a closed peer is `EPIPE`, never a `SIGPIPE` (which
/// would kill a process that did not ignore it).
pub(crate) fn send(socket: &impl AsFd, buf: &[u8]) -> io::Result<usize> {
    socket2::SockRef::from(socket).send_with_flags(buf, libc::MSG_NOSIGNAL)
}

/// `sendto(2)` with `MSG_NOSIGNAL`.
pub(crate) fn send_to(
    socket: &impl AsFd,
    buf: &[u8],
    addr: &socket2::SockAddr,
) -> io::Result<usize> {
    socket2::SockRef::from(socket).send_to_with_flags(buf, addr, libc::MSG_NOSIGNAL)
}

/// Fills `buf` from `read` (one await point per call); `UnexpectedEof` if it ends first.
pub(crate) async fn read_exact(
    mut read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    mut buf: &mut [u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| read(cx, buf)).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

/// Writes all of `buf` through `write`; `WriteZero` if it accepts nothing.
pub(crate) async fn write_all(
    mut write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| write(cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

/// Waits until a non-blocking `connect` on `io` finished: writable, then `connected`
/// (the socket's pending error, then its peer address) tells success, failure, or
/// `NotConnected` for a readiness that was not the connect's (wait again).
pub(crate) async fn finish_connect<E: Source>(
    io: &IoSource<E>,
    connected: impl Fn(&E) -> io::Result<()>,
) -> io::Result<()> {
    poll_fn(|cx| {
        cancel_point()?;
        loop {
            let event = std::task::ready!(io.poll_ready(cx, Direction::Write))?;
            match connected(io.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::NotConnected => io.clear_readiness(event),
                result => return Poll::Ready(result),
            }
        }
    })
    .await
}

/// Wraps example `body` lines in a runnable doc test: `asyncio::run`, the `setup` lines of
/// the type (which bind `a`, the documented value, and `b`, its connected peer), and an
/// `io::Result` so the body can use `?`.
macro_rules! doc_example {
    ($setup:expr, $body:literal) => {
        concat!(
            "```\n",
            "# #[allow(unused_mut, unused_variables)]\n",
            "asyncio::run(async {\n",
            $setup,
            $body,
            "    std::io::Result::Ok(())\n",
            "})\n",
            ".unwrap();\n",
            "```\n"
        )
    };
}

/// The read methods of a stream type and of its read half, on `self.source()`.
/// `$setup` binds `a` (a value of the type) and `b` (its connected peer stream).
macro_rules! stream_read_methods {
    ($setup:expr) => {
        /// Reads into `buf`; `Ok(0)` at end of stream. Cancelling the read loses nothing:
        /// the bytes stay in the kernel for the next read.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.write_all(b"hi").await?;
    let mut buf = [0u8; 8];
    let n = a.read(&mut buf).await?;
    assert_eq!(&buf[..n], &b"hi"[..n]);
"#)]
        pub async fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            std::future::poll_fn(|cx| self.poll_read(cx, buf)).await
        }

        /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the stream ends first. A
        /// cancelled `read_exact` may have consumed part of `buf` (use the streams API's
        /// `readexactly` to keep partial data).
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.write_all(b"hello").await?;
    let mut buf = [0u8; 5];
    a.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"hello");
"#)]
        pub async fn read_exact(&self, buf: &mut [u8]) -> std::io::Result<()> {
            $crate::net::ops::read_exact(|cx, buf| self.poll_read(cx, buf), buf).await
        }

        /// Waits until the socket is readable (data, EOF or an error).
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.write_all(b"x").await?;
    a.readable().await?;
    assert_eq!(a.try_read(&mut [0u8; 4])?, 1);
"#)]
        pub async fn readable(&self) -> std::io::Result<()> {
            $crate::net::ops::ready(self.source(), $crate::io::scheduled_io::Direction::Read).await
        }

        /// Reads what is there now; `WouldBlock` if nothing is.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    let mut buf = [0u8; 4];
    assert_eq!(a.try_read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
"#)]
        pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source()
                .try_io($crate::io::scheduled_io::Direction::Read, |mut s| {
                    std::io::Read::read(&mut s, buf)
                })
        }

        /// Polls a read into `buf` (the poll form of `read`, for hand-written futures).
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.write_all(b"x").await?;
    let mut buf = [0u8; 4];
    let n = std::future::poll_fn(|cx| a.poll_read(cx, &mut buf)).await?;
    assert_eq!(&buf[..n], b"x");
"#)]
        pub fn poll_read(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            $crate::net::ops::poll_read(self.source(), cx, buf)
        }

        /// `poll_read` into uninitialised memory: the kernel writes into `buf` and the
        /// result says how many bytes at its front are now initialised. For adapters to
        /// other I/O traits (hyper's `ReadBufCursor`, tokio's `ReadBuf`) that would
        /// otherwise zero their buffer before every read.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.write_all(b"xyz").await?;
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 8];
    let n = std::future::poll_fn(|cx| a.poll_read_uninit(cx, &mut buf)).await?;
    assert!(n >= 1 && n <= 3);
"#)]
        pub fn poll_read_uninit(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &mut [std::mem::MaybeUninit<u8>],
        ) -> std::task::Poll<std::io::Result<usize>> {
            $crate::net::ops::poll_read_uninit(self.source(), cx, buf)
        }
    };
}

/// The write methods of a stream type and of its write half, on `self.source()`.
/// `$setup` binds `a` (a value of the type) and `b` (its connected peer stream).
macro_rules! stream_write_methods {
    ($setup:expr) => {
        /// Writes some of `buf`, returning how much. Never raises `SIGPIPE`: writing to a
        /// closed peer is an error of kind `BrokenPipe` (or `ConnectionReset`).
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    let n = a.write(b"hello").await?;
    assert!(n > 0);
"#)]
        pub async fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
            std::future::poll_fn(|cx| self.poll_write(cx, buf)).await
        }

        /// Writes all of `buf`. A cancelled `write_all` may have written a part of it.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    a.write_all(b"hello").await?;
    let mut buf = [0u8; 5];
    b.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"hello");
"#)]
        pub async fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
            $crate::net::ops::write_all(|cx, buf| self.poll_write(cx, buf), buf).await
        }

        /// Waits until the socket is writable.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    a.writable().await?;
    assert_eq!(a.try_write(b"x")?, 1);
"#)]
        pub async fn writable(&self) -> std::io::Result<()> {
            $crate::net::ops::ready(self.source(), $crate::io::scheduled_io::Direction::Write).await
        }

        /// Writes what fits now; `WouldBlock` if nothing does.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    a.writable().await?;
    let n = a.try_write(b"ping")?;
    assert!(n > 0);
"#)]
        pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
            self.source()
                .try_io($crate::io::scheduled_io::Direction::Write, |s| {
                    $crate::net::ops::send(s, buf)
                })
        }

        /// Polls a write of `buf` (the poll form of `write`, for hand-written futures).
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    let n = std::future::poll_fn(|cx| a.poll_write(cx, b"x")).await?;
    assert_eq!(n, 1);
"#)]
        pub fn poll_write(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            $crate::net::ops::poll_write(self.source(), cx, buf)
        }
    };
}

/// The methods both datagram types share, on `self.source()`. `$setup` binds `a` (a
/// value of the type) and `b`, two sockets connected to each other; `$addr` is the
/// type's address type.
macro_rules! datagram_methods {
    ($setup:expr, $addr:ty) => {
        /// Sends `buf` as one datagram to the connected peer.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    assert_eq!(a.send(b"ping").await?, 4);
    assert_eq!(b.recv(&mut [0u8; 16]).await?, 4);
"#)]
        pub async fn send(&self, buf: &[u8]) -> std::io::Result<usize> {
            $crate::net::ops::op(
                self.source(),
                $crate::io::scheduled_io::Direction::Write,
                |s| $crate::net::ops::send(s, buf),
            )
            .await
        }

        /// Receives one datagram from the connected peer; the part that does not fit
        /// in `buf` is discarded. Cancelling the wait loses no datagram.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.send(b"ping").await?;
    let mut buf = [0u8; 16];
    let n = a.recv(&mut buf).await?;
    assert_eq!(&buf[..n], b"ping");
"#)]
        pub async fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            $crate::net::ops::op(
                self.source(),
                $crate::io::scheduled_io::Direction::Read,
                |s| s.recv(buf),
            )
            .await
        }

        /// Receives one datagram and the address it came from. Cancelling the wait
        /// loses no datagram.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.send(b"ping").await?;
    let mut buf = [0u8; 16];
    let (n, _from) = a.recv_from(&mut buf).await?;
    assert_eq!(&buf[..n], b"ping");
"#)]
        pub async fn recv_from(&self, buf: &mut [u8]) -> std::io::Result<(usize, $addr)> {
            $crate::net::ops::op(
                self.source(),
                $crate::io::scheduled_io::Direction::Read,
                |s| s.recv_from(buf),
            )
            .await
        }

        /// Waits until a datagram (or an error) can be received.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.send(b"x").await?;
    a.readable().await?;
    assert_eq!(a.try_recv(&mut [0u8; 4])?, 1);
"#)]
        pub async fn readable(&self) -> std::io::Result<()> {
            $crate::net::ops::ready(self.source(), $crate::io::scheduled_io::Direction::Read).await
        }

        /// Waits until a datagram can be sent.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    a.writable().await?;
    assert_eq!(a.try_send(b"x")?, 1);
"#)]
        pub async fn writable(&self) -> std::io::Result<()> {
            $crate::net::ops::ready(self.source(), $crate::io::scheduled_io::Direction::Write).await
        }

        /// Sends `buf` to the connected peer now; `WouldBlock` if the socket's buffer
        /// is full.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    a.writable().await?;
    assert_eq!(a.try_send(b"ping")?, 4);
"#)]
        pub fn try_send(&self, buf: &[u8]) -> std::io::Result<usize> {
            self.source()
                .try_io($crate::io::scheduled_io::Direction::Write, |s| {
                    $crate::net::ops::send(s, buf)
                })
        }

        /// Receives a datagram that is there now; `WouldBlock` if none is.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    let err = a.try_recv(&mut [0u8; 4]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
"#)]
        pub fn try_recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source()
                .try_io($crate::io::scheduled_io::Direction::Read, |s| s.recv(buf))
        }

        /// Receives a datagram that is there now, with its sender's address;
        /// `WouldBlock` if none is.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    b.send(b"x").await?;
    a.readable().await?;
    let (n, _from) = a.try_recv_from(&mut [0u8; 4])?;
    assert_eq!(n, 1);
"#)]
        pub fn try_recv_from(&self, buf: &mut [u8]) -> std::io::Result<(usize, $addr)> {
            self.source()
                .try_io($crate::io::scheduled_io::Direction::Read, |s| {
                    s.recv_from(buf)
                })
        }

        /// Takes the socket's pending error (`SO_ERROR`), if any: for example the
        /// `ConnectionRefused` of a datagram that an unreachable peer bounced.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    assert!(a.take_error()?.is_none());
"#)]
        pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
            self.source().get_ref().take_error()
        }
    };
}

/// `ttl` / `set_ttl` (`IP_TTL`) on `self.io`; `$setup` binds `a`, a value of the type.
macro_rules! ttl_methods {
    ($setup:expr) => {
        /// `IP_TTL`: the time-to-live of outgoing packets.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    assert!(a.ttl()? > 0);
"#)]
        pub fn ttl(&self) -> std::io::Result<u32> {
            self.io.get_ref().ttl()
        }

        /// Sets `IP_TTL`.
        #[doc = $crate::net::ops::doc_example!($setup, r#"
    a.set_ttl(42)?;
    assert_eq!(a.ttl()?, 42);
"#)]
        pub fn set_ttl(&self, ttl: u32) -> std::io::Result<()> {
            self.io.get_ref().set_ttl(ttl)
        }
    };
}

/// What both stream types have besides their read and write methods: `into_std`,
/// `shutdown`,
/// `source()` for the method macros and the halves, the I/O traits, `Debug` and the
/// descriptor traits. `$setup` binds `a` and its connected peer `b`.
macro_rules! stream_impls {
    ($t:ident, $mio:ty, $std:ty, $setup:expr) => {
        impl $t {
            /// Deregisters the socket and returns it as a std stream, still in
            /// non-blocking mode (`set_nonblocking(false)` to use it blocking).
            #[doc = $crate::net::ops::doc_example!($setup, r#"
    let std_stream = a.into_std()?;
    std_stream.set_nonblocking(false)?;
    std::io::Write::write_all(&mut &std_stream, b"x")?;
    assert_eq!(b.read(&mut [0u8; 1]).await?, 1);
"#)]
            pub fn into_std(self) -> std::io::Result<$std> {
                self.io
                    .into_inner()
                    .map(|s| <$std>::from(std::os::fd::OwnedFd::from(s)))
            }

            /// Shuts down the read side, the write side (the peer reads EOF) or both.
            #[doc = $crate::net::ops::doc_example!($setup, r#"
    a.shutdown(std::net::Shutdown::Write)?;
    assert_eq!(b.read(&mut [0u8; 4]).await?, 0); // EOF
    b.write_all(b"still open").await?; // the other direction works
"#)]
            pub fn shutdown(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.io.get_ref().shutdown(how)
            }

            pub(crate) fn source(&self) -> &$crate::io::registration::IoSource<$mio> {
                &self.io
            }
        }

        impl $crate::net::traits::ShutdownWrite for $t {
            fn shutdown_write(&self) -> std::io::Result<()> {
                self.shutdown(std::net::Shutdown::Write)
            }
        }

        $crate::net::traits::impl_async_io!($t);
        $crate::net::ops::impl_socket_traits!($t: local_addr, peer_addr);
    };
}

/// `Debug` (showing the listed address methods), `AsRawFd` and `AsFd` for a socket type
/// whose `io` field is an `IoSource`.
macro_rules! impl_socket_traits {
    ($t:ident: $($field:ident),+) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($field), &self.$field().ok()))+
                    .finish()
            }
        }

        impl std::os::fd::AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.io.get_ref())
            }
        }

        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.io.get_ref())
            }
        }
    };
}

pub(crate) use {
    datagram_methods, doc_example, impl_socket_traits, stream_impls, stream_read_methods,
    stream_write_methods, ttl_methods,
};
