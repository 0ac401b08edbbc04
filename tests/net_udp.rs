//! `UdpSocket`: every method, a socket shared by tasks through an `Arc`, cancellation
//! (no datagram lost) and timeouts. Every test runs on a 1-worker and a 2-worker
//! runtime (`net_util::on_both`).

mod net_util;
mod util;

use std::collections::BTreeSet;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::net::UdpSocket;
use net_util::{cancel_delivered_at, cancel_while_waiting, on_both};

const SHORT: Duration = Duration::from_millis(2);

async fn bound() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

/// Two sockets connected to each other.
async fn connected() -> (UdpSocket, UdpSocket) {
    let (a, b) = (bound().await, bound().await);
    a.connect(b.local_addr().unwrap()).await.unwrap();
    b.connect(a.local_addr().unwrap()).await.unwrap();
    (a, b)
}

#[test]
fn send_to_and_recv_from() {
    on_both(|_| async {
        let (a, b) = (bound().await, bound().await);
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        assert!(a_addr.ip().is_loopback() && a_addr.port() != 0);
        assert_eq!(a.send_to(b"one", b_addr).await.unwrap(), 3);
        // A string address is parsed in place.
        let target = format!("127.0.0.1:{}", b_addr.port());
        assert_eq!(a.send_to(b"two", target.as_str()).await.unwrap(), 3);
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"two"[..], a_addr));
        // A datagram larger than the buffer is truncated, never split.
        a.send_to(&[7u8; 100], b_addr).await.unwrap();
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(n, 16);
        // By name: the address of the socket's family is used, wherever it is in the
        // resolver's answer.
        a.send_to(b"three", ("localhost", b_addr.port()))
            .await
            .unwrap();
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"three");
        let err = a.send_to(b"x", "not an address").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let none: &[SocketAddr] = &[];
        let err = a.send_to(b"x", none).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

#[test]
fn connect_send_recv_and_peer_addr() {
    on_both(|_| async {
        let (a, b) = connected().await;
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        let stranger = bound().await;
        assert_eq!(
            stranger.peer_addr().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        // A connected socket receives only from its peer.
        stranger
            .send_to(b"not for you", a.local_addr().unwrap())
            .await
            .unwrap();
        b.send(b"hello").await.unwrap();
        let mut buf = [0u8; 32];
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        let (n, from) = {
            a.send(b"back").await.unwrap();
            b.recv_from(&mut buf).await.unwrap()
        };
        assert_eq!((&buf[..n], from), (&b"back"[..], a.local_addr().unwrap()));
    });
}

#[test]
fn a_send_to_a_closed_port_is_refused() {
    on_both(|_| async {
        let closed = bound().await.local_addr().unwrap();
        let a = bound().await;
        a.connect(closed).await.unwrap();
        a.send(b"anyone?").await.unwrap();
        // The ICMP port-unreachable comes back as the socket's error, which wakes
        // the reader.
        let err = a.recv(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(a.take_error().unwrap().is_none());
    });
}

#[test]
fn peek_from_leaves_the_datagram() {
    on_both(|_| async {
        let (a, b) = (bound().await, bound().await);
        a.send_to(b"peek", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"peek"[..], a.local_addr().unwrap()));
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"peek"[..], a.local_addr().unwrap()));
    });
}

