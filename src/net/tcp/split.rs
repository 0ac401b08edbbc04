//! The owned halves of a [`TcpStream`] (see `net/split.rs`), plus `peek` on the read half.

use std::net::SocketAddr;

use crate::io::scheduled_io::Direction;
use crate::net::TcpStream;

/// A connected pair for the examples: `stream` (client) and `b` (its accepted peer).
macro_rules! PAIR {
    () => {
        r#"    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    let stream = asyncio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (b, _) = listener.accept().await?;
"#
    };
}

crate::net::split::owned_halves!(
    TcpStream,
    mio::net::TcpStream,
    SocketAddr,
    read_setup: concat!(PAIR!(), "    let (a, _wr) = stream.into_split();\n"),
    write_setup: concat!(PAIR!(), "    let (_rd, a) = stream.into_split();\n"),
    pair: PAIR!()
);

impl OwnedReadHalf {
    /// Reads without removing the data from the socket's queue.
    #[doc = ops::doc_example!(concat!(PAIR!(), "    let (a, _wr) = stream.into_split();\n"), r#"
    b.write_all(b"hi").await?;
    let mut buf = [0u8; 2];
    a.peek(&mut buf).await?;
    a.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"hi");
"#)]
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        ops::op(self.source(), Direction::Read, |s| s.peek(buf)).await
    }
}
