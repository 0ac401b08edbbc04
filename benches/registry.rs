//! `all_tasks_under_load`: `Handle::all_tasks()` called from a foreign thread while 10,000
//! tasks are alive (pending) and two more keep both workers busy yielding. tokio and
//! async-executor have no equivalent (n/a). The load is shared with the interleaved
//! runner (`src/workloads/all_tasks_under_load.rs`).
//!
//! Run: `cargo bench -p asyncio-benches --bench registry`

use asyncio_benches::asyncio_rt;
use asyncio_benches::workloads::all_tasks_under_load::Load;
use criterion::{criterion_group, criterion_main, Criterion};

fn all_tasks_under_load(c: &mut Criterion) {
    let rt = asyncio_rt();
    let load = Load::start(&rt);
    let mut g = c.benchmark_group("all_tasks_under_load");
    g.bench_function("asyncio", |b| b.iter(|| load.all_tasks()));
    g.finish();
    load.stop(&rt);
}

criterion_group!(benches, all_tasks_under_load);
criterion_main!(benches);
