//! asyncio's streams API (`asyncio::streams`): the reader's parsing rules (mirroring
//! CPython 3.13 `Lib/test/test_asyncio/test_streams.py`; where a rule was checked
//! against CPython the five-line program is next to the test), the cancellation
//! guarantee (reads cancelled at many points lose no byte), half-close, drain's
//! back-pressure, servers with many clients, `close`/`wait_closed`, faults, and the
//! echo example's server.
//!
//! Every body runs under `util::deadline`; loopback only; no sleeps to let things
//! settle; ordering-dependent tests on one worker, the rest on one and two.

mod net_util;
mod util;

#[path = "../examples/echo_server.rs"]
#[allow(dead_code)]
mod echo_example;

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use asyncio::streams::{StreamError, StreamOptions};
use asyncio::{open_connection, start_server, Queue, Server, StreamReader, StreamWriter};
use net_util::on_both;
use util::{deadline, rt, rt1, WORKER_COUNTS};

/// A server on 127.0.0.1 handing each accepted connection's ends to the test.
async fn conduit() -> (Server, Arc<Queue<(StreamReader, StreamWriter)>>) {
    let q = Arc::new(Queue::new(0));
    let tx = q.clone();
    let server = start_server(
        move |r, w| {
            let tx = tx.clone();
            async move {
                let _ = tx.put((r, w)).await;
            }
        },
        "127.0.0.1",
        0,
    )
    .await
    .unwrap();
    (server, q)
}

fn port(server: &Server) -> u16 {
    server.sockets()[0].as_inet().unwrap().port()
}

/// A connected pair: (client reader, client writer, server reader, server writer).
async fn connected() -> (
    Server,
    (StreamReader, StreamWriter),
    (StreamReader, StreamWriter),
) {
    let (server, q) = conduit().await;
    let client = open_connection("127.0.0.1", port(&server)).await.unwrap();
    let accepted = q.get().await.unwrap();
    (server, client, accepted)
}

/// The known byte sequence the peers send: every byte differs from its neighbours and
/// there is a newline every 37 bytes.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            if i % 37 == 36 {
                b'\n'
            } else {
                b'a' + (i % 23) as u8
            }
        })
        .collect()
}

/// Sends `data` in odd-sized chunks (1, 2, 3, 5, 7, 11, 13 bytes ...), yielding to
/// the runtime after each, so the reader sees many partial states.
async fn send_in_odd_chunks(w: &StreamWriter, data: &[u8]) -> io::Result<()> {
    const SIZES: [usize; 8] = [1, 2, 3, 5, 7, 11, 13, 64];
    let mut at = 0;
    let mut k = 0;
    while at < data.len() {
        let n = SIZES[k % SIZES.len()].min(data.len() - at);
        w.write(&data[at..at + n])?;
        w.drain().await?;
        asyncio::sleep(Duration::ZERO).await?;
        at += n;
        k += 1;
    }
    Ok(())
}

/// Polls `fut` once: `true` if it is still pending.
async fn pending_once<F: Future>(fut: F) -> bool {
    let mut fut = pin!(fut);
    std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_pending())).await
}

/// The message of the `ValueError` that `res` must be.
fn value_error(res: Result<bytes::Bytes, StreamError>) -> String {
    match res {
        Err(StreamError::Value(e)) => e.to_string(),
        other => panic!("expected a ValueError: {other:?}"),
    }
}

fn reader_with(data: &[u8], eof: bool, limit: usize) -> StreamReader {
    let mut r = StreamReader::with_limit(limit).unwrap();
    r.feed_data(data);
    if eof {
        r.feed_eof();
    }
    r
}

// ---------------------------------------------------------------------------------------
// The reader's rules (fed readers, as CPython's test_streams.py does).

