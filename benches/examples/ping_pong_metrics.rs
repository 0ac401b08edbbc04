//! Profiling helper: `ping_pong` on asyncio, default then eager task factory, 500
//! iterations each on one runtime, with the runtime's own metrics per pair (polls,
//! steals, parks, LIFO hits: `Handle::metrics()`). It shows why eager `ping_pong` is
//! slower than the default mode (benches/README.md, "Interleaved results").
//!
//! `cargo run --release -p asyncio-benches --example ping_pong_metrics`
fn main() {
    for eager in [false, true] {
        let rt = if eager {
            asyncio_benches::asyncio_eager_rt()
        } else {
            asyncio_benches::asyncio_rt()
        };
        let mut v = Vec::new();
        for _ in 0..500 {
            v.push(asyncio_benches::workloads::ping_pong::asyncio(&rt));
        }
        v.sort();
        let m = rt.handle().metrics();
        let per = |f: &dyn Fn(usize) -> u64| (0..2).map(f).sum::<u64>() as f64 / 500.0 / 1000.0;
        println!(
            "eager={eager}: median {:?} per 1,000 pairs; per pair: polls {:.2} steals {:.2} parks {:.3} lifo {:.2}",
            v[v.len() / 2],
            per(&|i| m.worker_poll_count(i)),
            per(&|i| m.worker_steal_count(i)),
            per(&|i| m.worker_park_count(i)),
            per(&|i| m.worker_lifo_hit_count(i)),
        );
    }
}
