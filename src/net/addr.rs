//! Addresses: [`ToSocketAddrs`], resolved without blocking a worker.
//!
//! Literal addresses (`SocketAddr`, `"127.0.0.1:80"`, `("::1", 80)`) are parsed in
//! place. Host names go to the blocking pool (`to_thread` + the system's
//! `getaddrinfo`), as asyncio's `loop.getaddrinfo` runs in the default executor, so a slow
//! resolver never stalls the tasks of a worker.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::runtime::blocking::to_thread;

/// What the address of `connect`/`bind`/`send_to` may be given as (tokio's and std's
/// `ToSocketAddrs`, resolved asynchronously). Sealed: implemented for `SocketAddr` and
/// its variants, `(IpAddr, u16)`, `(&str, u16)`, `(String, u16)`, `&str`, `String`
/// (`"host:port"`) and slices of `SocketAddr`.
///
/// ```
/// asyncio::run(async {
///     let listener = asyncio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let by_name = asyncio::net::lookup_host(("localhost", addr.port())).await.unwrap();
///     assert!(by_name.iter().any(|a| a.ip().is_loopback()));
/// });
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::*;

    /// What resolving needs: the addresses, or a lookup to run on the blocking pool.
    pub enum Resolve {
        Ready(Vec<SocketAddr>),
        Lookup(String, u16),
        Invalid(&'static str),
    }

    /// Converts into [`Resolve`] without blocking.
    pub trait Sealed {
        /// The addresses, or the host name and port to look up.
        fn to_resolve(&self) -> Resolve;
    }
}

use sealed::{Resolve, Sealed};

impl ToSocketAddrs for SocketAddr {}
impl Sealed for SocketAddr {
    fn to_resolve(&self) -> Resolve {
        Resolve::Ready(vec![*self])
    }
}

impl ToSocketAddrs for SocketAddrV4 {}
impl Sealed for SocketAddrV4 {
    fn to_resolve(&self) -> Resolve {
        Resolve::Ready(vec![SocketAddr::V4(*self)])
    }
}

impl ToSocketAddrs for SocketAddrV6 {}
impl Sealed for SocketAddrV6 {
    fn to_resolve(&self) -> Resolve {
        Resolve::Ready(vec![SocketAddr::V6(*self)])
    }
}

/// `(ip, port)` for the three IP address types.
macro_rules! ip_port {
    ($($ip:ty),*) => {$(
        impl ToSocketAddrs for ($ip, u16) {}
        impl Sealed for ($ip, u16) {
            fn to_resolve(&self) -> Resolve {
                let ip: IpAddr = self.0.into();
                Resolve::Ready(vec![SocketAddr::new(ip, self.1)])
            }
        }
    )*};
}

ip_port!(IpAddr, Ipv4Addr, Ipv6Addr);

impl ToSocketAddrs for (&str, u16) {}
impl Sealed for (&str, u16) {
    fn to_resolve(&self) -> Resolve {
        let (host, port) = *self;
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Resolve::Ready(vec![SocketAddr::new(ip.into(), port)]);
        }
        if let Ok(ip) = host.parse::<Ipv6Addr>() {
            return Resolve::Ready(vec![SocketAddr::new(ip.into(), port)]);
        }
        Resolve::Lookup(host.to_owned(), port)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Sealed for (String, u16) {
    fn to_resolve(&self) -> Resolve {
        (self.0.as_str(), self.1).to_resolve()
    }
}

impl ToSocketAddrs for str {}
impl Sealed for str {
    fn to_resolve(&self) -> Resolve {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Resolve::Ready(vec![addr]);
        }
        match self.rsplit_once(':') {
            Some((host, port)) => match port.parse::<u16>() {
                Ok(port) => {
                    let host = host.trim_start_matches('[').trim_end_matches(']');
                    (host, port).to_resolve()
                }
                Err(_) => Resolve::Invalid("invalid port value"),
            },
            None => Resolve::Invalid("invalid socket address: expected host:port"),
        }
    }
}

impl ToSocketAddrs for String {}
impl Sealed for String {
    fn to_resolve(&self) -> Resolve {
        self.as_str().to_resolve()
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl Sealed for [SocketAddr] {
    fn to_resolve(&self) -> Resolve {
        Resolve::Ready(self.to_vec())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Sealed + ?Sized> Sealed for &T {
    fn to_resolve(&self) -> Resolve {
        (**self).to_resolve()
    }
}

/// Resolves `addr` (host names on the blocking pool).
pub(crate) async fn resolve(addr: &(impl ToSocketAddrs + ?Sized)) -> io::Result<Vec<SocketAddr>> {
    match addr.to_resolve() {
        Resolve::Ready(addrs) => Ok(addrs),
        Resolve::Invalid(msg) => Err(io::Error::new(io::ErrorKind::InvalidInput, msg)),
        Resolve::Lookup(host, port) => {
            let found = to_thread(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                    .map(|it| it.collect::<Vec<_>>())
            })
            .await
            .map_err(task_error_to_io)??;
            Ok(found)
        }
    }
}

/// The outcome of a resolver job that did not return: its cancellation (tracked, so
/// propagating it still cancels the task) or its panic.
fn task_error_to_io(err: crate::TaskError) -> io::Error {
    match err {
        crate::TaskError::Cancelled(c) => c.into(),
        crate::TaskError::Panicked(p) => io::Error::other(p.to_string()),
        crate::TaskError::Exception(e) => io::Error::other(e.to_string()),
    }
}

/// Looks `host` up (asyncio's `loop.getaddrinfo`), on the blocking pool unless it is a
/// literal address.
///
/// ```
/// asyncio::run(async {
///     let addrs = asyncio::net::lookup_host("127.0.0.1:8080").await.unwrap();
///     assert_eq!(addrs, vec!["127.0.0.1:8080".parse().unwrap()]);
/// });
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    resolve(&host).await
}

/// Tries each address in turn, returning the first success or the last error.
pub(crate) async fn each_addr<T, F, Fut>(
    addr: &(impl ToSocketAddrs + ?Sized),
    mut f: F,
) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let addrs = resolve(addr).await?;
    let mut last = None;
    for a in addrs {
        match f(a).await {
            Ok(v) => return Ok(v),
            Err(e) => {
                if crate::CancelledError::from_io(&e).is_some() {
                    return Err(e);
                }
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}
