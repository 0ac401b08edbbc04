//! Profiling helper: `sync_complete` with eager start, 1M tasks, for callgrind.
fn main() {
    let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    rt.block_on(async {
        let mut s = 0u64;
        for i in 0..1_000_000u64 {
            let t = asyncio::create_eager_task(async move { i });
            s += std::hint::black_box(t.done()) as u64;
        }
        s
    });
}
