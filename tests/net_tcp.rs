//! `TcpListener`, `TcpStream` and its owned halves: every method, the traits,
//! cancellation (no byte or connection lost) and timeouts around each await point.
//! Every test runs on a 1-worker and a 2-worker runtime (`net_util::on_both`).

mod net_util;
mod util;

use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::net::{lookup_host, TcpListener, TcpStream};
use net_util::{
    cancel_delivered_at, cancel_while_waiting, on_both, pattern, read_to_end, tcp_pair,
};

const SHORT: Duration = Duration::from_millis(2);

#[test]
fn connect_accept_read_write_and_addresses() {
    on_both(|_| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        let client = asyncio::create_task(async move { TcpStream::connect(addr).await });
        let (server, peer) = listener.accept().await.unwrap();
        let client = client.await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
        assert_eq!(client.peer_addr().unwrap(), addr);
        assert_eq!(server.local_addr().unwrap(), addr);

        let data = pattern(1, 100_000);
        let writer = {
            let data = data.clone();
            asyncio::create_task(async move {
                client.write_all(&data).await?;
                client.shutdown(Shutdown::Write)?;
                io::Result::Ok(client)
            })
        };
        let got = read_to_end(&server).await.unwrap();
        assert_eq!(got, data);
        let client = writer.await.unwrap();
        let n = server.write(b"bye").await.unwrap();
        assert!(n >= 1);
        let mut buf = [0u8; 3];
        client.read_exact(&mut buf[..n]).await.unwrap();
        assert_eq!(&buf[..n], &b"bye"[..n]);
    });
}

#[test]
fn peek_leaves_the_data_for_read() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        b.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        let mut seen = 0;
        while seen < 5 {
            seen = a.peek(&mut buf).await.unwrap();
        }
        assert_eq!(&buf, b"hello");
        let mut again = [0u8; 5];
        a.read_exact(&mut again).await.unwrap();
        assert_eq!(&again, b"hello");
    });
}

#[test]
fn readable_writable_and_the_try_methods() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        let mut buf = [0u8; 16];
        let err = a.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        b.writable().await.unwrap();
        assert_eq!(b.try_write(b"abc").unwrap(), 3);
        let mut got = Vec::new();
        // readable() may wake before all three bytes arrived: bounded retries.
        for _ in 0..1000 {
            a.readable().await.unwrap();
            match a.try_read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
            if got.len() == 3 {
                break;
            }
        }
        assert_eq!(got, b"abc");
        assert_eq!(
            a.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    });
}

#[test]
fn shutdown_write_is_a_half_close() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        a.write_all(b"last words").await.unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_end(&b).await.unwrap(), b"last words");
        // EOF stays EOF.
        assert_eq!(b.read(&mut [0u8; 4]).await.unwrap(), 0);
        // The other direction still works.
        b.write_all(b"reply").await.unwrap();
        b.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_end(&a).await.unwrap(), b"reply");
        // Writing after our own shutdown is an error, not a signal.
        let err = a.write(b"x").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn socket_options() {
    on_both(|_| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.set_ttl(60).unwrap();
        assert_eq!(listener.ttl().unwrap(), 60);
        let (a, _b) = {
            let c = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            (c, listener.accept().await.unwrap())
        };
        a.set_nodelay(true).unwrap();
        assert!(a.nodelay().unwrap());
        a.set_nodelay(false).unwrap();
        assert!(!a.nodelay().unwrap());
        a.set_ttl(33).unwrap();
        assert_eq!(a.ttl().unwrap(), 33);
        assert!(format!("{a:?}").contains("TcpStream"));
    });
}