#[test]
fn readable_writable_and_the_try_methods() {
    on_both(|_| async {
        let (a, b) = connected().await;
        let mut buf = [0u8; 8];
        assert_eq!(
            a.try_recv(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(
            a.try_recv_from(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        b.writable().await.unwrap();
        assert_eq!(b.try_send(b"one").unwrap(), 3);
        a.readable().await.unwrap();
        assert_eq!(a.try_recv(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"one");

        let c = bound().await;
        c.writable().await.unwrap();
        assert_eq!(c.try_send_to(b"two", b.local_addr().unwrap()).unwrap(), 3);
        let d = bound().await;
        d.try_send_to(b"three", c.local_addr().unwrap()).unwrap();
        c.readable().await.unwrap();
        let (n, from) = c.try_recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"three"[..], d.local_addr().unwrap()));
        // b is connected to a: c's datagram was filtered out.
        assert_eq!(
            b.try_recv(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    });
}

/// Two tasks receive from one `Arc<UdpSocket>` at once: every datagram reaches exactly
/// one of them. The sender sends a batch only when the previous one is all received
/// (no loss to a full receive buffer), and then one "stop" per receiver.
#[test]
fn two_tasks_receive_from_a_shared_socket() {
    on_both(|workers| async move {
        const BATCHES: u32 = 20;
        const BATCH: u32 = 10;
        let server = Arc::new(bound().await);
        let addr = server.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::<(usize, u32)>::new()));
        let progress = Arc::new(asyncio::Event::new());
        let receivers: Vec<_> = (0..2)
            .map(|r| {
                let (server, seen, progress) = (server.clone(), seen.clone(), progress.clone());
                asyncio::create_task(async move {
                    let mut buf = [0u8; 8];
                    loop {
                        let (n, _) = server.recv_from(&mut buf).await?;
                        if &buf[..n] == b"stop" {
                            return io::Result::Ok(());
                        }
                        let id = u32::from_le_bytes(buf[..4].try_into().unwrap());
                        seen.lock().unwrap().push((r, id));
                        progress.set();
                        asyncio::yield_now().await.unwrap();
                    }
                })
            })
            .collect();
        let client = bound().await;
        for batch in 0..BATCHES {
            for i in 0..BATCH {
                let id = batch * BATCH + i;
                client.send_to(&id.to_le_bytes(), addr).await.unwrap();
            }
            while seen.lock().unwrap().len() < ((batch + 1) * BATCH) as usize {
                progress.wait().await.unwrap();
                progress.clear();
            }
        }
        client.send_to(b"stop", addr).await.unwrap();
        client.send_to(b"stop", addr).await.unwrap();
        for r in receivers {
            r.await.unwrap();
        }
        let seen = seen.lock().unwrap();
        let ids: BTreeSet<u32> = seen.iter().map(|&(_, id)| id).collect();
        assert_eq!(seen.len(), (BATCHES * BATCH) as usize, "no duplicate");
        assert_eq!(ids, (0..BATCHES * BATCH).collect(), "no loss");
        if workers == 1 {
            // The deterministic mode: both waiters are woken and take turns.
            assert!(seen.iter().any(|&(r, _)| r == 0) && seen.iter().any(|&(r, _)| r == 1));
        }
    });
}

#[test]
fn socket_options_and_std_conversions() {
    on_both(|_| async {
        let a = bound().await;
        assert!(!a.broadcast().unwrap());
        a.set_broadcast(true).unwrap();
        assert!(a.broadcast().unwrap());
        a.set_ttl(21).unwrap();
        assert_eq!(a.ttl().unwrap(), 21);
        assert!(format!("{a:?}").contains("UdpSocket"));

        let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::from_std(std_socket).unwrap();
        a.send_to(b"via std", b.local_addr().unwrap())
            .await
            .unwrap();
        let b = b.into_std().unwrap();
        b.set_nonblocking(false).unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).unwrap();
        assert_eq!(
            (&buf[..n], from),
            (&b"via std"[..], a.local_addr().unwrap())
        );
    });
}

#[test]
fn bind_in_use_and_ipv6() {
    on_both(|_| async {
        let a = bound().await;
        let err = UdpSocket::bind(a.local_addr().unwrap()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        if !net_util::has_ipv6_loopback() {
            println!("skipped the IPv6 part: no IPv6 loopback on this host");
            return;
        }
        let (x, y) = (
            UdpSocket::bind("[::1]:0").await.unwrap(),
            UdpSocket::bind(("::1", 0)).await.unwrap(),
        );
        x.send_to(b"v6", y.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 4];
        let (n, from) = y.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"v6"[..], x.local_addr().unwrap()));
    });
}

/// A receive cancelled while waiting, or with a datagram queued, loses no datagram.
#[test]
fn a_cancelled_recv_loses_no_datagram() {
    on_both(|_| async {
        let (a, b) = connected().await;
        let a = Arc::new(a);
        let r = a.clone();
        cancel_while_waiting("stop receiving", async move { r.recv(&mut [0u8; 8]).await }).await;
        b.send(b"first").await.unwrap();
        a.readable().await.unwrap();
        let r = a.clone();
        cancel_delivered_at("queued", async move { r.recv_from(&mut [0u8; 8]).await }).await;
        let mut buf = [0u8; 8];
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"first");
    });
}

#[test]
fn timeouts_around_recv_and_send() {
    on_both(|_| async {
        let (a, b) = connected().await;
        let mut buf = [0u8; 8];
        let r = asyncio::wait_for(a.recv(&mut buf), Some(SHORT)).await;
        assert!(r.is_err(), "nothing was sent");
        let r = asyncio::timeout(Some(SHORT))
            .run(a.recv_from(&mut buf))
            .await;
        assert!(r.is_err(), "nothing was sent");
        let n = asyncio::wait_for(b.send(b"later"), Some(Duration::from_secs(60)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 5);
        let n = asyncio::timeout(Some(Duration::from_secs(60)))
            .run(a.recv(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"later");
    });
}
