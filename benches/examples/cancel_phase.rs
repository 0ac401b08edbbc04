//! Profiling helper: the `cancel_storm` cancel phase, `cancel()` and `abort()` on this
//! runtime and tokio's `abort()`, alternating round by round in one process so the
//! three see the same machine; prints the median ns per task of each.
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

const TASKS: usize = 10_000;
const ROUNDS: usize = 200;

struct OnDrop(Arc<AtomicUsize>);
impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Relaxed);
    }
}

async fn pending_after_start(started: Arc<AtomicUsize>, dropped: Arc<AtomicUsize>) {
    let _guard = OnDrop(dropped);
    started.fetch_add(1, Relaxed);
    std::future::pending::<()>().await;
}

fn wait_for(c: &AtomicUsize, n: usize) {
    while c.load(Relaxed) < n {
        std::hint::spin_loop();
    }
}

fn main() {
    let rt = asyncio_benches::asyncio_rt();
    let tokio = asyncio_benches::tokio_rt();
    let mut samples: [Vec<f64>; 3] = Default::default();
    for round in 0..ROUNDS {
        // Rotate which runtime goes first, so no one always follows the same other.
        for k in 0..3 {
            let which = (round + k) % 3;
            let started = Arc::new(AtomicUsize::new(0));
            let dropped = Arc::new(AtomicUsize::new(0));
            let elapsed = if which < 2 {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        rt.handle()
                            .create_task(pending_after_start(started.clone(), dropped.clone()))
                    })
                    .collect();
                wait_for(&started, TASKS);
                let t0 = Instant::now();
                for t in &tasks {
                    if which == 0 {
                        t.cancel(None);
                    } else {
                        t.abort();
                    }
                }
                wait_for(&dropped, TASKS);
                t0.elapsed()
            } else {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| tokio.spawn(pending_after_start(started.clone(), dropped.clone())))
                    .collect();
                wait_for(&started, TASKS);
                let t0 = Instant::now();
                for t in &tasks {
                    t.abort();
                }
                wait_for(&dropped, TASKS);
                t0.elapsed()
            };
            samples[which].push(elapsed.as_nanos() as f64 / TASKS as f64);
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let [c, a, t] = &mut samples;
    let (c, a, t) = (med(c), med(a), med(t));
    println!(
        "ns/task: asyncio cancel() {c:.0}, asyncio abort() {a:.0}, tokio abort() {t:.0}; \
         cancel/tokio {:.2}, abort/tokio {:.2}",
        c / t,
        a / t
    );
}