#[test]
fn ipv6_loopback() {
    if !net_util::has_ipv6_loopback() {
        println!("skipped: no IPv6 loopback on this host");
        return;
    }
    on_both(|_| async {
        let listener = TcpListener::bind("[::1]:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.is_ipv6());
        let client = TcpStream::connect(("::1", addr.port())).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        client.write_all(b"v6").await.unwrap();
        let mut buf = [0u8; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"v6");
    });
}

#[test]
fn localhost_is_resolved_on_the_blocking_pool() {
    on_both(|_| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let addrs = lookup_host(("localhost", port)).await.unwrap();
        assert!(!addrs.is_empty());
        assert!(addrs
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == port));
        // "localhost" may resolve to ::1 first, where nobody listens: connect tries
        // each address in turn.
        let client = TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap();
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let literal: Vec<SocketAddr> = lookup_host("127.0.0.1:9").await.unwrap();
        assert_eq!(literal, vec!["127.0.0.1:9".parse().unwrap()]);
        let err = lookup_host("no-port-here").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

#[test]
fn connect_refused() {
    on_both(|_| async {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap()
        };
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn bind_address_in_use() {
    on_both(|_| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let err = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        drop(listener);
        // SO_REUSEADDR: the port is free again at once.
        TcpListener::bind(addr).await.unwrap();
    });
}

#[test]
fn from_std_and_into_std() {
    on_both(|_| async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        let addr = listener.local_addr().unwrap();
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        let client = TcpStream::from_std(std_client).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"x").await.unwrap();
        let std_server = server.into_std().unwrap();
        std_server.set_nonblocking(false).unwrap();
        let mut buf = [0u8; 1];
        std::io::Read::read_exact(&mut &std_server, &mut buf).unwrap();
        assert_eq!(&buf, b"x");
        std::io::Write::write_all(&mut &std_server, b"y").unwrap();
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"y");
    });
}

// ---- owned halves --------------------------------------------------------------------

#[test]
fn owned_halves_used_by_two_tasks_at_once() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        net_util::full_duplex(a.into_split(), b.into_split(), 1 << 20).await;
    });
}

#[test]
fn halves_reunite_and_report_their_addresses() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        let (local, peer) = (a.local_addr().unwrap(), a.peer_addr().unwrap());
        let (rd, wr) = a.into_split();
        assert_eq!(
            (rd.local_addr().unwrap(), rd.peer_addr().unwrap()),
            (local, peer)
        );
        assert_eq!(
            (wr.local_addr().unwrap(), wr.peer_addr().unwrap()),
            (local, peer)
        );
        assert_eq!(rd.as_ref().local_addr().unwrap(), local);
        b.write_all(b"ab").await.unwrap();
        let mut buf = [0u8; 1];
        rd.peek(&mut buf).await.unwrap();
        rd.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"a");
        let a = rd.reunite(wr).unwrap();
        // Reuniting did not shut the write side down, and the unread byte is there.
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"b");
        a.write_all(b"still open").await.unwrap();
        let (rd, wr) = a.into_split();
        let a = wr.reunite(rd).unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_end(&b).await.unwrap(), b"still open");
    });
}

#[test]
fn reuniting_halves_of_two_streams_fails_and_gives_both_back() {
    on_both(|_| async {
        let (a, a_peer) = tcp_pair().await;
        let (b, b_peer) = tcp_pair().await;
        let (a_rd, a_wr) = a.into_split();
        let (b_rd, b_wr) = b.into_split();
        let err = a_rd.reunite(b_wr).unwrap_err();
        assert!(err.to_string().contains("not from the same socket"));
        let asyncio::net::tcp::ReuniteError(a_rd, b_wr) = err;
        let err = b_rd.reunite(a_wr).unwrap_err();
        let asyncio::net::tcp::ReuniteError(b_rd, a_wr) = err;
        // All four halves still work, and the right pairs reunite.
        a_peer.write_all(b"1").await.unwrap();
        b_peer.write_all(b"2").await.unwrap();
        let mut buf = [0u8; 1];
        a_rd.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"1");
        b_rd.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"2");
        a_rd.reunite(a_wr).unwrap();
        b_wr.reunite(b_rd).unwrap();
    });
}

#[test]
fn dropping_the_write_half_sends_eof_and_forget_does_not() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        let (rd, wr) = a.into_split();
        wr.write_all(b"end").await.unwrap();
        drop(wr);
        assert_eq!(read_to_end(&b).await.unwrap(), b"end");
        // The read half still reads.
        b.write_all(b"back").await.unwrap();
        let mut buf = [0u8; 4];
        rd.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"back");

        let (c, d) = tcp_pair().await;
        let (rd, wr) = c.into_split();
        wr.forget();
        // No EOF yet: the stream is open until the read half goes too.
        let mut one = [0u8; 1];
        let r = asyncio::wait_for(d.read(&mut one), Some(SHORT)).await;
        assert!(r.is_err(), "no EOF while the read half lives: {r:?}");
        drop(rd);
        assert_eq!(read_to_end(&d).await.unwrap(), b"");
    });
}

