//! Shutdown: every pending task's future is dropped exactly once, every cell is freed,
//! and nothing hangs (DESIGN §4.5, issue "Runtime core" point 6).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Counts drops of the futures (and outputs) it is attached to.
#[derive(Clone, Default)]
struct DropCounter(Arc<AtomicUsize>);

struct Tracked(DropCounter);

impl Drop for Tracked {
    fn drop(&mut self) {
        (self.0).0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A foreign future that is never ready and drops the waker it is given.
struct NeverReady(#[allow(dead_code)] Tracked);

impl Future for NeverReady {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

#[test]
fn dropping_runtime_drops_every_pending_future_exactly_once() {
    const N: usize = 100_000;
    let counter = DropCounter::default();
    let rt = asyncio::Builder::new().worker_threads(2).build().unwrap();
    let spawned = Arc::new(AtomicUsize::new(0));
    {
        let c = counter.clone();
        let spawned = spawned.clone();
        rt.block_on(async move {
            for i in 0..N {
                let tracked = Tracked(c.clone());
                spawned.fetch_add(1, Ordering::SeqCst);
                match i % 3 {
                    // Pending forever on a foreign future.
                    0 => drop(asyncio::create_task(NeverReady(tracked))),
                    // Pending on a long sleep (a timer entry).
                    1 => drop(asyncio::create_task(async move {
                        let _t = tracked;
                        let _ = asyncio::sleep(Duration::from_secs(3600)).await;
                    })),
                    // Finished normally.
                    _ => drop(asyncio::create_task(async move {
                        let _t = tracked;
                    })),
                }
            }
            // Let every task be polled at least once.
            asyncio::sleep(Duration::from_millis(50)).await.unwrap();
        });
    }
    let handle = rt.handle().clone();
    drop(rt);
    assert_eq!(spawned.load(Ordering::SeqCst), N);
    assert_eq!(counter.0.load(Ordering::SeqCst), N);
    assert_eq!(handle.debug_live_cells(), Some(0), "every cell is freed");
}
