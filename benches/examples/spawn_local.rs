//! Profiling helper: the `spawn_many_local` workload in a loop (300 rounds of 10,000
//! tasks); prints the distribution of one round's time. `spawn_local [asyncio|tokio]
//! [workers]`. Both runtimes run the same task body, boxed (one extra allocation per
//! task for both), so that one loop serves both; run the two alternately to compare them
//! on the same machine state (benches/README.md, "Noise").
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::Instant;

const TASKS: usize = 10_000;
const ROUNDS: usize = 300;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("asyncio");
    let workers: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let (tx, rx) = mpsc::sync_channel::<()>(1000);
    let rem = Arc::new(AtomicUsize::new(0));
    let mut samples = Vec::new();
    let round = |spawn_root: &dyn Fn(Box<dyn FnOnce() + Send>)| {
        let t0 = Instant::now();
        rem.store(TASKS, Relaxed);
        let (tx, rem2) = (tx.clone(), rem.clone());
        spawn_root(Box::new(move || {
            for _ in 0..TASKS {
                let (tx, rem) = (tx.clone(), rem2.clone());
                let body = move || {
                    if rem.fetch_sub(1, Relaxed) == 1 {
                        tx.send(()).unwrap();
                    }
                };
                SPAWN.with(|s| (s.get().expect("spawner"))(Box::new(body)));
            }
        }));
        rx.recv().unwrap();
        t0.elapsed().as_micros() as u64
    };
    match which {
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .build()
                .unwrap();
            for _ in 0..ROUNDS {
                samples.push(round(&|f| {
                    drop(rt.spawn(async move {
                        SPAWN.with(|s| s.set(Some(tokio_spawn)));
                        f()
                    }))
                }));
            }
        }
        _ => {
            let rt = asyncio::Builder::new()
                .worker_threads(workers)
                .build()
                .unwrap();
            for _ in 0..ROUNDS {
                samples.push(round(&|f| {
                    drop(rt.create_task(async move {
                        SPAWN.with(|s| s.set(Some(asyncio_spawn)));
                        f()
                    }))
                }));
            }
        }
    }
    samples.sort();
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "{which} x{workers} us: p10 {} p50 {} p90 {} max {}",
        p(0.1),
        p(0.5),
        p(0.9),
        p(1.0)
    );
}

type Spawn = fn(Box<dyn FnOnce() + Send>);

thread_local! {
    static SPAWN: std::cell::Cell<Option<Spawn>> = const { std::cell::Cell::new(None) };
}

fn tokio_spawn(f: Box<dyn FnOnce() + Send>) {
    drop(tokio::spawn(async move { f() }));
}

fn asyncio_spawn(f: Box<dyn FnOnce() + Send>) {
    drop(asyncio::create_task(async move { f() }));
}
