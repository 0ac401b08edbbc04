//! Faults and load: a peer reset mid-read, writes to a closed peer, and 10,000
//! concurrent TCP connections each echoing 10 messages with every byte checked.

mod net_util;
mod util;

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asyncio::net::{TcpListener, TcpStream, UnixStream};
use net_util::{on_both, pattern, tcp_pair};

/// Connection A's peer resets (`SO_LINGER` 0, then close) while A's reader waits: that
/// reader gets `ConnectionReset` after the bytes sent before the reset; connection B
/// on the same runtime keeps working.
#[test]
fn a_peer_reset_mid_read_fails_that_reader_only() {
    on_both(|_| async {
        let (a_client, a_server) = tcp_pair().await;
        let (b_client, b_server) = tcp_pair().await;
        let first_bytes = Arc::new(asyncio::Event::new());
        let reader = {
            let first_bytes = first_bytes.clone();
            asyncio::create_task(async move {
                let mut got = Vec::new();
                let mut buf = [0u8; 1024];
                loop {
                    match a_server.read(&mut buf).await {
                        Ok(0) => return (got, None),
                        Ok(n) => {
                            got.extend_from_slice(&buf[..n]);
                            if got.len() >= 5 {
                                first_bytes.set();
                            }
                        }
                        Err(e) => return (got, Some(e)),
                    }
                }
            })
        };
        a_client.write_all(b"hello").await.unwrap();
        first_bytes.wait().await.unwrap();
        socket2::SockRef::from(&a_client)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(a_client);
        let (got, err) = reader.await.unwrap();
        assert_eq!(got, b"hello");
        let err = err.expect("an error, not EOF");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);

        // The other connection is unaffected, both ways.
        let data = pattern(21, 100_000);
        let echo = asyncio::create_task(async move {
            let mut buf = vec![0u8; 100_000];
            b_server.read_exact(&mut buf).await?;
            b_server.write_all(&buf).await?;
            io::Result::Ok(())
        });
        b_client.write_all(&data).await.unwrap();
        let mut back = vec![0u8; data.len()];
        b_client.read_exact(&mut back).await.unwrap();
        assert_eq!(back, data);
        echo.await.unwrap();
    });
}

/// Writing to a peer that closed is an error (`BrokenPipe` or `ConnectionReset`), not
/// a SIGPIPE; the other connections keep working. (tests/net_sigpipe.rs repeats this
/// with SIGPIPE at its default action, which would kill the process.)
#[test]
fn a_write_to_a_closed_peer_is_an_error() {
    on_both(|_| async {
        let (client, server) = tcp_pair().await;
        let (other_client, other_server) = tcp_pair().await;
        drop(server);
        let mut failed = None;
        for _ in 0..10_000 {
            match client.write(&[0u8; 1024]).await {
                Ok(_) => asyncio::yield_now().await.unwrap(),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let err = failed.expect("a write failed");
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{err:?}"
        );

        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let err = a.write_all(b"nobody").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);

        other_client.write_all(b"alive").await.unwrap();
        let mut buf = [0u8; 5];
        other_server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"alive");
    });
}

// ---- 10,000 connections ------------------------------------------------------------------

const CONNECTIONS: usize = 10_000;
const MESSAGES: usize = 10;
/// Connects in flight at once: keeps the listener's accept queue from overflowing
/// (dropped SYNs would cost a 1 s retransmit each).
const CONNECTING: usize = 256;
const CHILD_ENV: &str = "ASYNCIO_NET_FAULTS_CLIENTS";

fn message(conn: usize, round: usize) -> Vec<u8> {
    pattern(
        (conn * MESSAGES + round) as u64,
        1 + (conn * 7 + round * 131) % 300,
    )
}

fn expected_total() -> u64 {
    (0..CONNECTIONS)
        .flat_map(|c| (0..MESSAGES).map(move |r| message(c, r).len() as u64))
        .sum()
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the new soft limit.
fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid rlimit whose soft limit does not exceed its hard one.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return 0;
    }
    lim.rlim_cur
}

