//! Faults of a streams server that touch the whole process, so in their own binary and
//! run one at a time: running out of descriptors on accept (`EMFILE`, by lowering
//! `RLIMIT_NOFILE`), and descriptor leaks across a server run and the runtime's drop
//! (counted in `/proc/self/fd`).

mod util;

use std::io;
use std::sync::{Arc, Mutex};

use asyncio::net::TcpStream;
use asyncio::{open_connection, start_server, Event, Server};
use util::deadline;

/// The two tests change or count the process's descriptors: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn highest_fd() -> i32 {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .max()
        .unwrap()
}

async fn echo_server() -> Server {
    start_server(
        |mut r, w| async move {
            loop {
                let line = r.readline().await?;
                if line.is_empty() {
                    return Ok::<_, asyncio::streams::StreamError>(());
                }
                w.write(&line)?;
                w.drain().await?;
            }
        },
        "127.0.0.1",
        0,
    )
    .await
    .unwrap()
}

/// Takes every free descriptor below a lowered soft `RLIMIT_NOFILE`; undone by drop.
struct Exhausted {
    old: libc::rlimit,
    fillers: Vec<i32>,
}

impl Exhausted {
    fn now() -> Exhausted {
        let mut old = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit/dup on valid arguments; the fds dup'ed are ours.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut old), 0);
            let low = libc::rlimit {
                rlim_cur: (highest_fd() + 8) as libc::rlim_t,
                rlim_max: old.rlim_max,
            };
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &low), 0);
            let mut fillers = Vec::new();
            loop {
                let fd = libc::dup(2);
                if fd < 0 {
                    assert_eq!(
                        io::Error::last_os_error().raw_os_error(),
                        Some(libc::EMFILE)
                    );
                    break;
                }
                fillers.push(fd);
                assert!(fillers.len() < 100_000, "bounded");
            }
            Exhausted { old, fillers }
        }
    }
}

impl Drop for Exhausted {
    fn drop(&mut self) {
        // SAFETY: closing our own dups and restoring the saved limit.
        unsafe {
            for fd in self.fillers.drain(..) {
                libc::close(fd);
            }
            libc::setrlimit(libc::RLIMIT_NOFILE, &self.old);
        }
    }
}

/// EMFILE on accept: reported to the exception handler, accepting backs off (one
/// report, not a spin), the open connection keeps echoing, and once descriptors are
/// free again the waiting connection is accepted and new ones too.
#[test]
fn emfile_on_accept_backs_off_reports_and_recovers() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for workers in [1, 2] {
        deadline(move || {
            let reports = Arc::new(Mutex::new(Vec::<String>::new()));
            let reported = Arc::new(Event::new());
            let (log, ev) = (reports.clone(), reported.clone());
            let rt = asyncio::Builder::new()
                .worker_threads(workers)
                .exception_handler(move |ctx| {
                    log.lock().unwrap().push(ctx.message.clone());
                    ev.set();
                })
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = echo_server().await;
                let addr = server.sockets()[0].as_inet().unwrap();
                let (mut ra, wa) = open_connection("127.0.0.1", addr.port()).await.unwrap();
                wa.write(b"a1\n").unwrap();
                assert_eq!(&ra.readline().await.unwrap()[..], b"a1\n");

                // The client's socket exists before the descriptors run out.
                let b = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                    .unwrap();
                let exhausted = Exhausted::now();
                // Loopback completes the handshake into the backlog at once.
                b.connect(&addr.into()).unwrap();
                reported.wait().await.unwrap();

                // The open connection is unaffected.
                wa.write(b"a2\n").unwrap();
                assert_eq!(&ra.readline().await.unwrap()[..], b"a2\n");

                drop(exhausted);
                // After the back-off the pending connection is accepted.
                let b = TcpStream::from_std(b.into()).unwrap();
                b.write_all(b"b1\n").await.unwrap();
                let mut back = [0u8; 3];
                b.read_exact(&mut back).await.unwrap();
                assert_eq!(&back, b"b1\n");
                let (mut rc, wc) = open_connection("127.0.0.1", addr.port()).await.unwrap();
                wc.write(b"c1\n").unwrap();
                assert_eq!(&rc.readline().await.unwrap()[..], b"c1\n");
                server.close();
                server.close_clients();
                server.wait_closed().await.unwrap();
            });
            let reports = reports.lock().unwrap();
            assert!(
                reports[0].starts_with("socket.accept() out of system resource"),
                "{reports:?}"
            );
            // Backed off: a spinning accept loop would have reported on every retry.
            assert!(reports.len() <= 3, "{reports:?}");
        })
    }
}

/// A server run with connections still open at shutdown, then the runtime dropped:
/// every descriptor it opened (listener, accepted and client sockets, the reactor's
/// epoll and eventfd) is closed.
#[test]
fn no_fd_leak_after_server_run_and_runtime_drop() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for workers in [1, 2] {
        deadline(move || {
            let before = open_fds();
            let rt = util::rt(workers);
            rt.block_on(async {
                let server = echo_server().await;
                let port = server.sockets()[0].as_inet().unwrap().port();
                let mut kept = Vec::new();
                for i in 0..20 {
                    let (mut r, w) = open_connection("127.0.0.1", port).await.unwrap();
                    let line = format!("{i}\n");
                    w.write(line.as_bytes()).unwrap();
                    assert_eq!(&r.readline().await.unwrap()[..], line.as_bytes());
                    if i % 2 == 0 {
                        // Closed properly.
                        w.close();
                        w.wait_closed().await.unwrap();
                    } else {
                        // Left open, with its server-side handler waiting, until shutdown.
                        kept.push((r, w));
                    }
                }
                // A second server closed before the shutdown.
                let other = echo_server().await;
                other.close();
                other.wait_closed().await.unwrap();
                // `server` (not closed) and the open connections go with the
                // runtime's shutdown.
                asyncio::create_task(async move {
                    let _open = (server, kept);
                    asyncio::sleep(std::time::Duration::from_secs(3600)).await
                });
                asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
            });
            drop(rt);
            assert_eq!(open_fds(), before);
        })
    }
}