/// The futures-io traits on the stream, on `&TcpStream` and on the halves.
#[test]
fn futures_io_traits() {
    use futures_io::{AsyncRead, AsyncWrite};
    on_both(|_| async {
        let (mut a, b) = tcp_pair().await;
        let n = poll_fn(|cx| Pin::new(&mut a).poll_write(cx, b"xy"))
            .await
            .unwrap();
        assert_eq!(n, 2);
        let mut buf = [0u8; 2];
        let mut got = 0;
        while got < 2 {
            got += poll_fn(|cx| Pin::new(&mut &b).poll_read(cx, &mut buf[got..]))
                .await
                .unwrap();
        }
        assert_eq!(&buf, b"xy");
        poll_fn(|cx| Pin::new(&mut a).poll_flush(cx)).await.unwrap();

        let (mut rd, mut wr) = a.into_split();
        poll_fn(|cx| Pin::new(&mut wr).poll_write(cx, b"z"))
            .await
            .unwrap();
        poll_fn(|cx| Pin::new(&mut wr).poll_close(cx))
            .await
            .unwrap();
        assert_eq!(read_to_end(&b).await.unwrap(), b"z");
        b.write_all(b"w").await.unwrap();
        let n = poll_fn(|cx| Pin::new(&mut rd).poll_read(cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"w");
    });
}

#[cfg(feature = "tokio-io")]
#[test]
fn tokio_io_traits() {
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        let (mut rd, mut wr) = a.into_split();
        poll_fn(|cx| Pin::new(&mut wr).poll_write(cx, b"tk"))
            .await
            .unwrap();
        poll_fn(|cx| Pin::new(&mut wr).poll_shutdown(cx))
            .await
            .unwrap();
        assert_eq!(read_to_end(&b).await.unwrap(), b"tk");
        let mut b = b;
        poll_fn(|cx| Pin::new(&mut b).poll_write(cx, b"io"))
            .await
            .unwrap();
        let mut storage = [0u8; 2];
        let mut filled = 0;
        while filled < 2 {
            let mut rb = ReadBuf::new(&mut storage[filled..]);
            poll_fn(|cx| Pin::new(&mut rd).poll_read(cx, &mut rb))
                .await
                .unwrap();
            filled += rb.filled().len();
        }
        assert_eq!(&storage, b"io");
    });
}

// ---- cancellation --------------------------------------------------------------------

/// `task.cancel(msg)` while the task waits in `read`: the task ends cancelled with the
/// message when it propagates the `io::Error` with `?`, and the data sent afterwards is
/// all there for the next reader.
#[test]
fn a_cancelled_read_ends_the_task_cancelled_with_the_message() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        let a = Arc::new(a);
        let reader = a.clone();
        cancel_while_waiting(
            "stop reading",
            async move { reader.read(&mut [0u8; 8]).await },
        )
        .await;
        b.write_all(b"kept").await.unwrap();
        let mut buf = [0u8; 4];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"kept");
    });
}

/// The cancel is delivered at the read even when data is waiting: the read takes
/// nothing, and the error carries the message.
#[test]
fn a_pending_cancel_is_delivered_at_the_read_and_takes_no_byte() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        b.write_all(b"waiting").await.unwrap();
        a.readable().await.unwrap();
        let a = Arc::new(a);
        let reader = a.clone();
        cancel_delivered_at("self", async move { reader.read(&mut [0u8; 16]).await }).await;
        let mut buf = [0u8; 7];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"waiting");
    });
}

/// A cancelled `accept` (waiting, or with a connection already queued) loses no
/// connection: the next `accept` gets it.
#[test]
fn a_cancelled_accept_leaves_the_connection_for_the_next() {
    on_both(|_| async {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let l = listener.clone();
        cancel_while_waiting("stop accepting", async move { l.accept().await }).await;
        let c1 = TcpStream::connect(addr).await.unwrap();
        let (_s1, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, c1.local_addr().unwrap());

        let c2 = TcpStream::connect(addr).await.unwrap();
        let l = listener.clone();
        cancel_delivered_at("queued", async move { l.accept().await }).await;
        let (_s2, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, c2.local_addr().unwrap());
    });
}

