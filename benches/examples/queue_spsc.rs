//! Profiling helper: the `queue_spsc` workload in a loop (for perf / callgrind).
use std::sync::Arc;
fn main() {
    let rt = asyncio_benches::asyncio_rt();
    let t0 = std::time::Instant::now();
    for _ in 0..20 {
        rt.block_on(async {
            let q = Arc::new(asyncio::Queue::new(128));
            let q2 = q.clone();
            let p = asyncio::create_task(async move {
                for i in 0..100_000u64 {
                    q2.put(i).await.unwrap();
                }
            });
            let mut s = 0u64;
            for _ in 0..100_000u64 {
                s += q.get().await.unwrap();
            }
            p.await.unwrap();
            s
        });
    }
    println!("{:?} per 100k items", t0.elapsed() / 20);
}
