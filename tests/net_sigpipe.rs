//! Writes to a closed peer with SIGPIPE at its default action (terminate), which the
//! Rust runtime normally sets to "ignore" at start-up: if any write of ours did not use
//! `MSG_NOSIGNAL`, the kernel's SIGPIPE would kill this test binary. Its own binary, so
//! the changed disposition touches no other test.

mod net_util;
mod util;

use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;

use asyncio::net::{UnixDatagram, UnixStream};
use net_util::{on_both, tcp_pair};

fn is_pipe_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

#[test]
fn writes_to_a_closed_peer_never_raise_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_DFL installs no handler code; this
    // binary has no other test that could depend on SIGPIPE being ignored.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
    on_both(|_| async {
        // TCP: write, write_all, try_write and the futures-io write, after the peer
        // closed.
        let (mut client, server) = tcp_pair().await;
        drop(server);
        let mut failed = 0;
        for i in 0..10_000 {
            let r = match i % 3 {
                0 => client.write(&[1u8; 4096]).await,
                1 => client.write_all(&[2u8; 4096]).await.map(|()| 4096),
                _ => {
                    use futures_io::AsyncWrite;
                    poll_fn(|cx| Pin::new(&mut client).poll_write(cx, &[3u8; 4096])).await
                }
            };
            match r {
                Ok(_) => asyncio::yield_now().await.unwrap(),
                Err(e) => {
                    assert!(is_pipe_error(&e), "{e:?}");
                    failed += 1;
                    if failed == 6 {
                        break;
                    }
                }
            }
        }
        assert_eq!(failed, 6, "every kind of write failed without a signal");
        let e = client.try_write(b"x").unwrap_err();
        assert!(is_pipe_error(&e), "{e:?}");

        // A TCP write half after the peer closed.
        let (client, server) = tcp_pair().await;
        drop(server);
        let (_rd, wr) = client.into_split();
        let mut err = None;
        for _ in 0..10_000 {
            if let Err(e) = wr.write(&[0u8; 4096]).await {
                err = Some(e);
                break;
            }
            asyncio::yield_now().await.unwrap();
        }
        assert!(is_pipe_error(&err.expect("a write failed")));

        // Unix stream: EPIPE at once.
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        assert!(is_pipe_error(&a.write(b"x").await.unwrap_err()));
        assert!(is_pipe_error(&a.try_write(b"x").unwrap_err()));
        let (_rd, wr) = a.into_split();
        assert!(is_pipe_error(&wr.write_all(b"x").await.unwrap_err()));

        // Unix datagram after our own shutdown: EPIPE.
        let (a, _b) = UnixDatagram::pair().unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        assert!(is_pipe_error(&a.send(b"x").await.unwrap_err()));
        assert!(is_pipe_error(&a.try_send(b"x").unwrap_err()));
    });
    // SAFETY: as above; restores what the Rust runtime had set.
    unsafe { libc::signal(libc::SIGPIPE, previous) };
}
