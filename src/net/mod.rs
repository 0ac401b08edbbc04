//! Sockets on the runtime's reactor (asyncio's transports, at tokio's level):
//! TCP, UDP and Unix-domain sockets with async methods, usable from any task.
//!
//! Every type registers its socket with the current runtime's I/O driver when it is
//! created (so create them inside a task, `asyncio::run` or `Runtime::block_on`) and
//! deregisters and closes it on drop. Waiting works as tokio's `PollEvented`
//! (`io/registration.rs`): wait for readiness, make the non-blocking call, and on
//! `WouldBlock` clear exactly the readiness that was seen and wait again.
//!
//! ## The types
//! * Streams: [`TcpListener`] / [`TcpStream`], [`UnixListener`] / [`UnixStream`], and
//!   their owned halves ([`tcp::OwnedReadHalf`], [`tcp::OwnedWriteHalf`] and the
//!   [`unix`] ones) for a reader task and a writer task.
//! * Datagrams: [`UdpSocket`] and [`UnixDatagram`], shareable through an `Arc`.
//! * [`lookup_host`] and [`ToSocketAddrs`]: host names are resolved on the blocking pool.
//!
//! Writes never raise `SIGPIPE` (`MSG_NOSIGNAL`): a closed peer is an `io::Error`.
//!
//! ## Cancellation
//! Every I/O await point is runtime-aware: a pending `cancel()` of the task is delivered
//! there as an `io::Error` wrapping the [`CancelledError`](crate::CancelledError) (see
//! [`CancelledError::from_io`](crate::CancelledError::from_io)); propagating it with `?`
//! ends the task cancelled. No await point holds bytes: a cancelled read, receive or
//! accept leaves the data, datagram or connection in the kernel for the next call
//! (`read_exact`/`write_all` loop over several await points: cancelled, they may have
//! done part of their work).
//!
//! ## Concurrency
//! Methods take `&self`: one task may read while another writes (or use the owned halves
//! of `into_split`). Several tasks waiting in the same direction are all woken on
//! readiness; those that find nothing wait again.
//!
//! ```
//! use asyncio::net::{TcpListener, TcpStream};
//!
//! asyncio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = asyncio::create_task(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let mut buf = [0u8; 5];
//!         stream.read_exact(&mut buf).await.unwrap();
//!         stream.write_all(&buf).await.unwrap();
//!     });
//!     let client = TcpStream::connect(addr).await.unwrap();
//!     client.write_all(b"hello").await.unwrap();
//!     let mut back = [0u8; 5];
//!     client.read_exact(&mut back).await.unwrap();
//!     assert_eq!(&back, b"hello");
//!     server.await.unwrap();
//! });
//! ```

pub(crate) mod addr;
pub(crate) mod ops;
pub(crate) mod split;
pub mod tcp;
pub(crate) mod traits;
pub(crate) mod udp;
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::listener::TcpListener;
pub use tcp::stream::TcpStream;
pub use udp::UdpSocket;
pub use unix::datagram::UnixDatagram;
pub use unix::listener::UnixListener;
pub use unix::stream::UnixStream;

use std::io;

/// The check at the start of every poll of an I/O await point: a pending cancel of the
/// current task, delivered as an `io::Error`.
pub(crate) fn cancel_point() -> io::Result<()> {
    match crate::task::cancel::deliver_pending_cancel() {
        Some(err) => Err(err.into()),
        None => Ok(()),
    }
}