/// import asyncio
/// async def main():
///     r = asyncio.StreamReader(); r.feed_data(b'line1\nline2'); r.feed_eof()
///     print(await r.read(3), await r.read(0), await r.read(-1), await r.read(5), r.at_eof())
/// asyncio.run(main())   # b'lin' b'' b'e1\nline2' b'' True
#[test]
fn read_sizes_and_eof() {
    on_both(|_| async {
        let mut r = reader_with(b"line1\nline2", true, 1 << 16);
        assert_eq!(&r.read(3).await.unwrap()[..], b"lin");
        assert!(r.read(0).await.unwrap().is_empty());
        assert_eq!(&r.read(-1).await.unwrap()[..], b"e1\nline2");
        assert!(r.read(5).await.unwrap().is_empty());
        assert!(r.at_eof());
    })
}

/// r.feed_data(b'ab\ncd'); r.feed_eof()
/// print(await r.readline(), await r.readline(), await r.readline())  # b'ab\n' b'cd' b''
#[test]
fn readline_partial_line_at_eof() {
    on_both(|_| async {
        let mut r = reader_with(b"ab\ncd", true, 1 << 16);
        assert_eq!(&r.readline().await.unwrap()[..], b"ab\n");
        assert_eq!(&r.readline().await.unwrap()[..], b"cd");
        assert!(r.readline().await.unwrap().is_empty());
        assert!(r.at_eof());
    })
}

/// r = asyncio.StreamReader(limit=4); r.feed_data(b'abcdefg\nxy\n')
/// try: await r.readline()
/// except ValueError as e: print(repr(e), bytes(r._buffer))   # ... b'xy\n'
/// r = asyncio.StreamReader(limit=4); r.feed_data(b'abcdefgh')
/// try: await r.readline()
/// except ValueError as e: print(bytes(r._buffer))            # b''
#[test]
fn readline_over_limit_is_value_error_and_drops_the_line() {
    on_both(|_| async {
        // Newline found past the limit: the line and its newline go.
        let mut r = reader_with(b"abcdefg\nxy\n", false, 4);
        assert_eq!(
            value_error(r.readline().await),
            "Separator is found, but chunk is longer than limit"
        );
        assert_eq!(&r.readline().await.unwrap()[..], b"xy\n");
        // Newline not found: the whole buffer goes.
        let mut r = reader_with(b"abcdefgh", false, 4);
        assert_eq!(
            value_error(r.readline().await),
            "Separator is not found, and chunk exceed the limit"
        );
        r.feed_data(b"z\n");
        assert_eq!(&r.readline().await.unwrap()[..], b"z\n");
    })
}

/// r = asyncio.StreamReader(limit=4); r.feed_data(b'abcdefg\nxy')
/// try: await r.readuntil(b'\n')
/// except asyncio.LimitOverrunError as e: print(e.consumed, bytes(r._buffer))
/// # 7 b'abcdefg\nxy'
#[test]
fn readuntil_over_limit_keeps_the_data() {
    on_both(|_| async {
        let mut r = reader_with(b"abcdefg\nxy", false, 4);
        match r.readuntil(b"\n").await {
            Err(StreamError::LimitOverrun(e)) => assert_eq!(e.consumed, 7),
            other => panic!("{other:?}"),
        }
        // Still consumable, byte for byte.
        assert_eq!(&r.readexactly(8).await.unwrap()[..], b"abcdefg\n");
        // Not found and over the limit: consumed is how far it searched.
        let mut r = reader_with(b"0123456789", false, 4);
        match r.readuntil(b"\n").await {
            Err(StreamError::LimitOverrun(e)) => assert_eq!(e.consumed, 10),
            other => panic!("{other:?}"),
        }
        assert_eq!(&r.read(100).await.unwrap()[..], b"0123456789");
        // As io::Error: InvalidData wrapping the LimitOverrunError.
        let mut r = reader_with(b"0123456789", false, 4);
        let err: io::Error = r.readuntil(b"\n").await.unwrap_err().into();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err
            .get_ref()
            .unwrap()
            .downcast_ref::<asyncio::streams::LimitOverrunError>()
            .is_some());
    })
}