/// The writer sends the data only as the reader asks for it, in pieces of varied sizes
/// (each in two writes, so some reads see half a piece). First the reader reads with
/// varied buffer sizes through `wait_for`/`timeout` with short deadlines, so reads are
/// cancelled with nothing in flight (always: nothing was asked for yet), with a piece
/// partly read, and wherever a deadline happens to fall. Then reader tasks are cancelled
/// with `task.cancel` at varied progress: inside a piece, or waiting for the next. The
/// reader side finally reads to EOF with the same socket: every byte arrives, once, in
/// order.
#[test]
fn cancelled_reads_lose_no_byte() {
    on_both(|workers| async move {
        let (client, server) = tcp_pair().await;
        let server = Arc::new(server);
        let all = pattern(7, 600_000);
        // Asks: how many more bytes to send; 0 = finish.
        let asks = Arc::new(asyncio::Queue::<usize>::new(0));
        let writer = {
            let (asks, all) = (asks.clone(), all.clone());
            asyncio::create_task(async move {
                let mut sent = 0;
                loop {
                    let n = asks.get().await.unwrap();
                    if n == 0 {
                        break;
                    }
                    let piece = &all[sent..sent + n];
                    client.write_all(&piece[..n / 2]).await?;
                    asyncio::yield_now().await.unwrap();
                    client.write_all(&piece[n / 2..]).await?;
                    sent += n;
                }
                client.write_all(&all[sent..]).await?;
                client.shutdown(Shutdown::Write)?;
                io::Result::Ok(())
            })
        };

        let got = Arc::new(Mutex::new(Vec::new()));
        let received = |got: &Mutex<Vec<u8>>| got.lock().unwrap().len();
        let mut timeouts = 0;
        for i in 0..64usize {
            // Nothing asked for: the read is always cancelled by its deadline.
            let mut buf = [0u8; 64];
            let r = if i % 2 == 0 {
                asyncio::wait_for(server.read(&mut buf), Some(SHORT)).await
            } else {
                asyncio::timeout(Some(SHORT))
                    .run(server.read(&mut buf))
                    .await
            };
            assert!(r.is_err(), "nothing was sent yet, so the read timed out");
            timeouts += 1;
            let piece = 1 + (i * 997) % 3001;
            asks.put(piece).await.unwrap();
            let target = received(&got) + piece;
            let mut attempts = 0;
            while received(&got) < target {
                attempts += 1;
                assert!(attempts < 100_000, "bounded");
                let size = (1 + (attempts * 131 + i * 17) % 1500).min(target - received(&got));
                let mut buf = vec![0u8; size];
                let deadline = Duration::from_micros(200 * (attempts as u64 % 5));
                match asyncio::wait_for(server.read(&mut buf), Some(deadline)).await {
                    Ok(Ok(n)) => {
                        assert!(n > 0, "no EOF before the end");
                        got.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    Ok(Err(e)) => panic!("read failed: {e}"),
                    Err(_timeout) => timeouts += 1,
                }
            }
        }
        assert!(timeouts >= 64);

        // Reader tasks cancelled by `task.cancel` at varied progress.
        let progress = Arc::new(asyncio::Event::new());
        for k in 0..8usize {
            let reader = {
                let (server, got, progress) = (server.clone(), got.clone(), progress.clone());
                asyncio::create_task(async move {
                    let mut buf = vec![0u8; 1 + k * 700];
                    loop {
                        // Propagates the cancellation, as `?` would.
                        let n = match server.read(&mut buf).await {
                            Ok(n) => n,
                            Err(e) => return Err::<(), io::Error>(e),
                        };
                        assert!(n > 0, "cancelled before the end");
                        got.lock().unwrap().extend_from_slice(&buf[..n]);
                        progress.set();
                    }
                })
            };
            let piece = 5_000 + k * 3_001;
            let before = received(&got);
            asks.put(piece).await.unwrap();
            // Even k: cancel inside the piece; odd k: once it is all read (the reader
            // then waits in `read`).
            let threshold = before + if k % 2 == 0 { piece / 3 } else { piece };
            while received(&got) < threshold {
                progress.wait().await.unwrap();
                progress.clear();
            }
            let msg = format!("reader {k} (workers={workers})");
            reader.cancel(Some(&msg));
            let err = reader.await.unwrap_err();
            assert_eq!(util::cancel_msg(&err), Some(msg));
        }
        asks.put(0).await.unwrap();
        writer.await.unwrap();
        let rest = read_to_end(&*server).await.unwrap();
        got.lock().unwrap().extend_from_slice(&rest);
        let got = got.lock().unwrap();
        assert_eq!(got.len(), all.len());
        assert!(*got == all, "every byte, once, in order");
    });
}

// ---- timeouts around each await point ---------------------------------------------------

#[test]
fn timeouts_around_read_and_accept() {
    on_both(|_| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = asyncio::wait_for(listener.accept(), Some(SHORT)).await;
        assert!(r.is_err(), "nobody connected");
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = asyncio::timeout(Some(Duration::from_secs(60)))
            .run(listener.accept())
            .await
            .unwrap()
            .unwrap();
        let mut buf = [0u8; 4];
        let r = asyncio::timeout(Some(SHORT))
            .run(server.read(&mut buf))
            .await;
        assert!(r.is_err(), "nothing was sent");
        client.write_all(b"late").await.unwrap();
        let n = asyncio::wait_for(server.read(&mut buf), Some(Duration::from_secs(60)))
            .await
            .unwrap()
            .unwrap();
        assert!(n >= 1);
        server.read_exact(&mut buf[n..]).await.unwrap();
        assert_eq!(&buf, b"late");
    });
}

