//! `UnixListener`, `UnixStream` (and its owned halves), `UnixDatagram`: every method,
//! cancellation (no byte, datagram or connection lost) and timeouts. Every test runs
//! on a 1-worker and a 2-worker runtime (`net_util::on_both`).

mod net_util;
mod util;

use std::io;
use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use asyncio::net::{unix, UnixDatagram, UnixListener, UnixStream};
use net_util::{cancel_delivered_at, cancel_while_waiting, on_both, pattern, read_to_end, TempDir};

const SHORT: Duration = Duration::from_millis(2);

#[test]
fn listener_accept_connect_and_addresses() {
    on_both(|_| async {
        let dir = TempDir::new("unix-listener");
        let path = dir.path("server.sock");
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        let client = {
            let path = path.clone();
            asyncio::create_task(async move { UnixStream::connect(&path).await })
        };
        let (server, peer) = listener.accept().await.unwrap();
        assert!(peer.is_unnamed());
        let client = client.await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        assert!(client.local_addr().unwrap().is_unnamed());
        assert_eq!(
            server.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );

        let data = pattern(11, 200_000);
        let writer = {
            let data = data.clone();
            asyncio::create_task(async move {
                client.write_all(&data).await?;
                client.shutdown(Shutdown::Write)?;
                io::Result::Ok(())
            })
        };
        assert_eq!(read_to_end(&server).await.unwrap(), data);
        writer.await.unwrap();
        // Binding an existing path fails.
        let err = UnixListener::bind(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        // Nobody listening: refused.
        drop(listener);
        let err = UnixStream::connect(&path).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        let err = UnixStream::connect(dir.path("missing.sock"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    });
}

#[test]
fn pair_half_close_readiness_and_the_try_methods() {
    on_both(|_| async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            a.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        b.writable().await.unwrap();
        assert_eq!(b.try_write(b"abc").unwrap(), 3);
        a.readable().await.unwrap();
        assert_eq!(a.try_read(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
        b.write_all(b"bye").await.unwrap();
        b.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_end(&a).await.unwrap(), b"bye");
        a.write_all(b"reply").await.unwrap();
        let mut reply = [0u8; 5];
        b.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"reply");
        assert!(format!("{a:?}").contains("UnixStream"));
    });
}

#[test]
fn std_conversions() {
    on_both(|_| async {
        let dir = TempDir::new("unix-std");
        let listener =
            UnixListener::from_std(std::os::unix::net::UnixListener::bind(dir.path("s")).unwrap())
                .unwrap();
        let client =
            UnixStream::from_std(std::os::unix::net::UnixStream::connect(dir.path("s")).unwrap())
                .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"x").await.unwrap();
        let server = server.into_std().unwrap();
        server.set_nonblocking(false).unwrap();
        let mut buf = [0u8; 1];
        std::io::Read::read_exact(&mut &server, &mut buf).unwrap();
        assert_eq!(&buf, b"x");

        let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let a = UnixDatagram::from_std(std_a).unwrap();
        std_b.send(b"d").unwrap();
        assert_eq!(a.recv(&mut buf).await.unwrap(), 1);
        let a = a.into_std().unwrap();
        a.send(b"e").unwrap();
        std_b.recv(&mut buf).unwrap();
        assert_eq!(&buf, b"e");
    });
}

#[test]
fn owned_halves_used_by_two_tasks_at_once() {
    on_both(|_| async {
        let (a, b) = UnixStream::pair().unwrap();
        net_util::full_duplex(a.into_split(), b.into_split(), 1 << 20).await;
    });
}

#[test]
fn halves_reunite_drop_and_mismatch() {
    on_both(|_| async {
        let (a, b) = UnixStream::pair().unwrap();
        let (c, _d) = UnixStream::pair().unwrap();
        let (a_rd, a_wr) = a.into_split();
        let (c_rd, c_wr) = c.into_split();
        assert!(a_rd.peer_addr().unwrap().is_unnamed());
        assert!(a_wr.local_addr().unwrap().is_unnamed());
        let unix::ReuniteError(a_rd, c_wr) = a_rd.reunite(c_wr).unwrap_err();
        let unix::ReuniteError(c_rd, a_wr) = a_wr.reunite(c_rd).unwrap_err();
        c_rd.reunite(c_wr).unwrap();
        let a = a_rd.reunite(a_wr).unwrap();
        let (a_rd, a_wr) = a.into_split();
        a_wr.write_all(b"last").await.unwrap();
        drop(a_wr);
        assert_eq!(read_to_end(&b).await.unwrap(), b"last");
        b.write_all(b"still").await.unwrap();
        let mut buf = [0u8; 5];
        a_rd.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still");
    });
}

#[test]
fn a_cancelled_accept_leaves_the_connection_for_the_next() {
    on_both(|_| async {
        let dir = TempDir::new("unix-cancel-accept");
        let path = dir.path("s");
        let listener = Arc::new(UnixListener::bind(&path).unwrap());
        let l = listener.clone();
        cancel_while_waiting("stop accepting", async move { l.accept().await }).await;
        let r = asyncio::wait_for(listener.accept(), Some(SHORT)).await;
        assert!(r.is_err(), "nobody connected yet");
        let client = UnixStream::connect(&path).await.unwrap();
        let l = listener.clone();
        cancel_delivered_at("queued", async move { l.accept().await }).await;
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
    });
}

/// Reads cancelled by deadlines (with nothing in flight) and by `task.cancel` (with
/// data queued) lose no byte of the stream.
#[test]
fn cancelled_reads_lose_no_byte() {
    on_both(|_| async {
        let (a, b) = UnixStream::pair().unwrap();
        let a = Arc::new(a);
        let data = pattern(14, 50_000);
        let mut got = Vec::new();
        for (i, piece) in data.chunks(5_000).enumerate() {
            let mut buf = vec![0u8; 700 + i * 100];
            let r = asyncio::wait_for(a.read(&mut buf), Some(SHORT)).await;
            assert!(r.is_err(), "nothing in flight");
            b.write_all(piece).await.unwrap();
            a.readable().await.unwrap();
            // A task cancelled at its read, with the piece queued: takes nothing.
            let r = a.clone();
            cancel_delivered_at("at the read", async move { r.read(&mut [0u8; 64]).await }).await;
            let target = got.len() + piece.len();
            while got.len() < target {
                let n = a.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
            }
        }
        assert_eq!(got, data);
    });
}

// ---- UnixDatagram ----------------------------------------------------------------------

#[test]
fn datagram_bind_send_to_recv_from() {
    on_both(|_| async {
        let dir = TempDir::new("unix-dgram");
        let (server_path, client_path) = (dir.path("server"), dir.path("client"));
        let server = UnixDatagram::bind(&server_path).unwrap();
        let client = UnixDatagram::bind(&client_path).unwrap();
        assert_eq!(
            server.local_addr().unwrap().as_pathname(),
            Some(server_path.as_path())
        );
        assert_eq!(client.send_to(b"ping", &server_path).await.unwrap(), 4);
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        let from = from.as_pathname().unwrap().to_owned();
        server.send_to(b"pong", &from).await.unwrap();
        let n = client.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pong");
        // Binding an existing path fails; sending to a missing one too.
        assert_eq!(
            UnixDatagram::bind(&server_path).unwrap_err().kind(),
            io::ErrorKind::AddrInUse
        );
        let err = client.send_to(b"x", dir.path("nobody")).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    });
}

#[test]
fn datagram_unbound_connect_send_recv() {
    on_both(|_| async {
        let dir = TempDir::new("unix-dgram-connect");
        let path = dir.path("server");
        let server = UnixDatagram::bind(&path).unwrap();
        let client = UnixDatagram::unbound().unwrap();
        assert!(client.local_addr().unwrap().is_unnamed());
        assert_eq!(
            client.peer_addr().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        client.connect(&path).unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        client.send(b"one").await.unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        assert!(from.is_unnamed());
        client.try_send_to(b"two", &path).unwrap();
        server.readable().await.unwrap();
        let (n, _) = server.try_recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"two");
        assert!(server.take_error().unwrap().is_none());
    });
}

#[test]
fn datagram_pair_readiness_and_the_try_methods() {
    on_both(|_| async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            a.try_recv(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        b.writable().await.unwrap();
        assert_eq!(b.try_send(b"abc").unwrap(), 3);
        a.readable().await.unwrap();
        assert_eq!(a.try_recv(&mut buf).unwrap(), 3);
        b.send(b"d1").await.unwrap();
        b.send(b"d2").await.unwrap();
        // Datagram boundaries are kept.
        assert_eq!(a.recv(&mut buf).await.unwrap(), 2);
        assert_eq!(&buf[..2], b"d1");
        assert_eq!(a.recv(&mut buf).await.unwrap(), 2);
        assert_eq!(&buf[..2], b"d2");
        assert!(format!("{a:?}").contains("UnixDatagram"));
        // A full peer queue makes `send` wait (reliable datagrams): fill it, time a
        // send out, drain, and the next send goes through.
        let mut sent = 0usize;
        loop {
            match b.try_send(&[1u8; 1024]) {
                Ok(_) => sent += 1,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
            assert!(sent < 1_000_000, "bounded");
        }
        let r = asyncio::wait_for(b.send(&[2u8; 1024]), Some(SHORT)).await;
        assert!(r.is_err(), "the queue is full");
        let mut big = [0u8; 2048];
        for _ in 0..sent {
            assert_eq!(a.recv(&mut big).await.unwrap(), 1024);
            assert_eq!(big[0], 1);
        }
        b.send(b"after").await.unwrap();
        assert_eq!(a.recv(&mut big).await.unwrap(), 5);
        // Shut down: sending is BrokenPipe, never a SIGPIPE.
        b.shutdown(Shutdown::Write).unwrap();
        assert_eq!(
            b.send(b"x").await.unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    });
}

#[test]
fn a_cancelled_datagram_recv_loses_no_datagram() {
    on_both(|_| async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let a = Arc::new(a);
        let r = a.clone();
        cancel_while_waiting("stop", async move { r.recv(&mut [0u8; 8]).await }).await;
        let r = asyncio::timeout(Some(SHORT))
            .run(a.recv(&mut [0u8; 8]))
            .await;
        assert!(r.is_err(), "nothing was sent");
        b.send(b"kept").await.unwrap();
        a.readable().await.unwrap();
        let r = a.clone();
        cancel_delivered_at("queued", async move { r.recv(&mut [0u8; 8]).await }).await;
        let mut buf = [0u8; 8];
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"kept");
    });
}
