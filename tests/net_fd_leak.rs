//! No descriptor outlives the runtime: count `/proc/self/fd` before creating a
//! runtime, run a server with clients (leaving some sockets in tasks still waiting at
//! shutdown: a read, an accept, a recv, a Unix accept and datagram), drop the runtime,
//! count again. Its own binary, so no concurrent test opens or closes descriptors
//! meanwhile.

mod net_util;
mod util;

use std::io;

use asyncio::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use net_util::TempDir;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn shutdown_closes_every_socket() {
    util::deadline(|| {
        let dir = TempDir::new("fd-leak");
        let path = dir.path("server.sock");
        for workers in util::WORKER_COUNTS {
            let before = open_fds();
            let rt = if workers == 1 {
                util::rt1()
            } else {
                util::rt(workers)
            };
            let p = path.clone();
            rt.block_on(async move {
                let path = p;
                // Each waiting task sets its event just before its last await.
                let mut waiting = Vec::new();
                let mut waiter = || {
                    let ev = std::sync::Arc::new(asyncio::Event::new());
                    waiting.push(ev.clone());
                    ev
                };
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                // The server: an echo task per connection; it keeps accepting.
                asyncio::create_task(async move {
                    loop {
                        let (stream, _) = listener.accept().await?;
                        asyncio::create_task(async move {
                            let mut buf = [0u8; 1024];
                            loop {
                                match stream.read(&mut buf).await? {
                                    0 => return io::Result::Ok(()),
                                    n => stream.write_all(&buf[..n]).await?,
                                }
                            }
                        });
                    }
                    #[allow(unreachable_code)]
                    io::Result::Ok(())
                });
                // Clients that finish, and clients left waiting for a reply forever.
                for i in 0..20u8 {
                    let client = TcpStream::connect(addr).await.unwrap();
                    client.write_all(&[i; 100]).await.unwrap();
                    let mut buf = [0u8; 100];
                    client.read_exact(&mut buf).await.unwrap();
                    if i % 2 == 0 {
                        let (rd, _wr) = client.into_split();
                        let ev = waiter();
                        asyncio::create_task(async move {
                            ev.set();
                            rd.read(&mut [0u8; 1]).await
                        });
                    }
                }
                let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                let ev = waiter();
                asyncio::create_task(async move {
                    ev.set();
                    udp.recv_from(&mut [0u8; 8]).await
                });
                let unix = UnixListener::bind(&path).unwrap();
                let ev = waiter();
                asyncio::create_task(async move {
                    ev.set();
                    unix.accept().await.map(drop)
                });
                let _kept = UnixStream::connect(&path).await.unwrap();
                let (d1, _d2) = UnixDatagram::pair().unwrap();
                let ev = waiter();
                asyncio::create_task(async move {
                    ev.set();
                    d1.recv(&mut [0u8; 8]).await
                });
                for ev in waiting {
                    ev.wait().await.unwrap();
                }
            });
            drop(rt);
            let _ = std::fs::remove_file(&path);
            assert_eq!(open_fds(), before, "workers={workers}");
        }
    });
}
