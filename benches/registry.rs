//! `all_tasks_under_load`: `Handle::all_tasks()` called from a foreign thread while 10,000
//! tasks are alive (pending) and two more keep both workers busy yielding. tokio and
//! async-executor have no equivalent (n/a).
//!
//! Run: `cargo bench -p asyncio-benches --bench registry`

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use asyncio_benches::asyncio_rt;
use criterion::{criterion_group, criterion_main, Criterion};

const LIVE: usize = 10_000;

fn all_tasks_under_load(c: &mut Criterion) {
    let rt = asyncio_rt();
    let handle = rt.handle().clone();
    let gate = asyncio::Future::<()>::new_on(&handle);
    let live: Vec<_> = (0..LIVE)
        .map(|_| {
            let g = gate.clone();
            handle.create_task(async move {
                let _ = g.await;
            })
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            handle.create_task(async move {
                while !stop.load(Relaxed) {
                    asyncio::yield_now().await.unwrap();
                }
            })
        })
        .collect();
    // Every task polled once (and so registered) before measuring.
    while handle.all_tasks().len() < LIVE + 2 {
        std::thread::yield_now();
    }
    let mut g = c.benchmark_group("all_tasks_under_load");
    g.bench_function("asyncio", |b| {
        b.iter(|| {
            let tasks = handle.all_tasks();
            assert!(tasks.len() >= LIVE);
            tasks
        })
    });
    g.finish();
    stop.store(true, Relaxed);
    gate.set_result(()).unwrap();
    for t in busy {
        rt.block_on(t).unwrap();
    }
    for t in live {
        rt.block_on(t).unwrap();
    }
}

criterion_group!(benches, all_tasks_under_load);
criterion_main!(benches);
