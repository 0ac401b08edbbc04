//! Profiling helper: the `spawn_many_local` workload in a loop; prints the distribution.
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::Instant;
fn main() {
    let rt = asyncio_benches::asyncio_rt();
    let (tx, rx) = mpsc::sync_channel::<()>(1000);
    let rem = Arc::new(AtomicUsize::new(0));
    let mut samples = Vec::new();
    for _ in 0..300 {
        let t0 = Instant::now();
        rem.store(10_000, Relaxed);
        let (tx, rem2) = (tx.clone(), rem.clone());
        drop(rt.create_task(async move {
            for _ in 0..10_000 {
                let (tx, rem) = (tx.clone(), rem2.clone());
                drop(asyncio::create_task(async move {
                    if rem.fetch_sub(1, Relaxed) == 1 {
                        tx.send(()).unwrap();
                    }
                }));
            }
        }));
        rx.recv().unwrap();
        samples.push(t0.elapsed().as_micros() as u64);
    }
    samples.sort();
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "us: p10 {} p50 {} p90 {} max {}",
        p(0.1),
        p(0.5),
        p(0.9),
        p(1.0)
    );
}
