//! Profiling helper: one workload of the interleaved runner on one contender, in a loop,
//! so that `perf record` sees only that runtime. Prints the median of the iterations.
//!
//! ```sh
//! cargo build --release -p asyncio-benches --example profile_one
//! perf record -g target/release/examples/profile_one spawn_many_local asyncio 2000
//! ```
//!
//! Arguments: workload name (as in `interleaved --workload`), contender (`asyncio`,
//! `asyncio-eager`, `tokio`, `async-executor`), iterations (default 1,000).
use asyncio_benches::contender::Contender;
use asyncio_benches::workloads::Workload;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: profile_one WORKLOAD asyncio|asyncio-eager|tokio|async-executor [ITERATIONS]";
    let workload = args
        .get(1)
        .and_then(|w| Workload::from_name(w))
        .expect(usage);
    let contender = match args.get(2).map(String::as_str) {
        Some("asyncio") => Contender::Asyncio,
        Some("asyncio-eager") => Contender::AsyncioEager,
        Some("tokio") => Contender::Tokio,
        Some("async-executor") => Contender::AsyncExecutor,
        _ => panic!("{usage}"),
    };
    let iterations: usize = args.get(3).map_or(1_000, |n| n.parse().expect(usage));
    let instance = contender.start();
    let mut times = workload.measure(&instance, 10, iterations);
    times.sort();
    let per_unit = times[times.len() / 2].as_nanos() as f64 / workload.units_per_iteration() as f64;
    println!(
        "{} on {}: median {per_unit:.1} {} ({iterations} iterations)",
        workload.name(),
        contender.name(),
        workload.unit()
    );
}