/// 10,000 concurrent connections, each echoing 10 messages (1 to 300 bytes) with every
/// byte checked, on a 2-worker runtime. The clients run in a child process (this test
/// binary re-run on itself, also with a 2-worker runtime) so each process needs only
/// ~10,000 descriptors: this host's hard limit is 20,000, below the ~20,100 one
/// process holding both ends would need. The clients connect (at most 256 at a time),
/// then wait at a barrier until all 10,000 are connected, so every connection is open
/// at once before the echoing starts.
#[test]
fn ten_thousand_concurrent_connections_echo_every_byte() {
    if let Ok(port) = std::env::var(CHILD_ENV) {
        clients(port.parse().unwrap());
        return;
    }
    let limit = raise_fd_limit();
    if limit < (CONNECTIONS + 300) as u64 {
        println!(
            "skipped: RLIMIT_NOFILE hard limit {limit} < {}",
            CONNECTIONS + 300
        );
        return;
    }
    util::deadline(|| {
        let started = Instant::now();
        let rt = util::rt(2);
        let accepted = Arc::new(AtomicUsize::new(0));
        let echoed = Arc::new(AtomicU64::new(0));
        let (a, e) = (accepted.clone(), echoed.clone());
        let child = rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = asyncio::create_task(async move {
                let mut echoes = Vec::with_capacity(CONNECTIONS);
                for _ in 0..CONNECTIONS {
                    let (stream, _) = listener.accept().await?;
                    a.fetch_add(1, Ordering::Relaxed);
                    let e = e.clone();
                    echoes.push(asyncio::create_task(async move {
                        let mut buf = [0u8; 4096];
                        loop {
                            match stream.read(&mut buf).await? {
                                0 => return io::Result::Ok(()),
                                n => {
                                    stream.write_all(&buf[..n]).await?;
                                    e.fetch_add(n as u64, Ordering::Relaxed);
                                }
                            }
                        }
                    }));
                }
                for t in echoes {
                    t.await.map_err(io::Error::other)?;
                }
                io::Result::Ok(())
            });
            let child = asyncio::to_thread(move || {
                std::process::Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "ten_thousand_concurrent_connections_echo_every_byte",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env(CHILD_ENV, port.to_string())
                    .output()
                    .unwrap()
            })
            .await
            .unwrap();
            server.await.unwrap();
            child
        });
        drop(rt);
        let stdout = String::from_utf8_lossy(&child.stdout);
        let stderr = String::from_utf8_lossy(&child.stderr);
        assert!(child.status.success(), "clients failed: {stdout}\n{stderr}");
        assert!(stdout.contains("clients: all echoes checked"), "{stdout}");
        assert_eq!(accepted.load(Ordering::Relaxed), CONNECTIONS);
        assert_eq!(echoed.load(Ordering::Relaxed), expected_total());
        println!(
            "10,000 connections x 10 messages: {:.2?} in total ({})",
            started.elapsed(),
            stdout
                .lines()
                .find_map(|l| l.find("clients:").map(|i| &l[i..]))
                .unwrap_or("")
        );
    });
}

/// The child: 10,000 clients on a 2-worker runtime.
fn clients(port: u16) {
    raise_fd_limit();
    util::deadline(move || {
        let rt = util::rt(2);
        let started = Instant::now();
        rt.block_on(async move {
            let connecting = Arc::new(asyncio::Semaphore::new(CONNECTING));
            let all_connected = Arc::new(asyncio::Barrier::new(CONNECTIONS));
            let tasks: Vec<_> = (0..CONNECTIONS)
                .map(|conn| {
                    let (connecting, all_connected) = (connecting.clone(), all_connected.clone());
                    asyncio::create_task(async move {
                        let stream = {
                            let _permit = connecting.acquire().await.unwrap();
                            TcpStream::connect(("127.0.0.1", port)).await?
                        };
                        all_connected.wait().await.unwrap();
                        let mut back = vec![0u8; 300];
                        for round in 0..MESSAGES {
                            let msg = message(conn, round);
                            stream.write_all(&msg).await?;
                            stream.read_exact(&mut back[..msg.len()]).await?;
                            assert!(back[..msg.len()] == msg[..], "conn {conn} round {round}");
                        }
                        io::Result::Ok(())
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        println!(
            "clients: all echoes checked, {CONNECTIONS} connections in {:.2?}",
            started.elapsed()
        );
    });
}
