//! Bytes per live pending task, measured with a counting global allocator: spawn
//! 100,000 tasks that stay pending on a small never-ready future, and divide the bytes
//! allocated (and not freed) meanwhile by the number of tasks. Includes everything the
//! runtime keeps per task (the cell, registry entries, queue slots).
//!
//! Run: `cargo bench -p asyncio-benches --bench memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TASKS: usize = 100_000;

fn wait_started(started: &AtomicUsize) {
    while started.load(Relaxed) < TASKS {
        std::thread::yield_now();
    }
}

async fn pending(started: Arc<AtomicUsize>) {
    started.fetch_add(1, Relaxed);
    std::future::pending::<()>().await;
}

fn main() {
    println!("bytes per live pending task ({TASKS} tasks, 2 workers):");
    println!(
        "  asyncio task header: {} bytes",
        asyncio::test_util::task_header_size()
    );
    {
        let rt = asyncio_benches::asyncio_rt();
        let started = Arc::new(AtomicUsize::new(0));
        let before = LIVE_BYTES.load(Relaxed);
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| rt.handle().create_task(pending(started.clone())))
            .collect();
        wait_started(&started);
        let after = LIVE_BYTES.load(Relaxed);
        let handles = std::mem::size_of_val(tasks.as_slice()) as isize;
        println!(
            "  asyncio: {} bytes per task (excluding the Vec of handles)",
            (after - before - handles) / TASKS as isize
        );
        drop(tasks);
    }
    {
        let rt = asyncio_benches::tokio_rt();
        let started = Arc::new(AtomicUsize::new(0));
        let before = LIVE_BYTES.load(Relaxed);
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| rt.handle().spawn(pending(started.clone())))
            .collect();
        wait_started(&started);
        let after = LIVE_BYTES.load(Relaxed);
        let handles = std::mem::size_of_val(tasks.as_slice()) as isize;
        println!(
            "  tokio:   {} bytes per task (excluding the Vec of handles)",
            (after - before - handles) / TASKS as isize
        );
        drop(tasks);
    }
}
