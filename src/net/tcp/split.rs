//! The owned halves of a [`TcpStream`] (see `net/split.rs`), plus `peek` on the read half.

use std::net::SocketAddr;

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
    b.write_all(b"x").await?;
    let mut one = [0u8; 1];
    assert_eq!(a.peek(&mut one).await?, 1);
    assert_eq!(a.read(&mut one).await?, 1); // the same byte
    assert_eq!(&one, b"x");
"#)]
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.peek(buf).await
    }
}