/// r.feed_data(b'abc'); r.feed_eof()
/// try: await r.readuntil(b'!')
/// except asyncio.IncompleteReadError as e: print(e.partial, e.expected, bytes(r._buffer))
/// # b'abc' None b''
/// print(await r.readuntil((b'\n', b'\r\n')))  # after feeding b'x\r\n': b'x\r\n'
#[test]
fn readuntil_eof_empty_separator_and_several_separators() {
    on_both(|_| async {
        let mut r = reader_with(b"abc", true, 1 << 16);
        match r.readuntil(b"!").await {
            Err(StreamError::IncompleteRead(e)) => {
                assert_eq!((&e.partial[..], e.expected), (&b"abc"[..], None))
            }
            other => panic!("{other:?}"),
        }
        assert!(r.at_eof());
        let mut r = reader_with(b"x\r\ny\n", false, 1 << 16);
        assert!(matches!(r.readuntil(b"").await, Err(StreamError::Value(_))));
        assert!(matches!(
            r.readuntil_any(&[]).await,
            Err(StreamError::Value(_))
        ));
        assert_eq!(
            &r.readuntil_any(&[b"\n", b"\r\n"]).await.unwrap()[..],
            b"x\r\n"
        );
        assert_eq!(
            &r.readuntil_any(&[b"\r\n", b"\n"]).await.unwrap()[..],
            b"y\n"
        );
        // A multi-byte separator split across feeds.
        r.feed_data(b"head\r");
        r.feed_data(b"\n\r");
        r.feed_data(b"\nbody");
        assert_eq!(
            &r.readuntil(b"\r\n\r\n").await.unwrap()[..],
            b"head\r\n\r\n"
        );
    })
}

// ---------------------------------------------------------------------------------------
// Over sockets.

