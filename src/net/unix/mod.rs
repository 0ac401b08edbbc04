//! Unix-domain sockets: [`UnixListener`](crate::net::UnixListener),
//! [`UnixStream`](crate::net::UnixStream), [`UnixDatagram`](crate::net::UnixDatagram),
//! and the owned halves of [`UnixStream::into_split`](crate::net::UnixStream::into_split).
//!
//! The halves share the stream (see `net/split.rs` for the protocol): the read half
//! waits for readability, the write half for writability, so two tasks on two workers
//! use one connection at once. Dropping the write half shuts the write side down.
//!
//! ```
//! use asyncio::net::{unix, UnixStream};
//!
//! asyncio::run(async {
//!     let (a, b) = UnixStream::pair()?;
//!     let (rd, wr): (unix::OwnedReadHalf, unix::OwnedWriteHalf) = a.into_split();
//!     let reader = asyncio::create_task(async move {
//!         let mut buf = [0u8; 4];
//!         rd.read_exact(&mut buf).await.map(|()| buf)
//!     });
//!     let writer = asyncio::create_task(async move { wr.write_all(b"pong").await });
//!     b.write_all(b"ping").await?;
//!     let mut got = [0u8; 4];
//!     b.read_exact(&mut got).await?;
//!     assert_eq!(&got, b"pong");
//!     assert_eq!(&reader.await?, b"ping");
//!     writer.await?;
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```

pub(crate) mod datagram;
pub(crate) mod listener;
pub(crate) mod split;
pub(crate) mod stream;

pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
