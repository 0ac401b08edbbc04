//! Unix-domain sockets: [`UnixListener`](listener::UnixListener) and
//! [`UnixStream`](stream::UnixStream).

pub(crate) mod listener;
pub(crate) mod stream;
