//! The main demo: tasks spread over every worker, sleeps, cross-thread submission,
//! cancellation with a message, an eager task that finishes inline, `all_tasks()` read
//! from a foreign thread, and a server-style fan-out with a deadline (`TaskGroup` inside
//! `wait_for`) where the first failure cancels the rest.
//!
//! ```text
//! cargo run --release --example demo
//! ```

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn worker_name() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

/// Receives from a std channel without blocking a worker: polls it between short sleeps.
async fn recv_polling<T>(rx: mpsc::Receiver<T>) -> T {
    loop {
        if let Ok(v) = rx.try_recv() {
            return v;
        }
        asyncio::sleep(Duration::from_millis(1)).await.unwrap();
    }
}

fn main() {
    let rt = asyncio::Builder::new().build().expect("runtime");
    let handle = rt.handle().clone();
    println!("asyncio demo: {} worker threads\n", handle.num_workers());

    // 1. Fan out: 4 tasks per worker; each sleeps and then does some CPU work, so the
    //    work spreads over every worker (stealing does the spreading).
    let per_worker = rt.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..4 * asyncio::get_running_loop().unwrap().num_workers())
            .map(|i| {
                asyncio::create_task(async move {
                    asyncio::sleep(Duration::from_millis(10 + (i as u64 % 3) * 5)).await?;
                    let mut x = i as u64;
                    for _ in 0..2_000_000 {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    }
                    std::hint::black_box(x);
                    Ok::<_, asyncio::CancelledError>(worker_name())
                })
            })
            .collect();
        let mut per_worker: BTreeMap<String, usize> = BTreeMap::new();
        for t in tasks {
            *per_worker.entry(t.await.unwrap()).or_default() += 1;
        }
        println!("1. fan-out finished in {:?}", start.elapsed());
        per_worker
    });
    for (worker, n) in &per_worker {
        println!("   {worker}: {n} tasks");
    }

    // 2. Cross-thread submission: a plain thread hands a coroutine to the runtime through
    //    its injection queue and blocks on the result.
    let h = handle.clone();
    let from_thread = std::thread::spawn(move || {
        let fut = asyncio::run_coroutine_threadsafe(
            async {
                asyncio::sleep(Duration::from_millis(5)).await.unwrap();
                format!("computed on {}", worker_name())
            },
            &h,
        );
        fut.result(Some(Duration::from_secs(5))).unwrap()
    })
    .join()
    .unwrap();
    println!("\n2. run_coroutine_threadsafe from a foreign thread: {from_thread}");

    // 3. Cancellation with a message, delivered at the task's await point.
    let (listed_tx, listed_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let h = handle.clone();
    // 5. (set up here) A foreign thread lists the runtime's tasks while some sleep.
    let lister = std::thread::spawn(move || {
        go_rx.recv().unwrap();
        let names: Vec<String> = h.all_tasks().iter().map(|t| t.get_name()).collect();
        listed_tx.send(names).unwrap();
    });
    rt.block_on(async move {
        let slow = asyncio::Task::builder()
            .name("slow-download")
            .create_task(async {
                match asyncio::sleep(Duration::from_secs(3600)).await {
                    Ok(()) => "finished".to_owned(),
                    Err(cancelled) => format!("caught {cancelled}, cleaning up"),
                }
            });
        let sleepers: Vec<_> = (0..3)
            .map(|i| {
                asyncio::Task::builder()
                    .name(format!("sleeper-{i}"))
                    .create_task(asyncio::sleep(Duration::from_millis(200)))
            })
            .collect();
        asyncio::sleep(Duration::from_millis(5)).await.unwrap();

        go_tx.send(()).unwrap();
        let listed = recv_polling(listed_rx).await;
        println!("\n5. all_tasks() from a foreign thread: {listed:?}");

        slow.cancel(Some("no longer needed"));
        println!(
            "\n3. slow-download after cancel(\"no longer needed\"): {}",
            slow.await.unwrap()
        );

        // 4. An eager task runs its first step inside create_task: finished already.
        let eager = asyncio::create_eager_task(async { 6 * 7 });
        println!(
            "\n4. eager task done right after creation: {} (result {})",
            eager.done(),
            eager.await.unwrap()
        );
        for s in sleepers {
            s.cancel(None);
        }
    });
    lister.join().unwrap();

    // 6. A server-style fan-out: ask several backends at once inside a TaskGroup, the
    //    whole fan-out under a deadline. The first failure cancels the other requests;
    //    a slow backend makes the deadline expire.
    println!("\n6. fan-out with a deadline (TaskGroup inside wait_for):");
    for scenario in [Scenario::AllFast, Scenario::OneFails, Scenario::OneSlow] {
        let outcome = rt.block_on(fan_out(scenario));
        println!("   {scenario:?}: {outcome}");
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scenario {
    AllFast,
    OneFails,
    OneSlow,
}

/// Why a backend request did not answer. A cancellation is kept as the
/// `CancelledError` itself, so propagating it with `?` ends the request task cancelled
/// (not failed), as `raise` would in asyncio.
#[derive(Debug, Clone)]
enum BackendError {
    Cancelled(asyncio::CancelledError),
    Status(u16),
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendError::Cancelled(c) => write!(f, "{c}"),
            BackendError::Status(code) => write!(f, "HTTP {code}"),
        }
    }
}

impl std::error::Error for BackendError {}

impl From<asyncio::CancelledError> for BackendError {
    fn from(c: asyncio::CancelledError) -> Self {
        BackendError::Cancelled(c)
    }
}

/// One backend request: a few milliseconds, or an error, or far too long.
async fn backend(id: u32, scenario: Scenario) -> Result<String, BackendError> {
    let delay = match (scenario, id) {
        (Scenario::OneSlow, 3) => Duration::from_secs(10),
        _ => Duration::from_millis(2 + u64::from(id)),
    };
    asyncio::sleep(delay).await?;
    if scenario == Scenario::OneFails && id == 2 {
        return Err(BackendError::Status(503));
    }
    Ok(format!("b{id}"))
}

async fn fan_out(scenario: Scenario) -> String {
    let deadline = Some(Duration::from_millis(50));
    let result = asyncio::wait_for(
        asyncio::TaskGroup::run(move |tg| async move {
            let requests: Vec<_> = (1..=4)
                .map(|id| tg.create_task(backend(id, scenario)).expect("group open"))
                .collect::<Vec<_>>();
            requests
        }),
        deadline,
    )
    .await;
    match result {
        Ok(Ok(requests)) => {
            let mut answers = Vec::new();
            for r in requests {
                answers.push(r.await.unwrap());
            }
            format!("all answered {answers:?}")
        }
        Ok(Err(asyncio::TaskGroupError::Failed(group))) => {
            // Each failure keeps its type: downcast it, or just print it.
            let errors: Vec<String> = group.errors().iter().map(|e| e.to_string()).collect();
            format!("first failure cancelled the rest: {errors:?}")
        }
        Ok(Err(asyncio::TaskGroupError::Cancelled(c))) => format!("cancelled: {c}"),
        Err(timeout) => format!("{timeout} after {deadline:?}: the slow request was cancelled"),
    }
}
