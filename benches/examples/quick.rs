use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn spawn_many_asyncio(rt: &asyncio::Runtime, n: usize) {
    rt.block_on(async move {
        let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let rem = Arc::new(AtomicUsize::new(n));
        for _ in 0..n {
            let rem = rem.clone();
            let tx = tx.clone();
            drop(asyncio::create_task(async move {
                if rem.fetch_sub(1, Ordering::Relaxed) == 1 { tx.send(()).unwrap(); }
            }));
        }
        // wait without blocking a worker: poll via sleep(0) loops
        while rem.load(Ordering::Relaxed) != 0 { asyncio::yield_now().await.unwrap(); }
        let _ = rx.try_recv();
    });
}
fn spawn_many_tokio(rt: &tokio::runtime::Runtime, n: usize) {
    rt.block_on(async move {
        let rem = Arc::new(AtomicUsize::new(n));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
        for _ in 0..n {
            let rem = rem.clone(); let tx = tx.clone();
            tokio::spawn(async move {
                if rem.fetch_sub(1, Ordering::Relaxed) == 1 { tx.lock().unwrap().take().unwrap().send(()).unwrap(); }
            });
        }
        rx.await.unwrap();
    });
}
fn yield_many_asyncio(rt: &asyncio::Runtime) {
    rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..200 { v.push(asyncio::create_task(async { for _ in 0..1000 { asyncio::yield_now().await.unwrap(); } })); }
        for t in v { t.await.unwrap(); }
    });
}
fn yield_many_tokio(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..200 { v.push(tokio::spawn(async { for _ in 0..1000 { tokio::task::yield_now().await; } })); }
        for t in v { t.await.unwrap(); }
    });
}
fn main() {
    let a = asyncio::Builder::new().worker_threads(2).build().unwrap();
    let t = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    for round in 0..3 {
        let s = Instant::now(); for _ in 0..20 { spawn_many_asyncio(&a, 10_000); } let ea = s.elapsed()/20;
        let s = Instant::now(); for _ in 0..20 { spawn_many_tokio(&t, 10_000); } let et = s.elapsed()/20;
        println!("round {round} spawn_many 10k: asyncio {:?} tokio {:?} ratio {:.2}", ea, et, ea.as_secs_f64()/et.as_secs_f64());
        let s = Instant::now(); for _ in 0..5 { yield_many_asyncio(&a); } let ea = s.elapsed()/5;
        let s = Instant::now(); for _ in 0..5 { yield_many_tokio(&t); } let et = s.elapsed()/5;
        println!("round {round} yield_many: asyncio {:?} tokio {:?} ratio {:.2}", ea, et, ea.as_secs_f64()/et.as_secs_f64());
    }
}
