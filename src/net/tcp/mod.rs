//! TCP: [`TcpListener`](listener::TcpListener) and [`TcpStream`](stream::TcpStream).

pub(crate) mod listener;
pub(crate) mod stream;
