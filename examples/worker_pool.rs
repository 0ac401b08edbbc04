//! A worker pool in asyncio style: a producer feeds jobs through a bounded
//! `asyncio::Queue` to N consumer tasks that run in parallel on every worker thread.
//! Each job goes through a section limited by a `Semaphore` (think "at most 4 concurrent
//! calls to a rate-limited service"), and every 8th job does blocking work (a checksum
//! over a buffer) through `asyncio::to_thread`, off the worker threads. `join()` waits
//! until every job was marked done, `shutdown()` stops the consumers. Prints the
//! throughput.
//!
//! ```sh
//! cargo run --release --example worker_pool [jobs] [consumers]
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asyncio::{GetError, Queue, Semaphore};

/// Concurrent callers allowed in the limited section.
const SECTION_LIMIT: usize = 4;
/// Queue capacity: the producer waits when consumers fall behind (back-pressure).
const CAPACITY: usize = 64;

/// Blocking work: a checksum over a buffer (stands in for compression, hashing, a
/// synchronous library call...).
fn checksum(job: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ job;
    for i in 0..20_000u64 {
        h ^= i.wrapping_mul(job | 1);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

#[derive(Default)]
struct Stats {
    processed: AtomicUsize,
    blocking_calls: AtomicUsize,
    in_section: AtomicUsize,
    max_in_section: AtomicUsize,
    checksum: AtomicUsize,
}

async fn consumer(q: Arc<Queue<u64>>, sem: Arc<Semaphore>, stats: Arc<Stats>) {
    loop {
        let job = match q.get().await {
            Ok(job) => job,
            Err(GetError::ShutDown(_)) => return,
            Err(e) => panic!("consumer: {e}"),
        };
        {
            // The limited section: at most SECTION_LIMIT tasks in here at once.
            let _permit = sem.acquire().await.expect("not cancelled");
            let now = stats.in_section.fetch_add(1, Ordering::Relaxed) + 1;
            stats.max_in_section.fetch_max(now, Ordering::Relaxed);
            asyncio::yield_now().await.expect("not cancelled"); // an await inside it
            stats.in_section.fetch_sub(1, Ordering::Relaxed);
        }
        if job % 8 == 0 {
            let sum = asyncio::to_thread(move || checksum(job))
                .await
                .expect("blocking job");
            stats.blocking_calls.fetch_add(1, Ordering::Relaxed);
            stats.checksum.fetch_xor(sum as usize, Ordering::Relaxed);
        }
        stats.processed.fetch_add(1, Ordering::Relaxed);
        q.task_done().expect("one task_done per job");
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let jobs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let consumers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);

    let rt = asyncio::Builder::new()
        .max_blocking_threads(4)
        .build()
        .expect("runtime");
    let workers = rt.handle().num_workers();
    let stats = Arc::new(Stats::default());

    let s = stats.clone();
    let elapsed = rt.block_on(async move {
        let q = Arc::new(Queue::new(CAPACITY));
        let sem = Arc::new(Semaphore::new(SECTION_LIMIT));
        let tasks: Vec<_> = (0..consumers)
            .map(|_| asyncio::create_task(consumer(q.clone(), sem.clone(), s.clone())))
            .collect();

        let start = Instant::now();
        for job in 0..jobs {
            q.put(job).await.expect("queue open");
        }
        q.join().await.expect("not cancelled"); // every job processed
        let elapsed = start.elapsed();

        q.shutdown(false);
        for t in tasks {
            t.await.expect("consumer finished");
        }
        elapsed
    });

    let processed = stats.processed.load(Ordering::Relaxed);
    assert_eq!(processed as u64, jobs);
    let max_in_section = stats.max_in_section.load(Ordering::Relaxed);
    assert!(max_in_section <= SECTION_LIMIT);
    println!(
        "{processed} jobs through a Queue(maxsize={CAPACITY}) to {consumers} consumers on \
         {workers} workers in {:.1} ms: {:.0} jobs/s",
        ms(elapsed),
        processed as f64 / elapsed.as_secs_f64()
    );
    println!(
        "limited section: at most {max_in_section} of {SECTION_LIMIT} allowed at once; \
         {} blocking calls on {} blocking threads (checksum {:#x})",
        stats.blocking_calls.load(Ordering::Relaxed),
        rt.handle().blocking_threads(),
        stats.checksum.load(Ordering::Relaxed)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
