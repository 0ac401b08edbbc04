//! TCP: [`TcpListener`](crate::net::TcpListener), [`TcpStream`](crate::net::TcpStream),
//! and the owned halves of [`TcpStream::into_split`](crate::net::TcpStream::into_split).
//!
//! The halves share the stream (see `net/split.rs` for the protocol): the read half
//! waits for readability, the write half for writability, so two tasks on two workers
//! use one connection at once. Dropping the write half sends a FIN.
//!
//! ```
//! use asyncio::net::{tcp, TcpListener, TcpStream};
//!
//! asyncio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!     let (rd, wr): (tcp::OwnedReadHalf, tcp::OwnedWriteHalf) = server.into_split();
//!     let reader = asyncio::create_task(async move {
//!         let mut buf = [0u8; 4];
//!         rd.read_exact(&mut buf).await.map(|()| buf)
//!     });
//!     let writer = asyncio::create_task(async move { wr.write_all(b"pong").await });
//!     client.write_all(b"ping").await?;
//!     let mut got = [0u8; 4];
//!     client.read_exact(&mut got).await?;
//!     assert_eq!(&got, b"pong");
//!     assert_eq!(&reader.await?, b"ping");
//!     writer.await?;
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```

pub(crate) mod listener;
pub(crate) mod split;
pub(crate) mod stream;

pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
