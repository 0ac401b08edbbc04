//! The owned halves of a [`UnixStream`] (see `net/split.rs`).

use std::os::unix::net::SocketAddr;

use crate::net::UnixStream;

/// A connected pair for the examples: `stream` and `b`.
macro_rules! PAIR {
    () => {
        "    let (stream, b) = asyncio::net::UnixStream::pair()?;\n"
    };
}

crate::net::split::owned_halves!(
    UnixStream,
    mio::net::UnixStream,
    SocketAddr,
    read_setup: concat!(PAIR!(), "    let (a, _wr) = stream.into_split();\n"),
    write_setup: concat!(PAIR!(), "    let (_rd, a) = stream.into_split();\n"),
    pair: PAIR!()
);