#[test]
fn echo_over_tcp() {
    on_both(|_| async {
        let server = start_server(
            |mut r, w| async move {
                while let Ok(line) = r.readline().await {
                    if line.is_empty() {
                        break;
                    }
                    w.write(&line)?;
                    w.drain().await?;
                }
                Ok::<_, io::Error>(())
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let (mut r, w) = open_connection("127.0.0.1", port(&server)).await.unwrap();
        for i in 0..50 {
            let msg = format!("message {i}\n");
            w.write(msg.as_bytes()).unwrap();
            assert_eq!(&r.readline().await.unwrap()[..], msg.as_bytes());
        }
        w.write_eof();
        assert!(r.read(-1).await.unwrap().is_empty());
        assert!(r.at_eof());
        server.close();
        server.wait_closed().await.unwrap();
    })
}

#[test]
fn unix_server_and_connection() {
    deadline(|| {
        rt(2).block_on(async {
            let path = std::env::temp_dir()
                .join(format!("asyncio-net-streams-{}.sock", std::process::id()));
            let server = asyncio::start_unix_server(
                |mut r, w| async move {
                    let data = r.readexactly(5).await?;
                    w.writelines([&b"got "[..], &data[..]])?;
                    w.drain().await?;
                    Ok::<_, StreamError>(())
                },
                &path,
            )
            .await
            .unwrap();
            let (mut r, w) = asyncio::open_unix_connection(&path).await.unwrap();
            w.write(b"hello").unwrap();
            assert_eq!(&r.read(-1).await.unwrap()[..], b"got hello");
            assert!(w.get_extra_info("peername").is_some());
            server.close();
            server.wait_closed().await.unwrap();
            assert!(!path.exists());
        })
    })
}

#[test]
fn readexactly_eof_gives_the_partial_bytes() {
    on_both(|_| async {
        let (server, (mut r, _w), (_sr, sw)) = connected().await;
        sw.write(b"only9byte").unwrap();
        sw.close();
        match r.readexactly(20).await {
            Err(StreamError::IncompleteRead(e)) => {
                assert_eq!(&e.partial[..], b"only9byte");
                assert_eq!(e.expected, Some(20));
            }
            other => panic!("{other:?}"),
        }
        assert!(r.at_eof());
        server.close();
    })
}

#[test]
fn line_over_the_limit_over_a_socket_stays_consumable() {
    deadline(|| {
        rt(2).block_on(async {
            let (server, q) = conduit().await;
            let (mut r, _w) = StreamOptions::new()
                .limit(16)
                .open_connection("127.0.0.1", port(&server))
                .await
                .unwrap();
            let (_sr, sw) = q.get().await.unwrap();
            let long = pattern(36); // no newline within the limit
            sw.write(&long).unwrap();
            sw.write(b"\nnext\n").unwrap();
            match r.readuntil(b"\n").await {
                Err(StreamError::LimitOverrun(e)) => assert!(e.consumed > 16),
                other => panic!("{other:?}"),
            }
            let mut got = r.readexactly(36).await.unwrap().to_vec();
            got.extend_from_slice(&r.readuntil(b"\n").await.unwrap());
            let mut want = long.clone();
            want.push(b'\n');
            assert_eq!(got, want);
            assert_eq!(&r.readline().await.unwrap()[..], b"next\n");
            server.close();
        })
    })
}

/// Which read a cancellation test runs.
#[derive(Clone, Copy, Debug)]
enum Op {
    Read,
    Readline,
    Readexactly,
    Readuntil,
}

async fn one_read(r: &mut StreamReader, op: Op) -> Result<bytes::Bytes, StreamError> {
    match op {
        Op::Read => r.read(10).await.map_err(StreamError::from),
        Op::Readline => r.readline().await,
        Op::Readexactly => r.readexactly(7).await,
        Op::Readuntil => r.readuntil(b"k").await,
    }
}

/// The peer sends a known sequence in odd chunks; a task reading with `op` is
/// cancelled after `k` yields of the test, for many `k`; each time the reader comes
/// back (the task catches the cancellation) and reading goes on. At the end every
/// byte must have been received exactly once, in order.
fn cancel_reads_lose_nothing(workers: usize, op: Op) {
    deadline(move || {
        rt(workers).block_on(async move {
            let (server, (mut r, _w), (_sr, sw)) = connected().await;
            let data = pattern(4000);
            let sender = {
                let data = data.clone();
                asyncio::create_task(async move {
                    send_in_odd_chunks(&sw, &data).await.unwrap();
                    sw.close();
                    sw
                })
            };
            let mut got = Vec::new();
            let mut k = 0usize;
            while !r.at_eof() {
                k += 1;
                let started = Arc::new(asyncio::Event::new());
                let began = started.clone();
                let t = asyncio::create_task(async move {
                    began.set();
                    let mut got = Vec::new();
                    loop {
                        match one_read(&mut r, op).await {
                            Ok(b) if b.is_empty() && r.at_eof() => return (r, got),
                            Ok(b) => got.extend_from_slice(&b),
                            Err(StreamError::IncompleteRead(e)) => {
                                got.extend_from_slice(&e.partial);
                                return (r, got);
                            }
                            Err(e) if e.as_cancelled().is_some() => return (r, got),
                            Err(e) => panic!("{op:?}: {e:?}"),
                        }
                    }
                });
                // The task must have started: one cancelled before its first step never
                // runs (its future, with the reader, is dropped unpolled). On two workers
                // yielding is not enough (the other worker may not have polled it yet).
                started.wait().await.unwrap();
                for _ in 0..(k % 13) {
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                }
                t.cancel(None);
                let (back, part) = t.await.expect("the reader task catches its cancellation");
                r = back;
                got.extend_from_slice(&part);
                assert!(k < 100_000, "bounded");
            }
            sender.await.unwrap();
            assert_eq!(got.len(), data.len(), "{op:?} after {k} cancellations");
            assert!(got == data, "{op:?}: bytes differ");
            server.close();
        })
    })
}

#[test]
fn cancelled_reads_lose_nothing() {
    for op in [Op::Read, Op::Readline, Op::Readexactly, Op::Readuntil] {
        for n in WORKER_COUNTS {
            cancel_reads_lose_nothing(n, op);
        }
    }
}

/// `wait_for` and `timeout` around every kind of read, with deadlines from zero up:
/// each expiry drops or cancels the read; the bytes must all arrive anyway.
#[test]
fn timed_out_reads_lose_nothing() {
    on_both(|_| async {
        let (server, (mut r, _w), (_sr, sw)) = connected().await;
        let data = pattern(3000);
        let sender = {
            let data = data.clone();
            asyncio::create_task(async move {
                send_in_odd_chunks(&sw, &data).await.unwrap();
                sw.close();
                sw
            })
        };
        let ops = [Op::Read, Op::Readline, Op::Readexactly, Op::Readuntil];
        let mut got = Vec::new();
        let mut i = 0usize;
        while !r.at_eof() {
            i += 1;
            assert!(i < 1_000_000, "bounded");
            let op = ops[i % ops.len()];
            let limit = Some(Duration::from_micros((i % 7) as u64 * 50));
            let out = if i % 2 == 0 {
                asyncio::wait_for(one_read(&mut r, op), limit).await
            } else {
                asyncio::timeout(limit).run(one_read(&mut r, op)).await
            };
            match out {
                Err(_timeout) => {}
                Ok(Ok(b)) => got.extend_from_slice(&b),
                Ok(Err(StreamError::IncompleteRead(e))) => got.extend_from_slice(&e.partial),
                Ok(Err(e)) if e.as_cancelled().is_some() => {}
                Ok(Err(e)) => panic!("{op:?}: {e:?}"),
            }
        }
        sender.await.unwrap();
        assert_eq!(got.len(), data.len());
        assert!(got == data);
        server.close();
    })
}

/// `task.cancel()` reaches a read as an `io::Error`; propagated with `?`, the task
/// ends cancelled with the message.
#[test]
fn cancel_delivered_as_io_error_propagates() {
    deadline(|| {
        rt1().block_on(async {
            let (server, (r, _w), _server_side) = connected().await;
            let t = asyncio::create_task(async move {
                let mut r = r;
                r.readline().await?;
                Ok::<_, io::Error>(())
            });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            t.cancel(Some("stop reading"));
            let err = t.await.unwrap_err();
            assert_eq!(util::cancel_msg(&err).as_deref(), Some("stop reading"));
            server.close();
        })
    })
}

/// writer.write_eof(): the peer reads EOF (read() is empty, at_eof), and can still write.
#[test]
fn half_close() {
    on_both(|_| async {
        let (server, (mut cr, cw), (mut sr, sw)) = connected().await;
        assert!(cw.can_write_eof());
        cw.write(b"request").unwrap();
        cw.write_eof();
        cw.write_eof(); // no-op
        assert!(cw.write(b"more").is_err());
        assert_eq!(&sr.read(-1).await.unwrap()[..], b"request");
        assert!(sr.at_eof());
        assert!(sr.read(10).await.unwrap().is_empty());
        sw.write(b"response").unwrap();
        sw.close();
        assert_eq!(&cr.read(-1).await.unwrap()[..], b"response");
        server.close();
    })
}

/// drain() blocks above the high-water mark while the peer does not read, and resumes
/// once it has read enough; every byte arrives.
#[test]
fn drain_back_pressure() {
    on_both(|_| async {
        let (server, (mut cr, _cw), (_sr, sw)) = connected().await;
        assert_eq!(sw.get_write_buffer_limits(), (16 * 1024, 64 * 1024));
        // More than the kernel's loopback buffers can hold.
        let data = pattern(48 << 20);
        sw.write(&data).unwrap();
        assert!(
            sw.get_write_buffer_size() > 64 * 1024,
            "paused above the mark"
        );
        assert!(
            pending_once(sw.drain()).await,
            "drain waits while the peer does not read"
        );
        let reader = asyncio::create_task(async move {
            let got = cr.readexactly(48 << 20).await.unwrap();
            (cr, got)
        });
        sw.drain().await.unwrap();
        assert!(sw.get_write_buffer_size() <= 16 * 1024);
        let (_cr, got) = reader.await.unwrap();
        assert!(got[..] == data[..]);
        server.close();
    })
}

/// Writes to a peer that has gone fail with BrokenPipe or ConnectionReset (from drain,
/// as asyncio reports them), and the process gets no SIGPIPE.
#[test]
fn write_to_closed_peer_is_an_error_not_sigpipe() {
    on_both(|_| async {
        let (server, client, (_sr, sw)) = connected().await;
        drop(client);
        let mut failed = None;
        for _ in 0..10_000 {
            sw.write(&[0u8; 4096]).unwrap();
            if let Err(e) = sw.drain().await {
                failed = Some(e);
                break;
            }
            asyncio::sleep(Duration::ZERO).await.unwrap();
        }
        let e = failed.expect("the loss is reported");
        assert!(
            matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{e:?}"
        );
        assert!(sw.is_closing());
        assert!(sw.wait_closed().await.is_err());
        server.close();
    })
}

/// A peer resetting its connection fails that reader only; another connection of the
/// same server goes on.
#[test]
fn peer_reset_affects_only_its_connection() {
    deadline(|| {
        rt(2).block_on(async {
            let (server, q) = conduit().await;
            let raw = asyncio::net::TcpStream::connect(("127.0.0.1", port(&server)))
                .await
                .unwrap();
            let (mut r1, w1) = q.get().await.unwrap();
            let (mut r2, w2) = open_connection("127.0.0.1", port(&server)).await.unwrap();
            let (mut sr2, sw2) = q.get().await.unwrap();
            raw.write_all(b"partial").await.unwrap();
            assert_eq!(&r1.readexactly(7).await.unwrap()[..], b"partial");
            socket2::SockRef::from(&raw)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(raw); // RST
            let err = r1.read(-1).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
            // Reported again, and to the writer's drain.
            assert!(r1.readline().await.is_err());
            assert!(w1.drain().await.is_err());
            w2.write(b"still fine\n").unwrap();
            assert_eq!(&sr2.readline().await.unwrap()[..], b"still fine\n");
            sw2.write(b"yes\n").unwrap();
            assert_eq!(&r2.readline().await.unwrap()[..], b"yes\n");
            server.close();
        })
    })
}

#[test]
fn get_extra_info_names() {
    on_both(|_| async {
        let (server, (_cr, cw), (_sr, sw)) = connected().await;
        let peer = cw.get_extra_info("peername").unwrap();
        let sock = sw.get_extra_info("sockname").unwrap();
        assert_eq!(
            peer.addr().unwrap().as_inet(),
            sock.addr().unwrap().as_inet()
        );
        assert_eq!(
            peer.addr().unwrap().as_inet().unwrap().port(),
            port(&server)
        );
        let client_addr = cw.get_extra_info("sockname").unwrap();
        let seen_by_server = sw.get_extra_info("peername").unwrap();
        assert_eq!(
            client_addr.addr().unwrap().as_inet(),
            seen_by_server.addr().unwrap().as_inet()
        );
        assert!(matches!(
            cw.get_extra_info("socket"),
            Some(asyncio::streams::ExtraInfo::Socket(fd)) if fd >= 0
        ));
        assert!(cw.get_extra_info("cipher").is_none());
        server.close();
    })
}

/// 200 clients at once, each echoing 10 messages; every byte checked.
#[test]
fn many_concurrent_clients() {
    on_both(|_| async {
        let server = start_server(
            |mut r, w| async move {
                loop {
                    let msg = match r.readuntil(b"\n").await {
                        Ok(msg) => msg,
                        Err(e) => return Err::<(), StreamError>(e),
                    };
                    w.write(&msg)?;
                    w.drain().await?;
                }
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = port(&server);
        let clients: Vec<_> = (0..200)
            .map(|c| {
                asyncio::create_task(async move {
                    let (mut r, w) = open_connection("127.0.0.1", port).await.unwrap();
                    for m in 0..10 {
                        let msg = format!("client {c} message {m} {}\n", "x".repeat(c));
                        w.write(msg.as_bytes()).unwrap();
                        assert_eq!(&r.readline().await.unwrap()[..], msg.as_bytes());
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
        server.close();
        server.wait_closed().await.unwrap();
        assert_eq!(server.active_connections(), 0);
    })
}

/// asyncio 3.13: close() stops accepting and closes the sockets, but wait_closed()
/// waits for the open connections; serve_forever() ends cancelled when the server is
/// closed, and refuses to start on a closed server.
///
/// async def main():
///     s = await asyncio.start_server(lambda r, w: None, '127.0.0.1', 0)
///     t = asyncio.create_task(s.serve_forever()); await asyncio.sleep(0); s.close()
///     try: await t
///     except asyncio.CancelledError: print('cancelled', t.cancelled())  # cancelled True
#[test]
fn close_and_wait_closed() {
    deadline(|| {
        rt1().block_on(async {
            let release = Arc::new(asyncio::Event::new());
            let finished = Arc::new(AtomicUsize::new(0));
            let (rel, fin) = (release.clone(), finished.clone());
            let server = start_server(
                move |_r, w| {
                    let (rel, fin) = (rel.clone(), fin.clone());
                    async move {
                        w.write(b"hello\n")?;
                        rel.wait().await?;
                        fin.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, io::Error>(())
                    }
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
            let port = port(&server);
            let s = server.clone();
            let serving = asyncio::create_task(async move { s.serve_forever().await });
            asyncio::sleep(Duration::ZERO).await.unwrap();
            assert!(
                server.serve_forever().await.is_err(),
                "already serving forever"
            );
            let (mut r, _w) = open_connection("127.0.0.1", port).await.unwrap();
            assert_eq!(&r.readline().await.unwrap()[..], b"hello\n");

            server.close();
            assert!(!server.is_serving());
            assert!(server.sockets().is_empty());
            assert!(
                open_connection("127.0.0.1", port).await.is_err(),
                "not accepting"
            );
            let err = serving.await.unwrap_err();
            assert!(err.as_cancelled().is_some());
            assert!(server.serve_forever().await.is_err(), "closed");

            // The handler still runs: wait_closed waits for it.
            let waiter = {
                let s = server.clone();
                asyncio::create_task(async move { s.wait_closed().await })
            };
            asyncio::sleep(Duration::ZERO).await.unwrap();
            assert!(!waiter.done());
            assert_eq!(finished.load(Ordering::SeqCst), 0);
            release.set();
            waiter.await.unwrap();
            assert_eq!(finished.load(Ordering::SeqCst), 1);
            // The handler's writer was dropped: the client reads EOF.
            assert!(r.read(-1).await.unwrap().is_empty());
        })
    })
}

/// close_clients() closes the open connections (flushing them), abort_clients() drops
/// their buffers; either lets wait_closed() return.
#[test]
fn close_clients_and_abort_clients() {
    for abort in [false, true] {
        deadline(move || {
            rt(2).block_on(async move {
                let server = start_server(
                    |mut r, w| async move {
                        w.write(b"welcome\n")?;
                        // Reads until the server closes the connection.
                        r.read(-1).await.map(drop)
                    },
                    "127.0.0.1",
                    0,
                )
                .await
                .unwrap();
                let mut clients = Vec::new();
                for _ in 0..5 {
                    let (mut r, w) = open_connection("127.0.0.1", port(&server)).await.unwrap();
                    assert_eq!(&r.readline().await.unwrap()[..], b"welcome\n");
                    clients.push((r, w));
                }
                server.close();
                if abort {
                    server.abort_clients();
                } else {
                    server.close_clients();
                }
                server.wait_closed().await.unwrap();
                for (mut r, _w) in clients {
                    assert!(r.read(-1).await.unwrap().is_empty());
                }
            })
        })
    }
}

/// A handler's error and a handler's panic go to the exception handler, as asyncio's
/// "Unhandled exception in client_connected_cb"; the server carries on.
#[test]
fn handler_failures_are_reported() {
    deadline(|| {
        let reports = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = reports.clone();
        let rt = asyncio::Builder::new()
            .worker_threads(1)
            .exception_handler(move |ctx| log.lock().unwrap().push(ctx.to_string()))
            .build()
            .unwrap();
        rt.block_on(async {
            let server = start_server(
                |mut r, w| async move {
                    let _w = w; // kept open while the handler runs
                    let line = r.readline().await?;
                    if line.starts_with(b"panic") {
                        panic!("handler panicked");
                    }
                    Err::<(), _>(io::Error::other("handler failed"))
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
            for msg in [&b"fail\n"[..], b"panic\n"] {
                let (mut r, w) = open_connection("127.0.0.1", port(&server)).await.unwrap();
                w.write(msg).unwrap();
                assert!(r.read(-1).await.unwrap().is_empty());
            }
            server.close();
            server.wait_closed().await.unwrap();
        });
        let reports = reports.lock().unwrap();
        assert!(reports
            .iter()
            .any(|r| r.contains("Unhandled exception in client_connected_cb: handler failed")));
        assert!(reports.iter().any(|r| r.contains("handler panicked")));
    })
}

/// The echo example's server: many lines from two clients, then a graceful shutdown.
#[test]
fn echo_example_server() {
    on_both(|_| async {
        let stop = Arc::new(asyncio::Event::new());
        let addr_tx = Arc::new(Queue::new(1));
        let s = stop.clone();
        let tx = addr_tx.clone();
        let server = asyncio::create_task(async move {
            echo_example::serve(
                "127.0.0.1:0",
                move |addr| tx.put_nowait(addr).unwrap(),
                async move {
                    let _ = s.wait().await;
                },
            )
            .await
        });
        let addr: std::net::SocketAddr = addr_tx.get().await.unwrap();
        let mut conns = Vec::new();
        for c in 0..2 {
            let (mut r, w) = open_connection("127.0.0.1", addr.port()).await.unwrap();
            for i in 0..20 {
                let line = format!("{c}:{i}\n");
                w.write(line.as_bytes()).unwrap();
                assert_eq!(&r.readline().await.unwrap()[..], line.as_bytes());
            }
            conns.push((r, w));
        }
        stop.set();
        server.await.unwrap();
        for (mut r, _w) in conns {
            assert!(
                r.read(-1).await.unwrap().is_empty(),
                "closed by the shutdown"
            );
        }
    })
}

/// The runtime-neutral traits: `AsyncBufRead`/`AsyncRead` on the reader mix with
/// `readline` (they serve the same buffer), `AsyncWrite` on the writer applies the
/// back-pressure of `drain` and `poll_close` is `write_eof`; every byte arrives.
#[test]
fn futures_io_traits_on_the_streams() {
    use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
    use std::future::poll_fn;
    use std::pin::Pin;

    on_both(|_| async {
        let (server, (mut cr, mut cw), (mut sr, sw)) = connected().await;
        // Reader: a line through readline, then the next bytes through AsyncBufRead and
        // AsyncRead, then a line again.
        sw.write(b"first\nsecond\nthird\n").unwrap();
        assert_eq!(&cr.readline().await.unwrap()[..], b"first\n");
        // Bytes may arrive in pieces: check prefixes, then the whole.
        let mut got = Vec::new();
        let seen = poll_fn(|cx| Pin::new(&mut cr).poll_fill_buf(cx).map_ok(|b| b.to_vec()))
            .await
            .unwrap();
        assert!(!seen.is_empty() && b"second\nthird\n".starts_with(&seen));
        got.push(seen[0]);
        Pin::new(&mut cr).consume(1);
        let mut four = [0u8; 4];
        let n = poll_fn(|cx| Pin::new(&mut cr).poll_read(cx, &mut four))
            .await
            .unwrap();
        assert!(n >= 1);
        got.extend_from_slice(&four[..n]);
        let rest = cr
            .readexactly(b"second\nthird\n".len() - got.len())
            .await
            .unwrap();
        got.extend_from_slice(&rest);
        assert_eq!(got, b"second\nthird\n");

        // Writer: 8 MiB through poll_write in 64 KiB pieces while the peer reads; then
        // poll_close, and the peer sees EOF after the last byte.
        let data = pattern(8 << 20);
        let expected = data.clone();
        let reader = asyncio::create_task(async move {
            let got = sr.read(-1).await.unwrap();
            (sr, got)
        });
        for chunk in data.chunks(64 * 1024) {
            let mut off = 0;
            while off < chunk.len() {
                off += poll_fn(|cx| Pin::new(&mut cw).poll_write(cx, &chunk[off..]))
                    .await
                    .unwrap();
                assert!(cw.get_write_buffer_size() <= 64 * 1024 + chunk.len());
            }
        }
        poll_fn(|cx| Pin::new(&mut cw).poll_flush(cx))
            .await
            .unwrap();
        poll_fn(|cx| Pin::new(&mut cw).poll_close(cx))
            .await
            .unwrap();
        let (_sr, got) = reader.await.unwrap();
        assert!(got[..] == expected[..], "every byte, in order");
        server.close();
    })
}