/// Fills the send buffer (the peer does not read) so `write` blocks, times it out, then
/// lets the peer read everything: exactly the bytes the writes reported arrive.
#[test]
fn a_timeout_around_a_blocked_write() {
    on_both(|_| async {
        let (a, b) = tcp_pair().await;
        let byte = |i: usize| (i % 251) as u8;
        let chunk: Vec<u8> = (0..65536).map(byte).collect();
        let mut written = 0usize;
        let mut timed_out = false;
        for _ in 0..100_000 {
            // Every chunk continues the sequence where the last write stopped.
            let offset = written % 251;
            let piece = &chunk[offset..offset + 65536 - 251];
            match asyncio::wait_for(a.write(piece), Some(Duration::from_millis(20))).await {
                Ok(Ok(n)) => written += n,
                Ok(Err(e)) => panic!("write failed: {e}"),
                Err(_timeout) => {
                    timed_out = true;
                    break;
                }
            }
        }
        assert!(timed_out, "the peer never read, so a write blocked");
        a.shutdown(Shutdown::Write).unwrap();
        let got = read_to_end(&b).await.unwrap();
        assert_eq!(got.len(), written);
        assert!(got.iter().enumerate().all(|(i, &v)| v == byte(i)));
    });
}

/// A listener that never accepts, with a backlog of 1: once its queue is full the
/// kernel drops SYNs, so a `connect` hangs until its timeout cancels it.
#[test]
fn a_timeout_around_a_hanging_connect() {
    on_both(|_| async {
        let socket = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )
        .unwrap();
        socket
            .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        socket.listen(1).unwrap();
        let addr = socket.local_addr().unwrap().as_socket().unwrap();
        let mut kept = Vec::new();
        let mut timed_out = false;
        for _ in 0..16 {
            match asyncio::wait_for(TcpStream::connect(addr), Some(Duration::from_millis(100)))
                .await
            {
                Ok(Ok(s)) => kept.push(s),
                Ok(Err(e)) => panic!("connect failed: {e}"),
                Err(_timeout) => {
                    timed_out = true;
                    break;
                }
            }
        }
        assert!(timed_out, "the backlog filled and a connect hung");
        // And a connect with a generous timeout to a live listener succeeds.
        let live = TcpListener::bind("127.0.0.1:0").await.unwrap();
        asyncio::wait_for(
            TcpStream::connect(live.local_addr().unwrap()),
            Some(Duration::from_secs(60)),
        )
        .await
        .unwrap()
        .unwrap();
    });
}
