//! Dumping a stuck server's tasks, `python -m asyncio pstree` style.
//!
//! A small "server" hangs: a `migration` task took the database lock and waits for an
//! event nobody sets; every connection handler of the server's `TaskGroup` waits for that
//! lock; a health check waits (under `wait_for`) for probes whose replies never come.
//! Nothing is wrong with the runtime: every task is suspended, so nothing says why.
//!
//! The tree of who awaits whom says it. It is printed twice while the workers run:
//! 1. from a foreign thread (here the main thread) with `Handle::task_tree()`;
//! 2. from a `SIGUSR1` handler (as a long-running server would offer: `kill -USR1 <pid>`;
//!    here the example raises the signal itself).
//!
//! Then the example shuts the server down (cancels the main task, which cancels what it
//! awaits) and ends. Runs in well under a second:
//!
//! ```sh
//! cargo run --example task_tree
//! ```

use std::sync::Arc;
use std::time::Duration;

use asyncio::signal::{self, SIGUSR1};
use asyncio::{AwaitedKind, Event, Lock, Task, TaskGroup};

const CONNECTIONS: usize = 3;

/// What the stuck part of the program shares.
struct Server {
    db: Arc<Lock>,
    /// The event the migration waits for: never set (the bug).
    schema_ready: Event,
}

async fn migrate(server: Arc<Server>) -> Result<(), asyncio::CancelledError> {
    let _guard = server.db.acquire().await?;
    server.schema_ready.wait().await
}

async fn handle_connection(
    server: Arc<Server>,
    n: usize,
) -> Result<usize, asyncio::CancelledError> {
    let _guard = server.db.acquire().await?;
    Ok(n)
}

async fn serve(server: Arc<Server>) -> Result<(), asyncio::TaskGroupError> {
    TaskGroup::run(|tg| async move {
        for n in 0..CONNECTIONS {
            let name = format!("conn-{n}");
            tg.create_task_with(
                Task::builder().name(name),
                handle_connection(server.clone(), n),
            )
            .expect("the group is open");
        }
        Ok::<_, asyncio::CancelledError>(())
    })
    .await
}

async fn health_check() -> Result<(), asyncio::TaskError> {
    // Probes waiting for replies that never come.
    let replies: Vec<asyncio::Future<u32>> = (0..2).map(|_| asyncio::Future::new()).collect();
    let probes: Vec<Task<u32>> = replies
        .iter()
        .enumerate()
        .map(|(i, reply)| {
            let reply = reply.clone();
            Task::builder()
                .name(format!("probe-{i}"))
                .create_task(async move { reply.await })
        })
        .collect();
    let all = async move { asyncio::gather(probes).await.map(|_| ()) };
    let health = Task::builder().name("probes").create_task(all);
    match asyncio::wait_for(health, Some(Duration::from_secs(3600))).await {
        Ok(out) => out,
        Err(timeout) => panic!("health check timed out: {timeout}"),
    }
}

fn main() {
    let rt = asyncio::Builder::new().worker_threads(2).build().unwrap();
    let handle = rt.handle().clone();

    let server = Arc::new(Server {
        db: Arc::new(Lock::new()),
        schema_ready: Event::new(),
    });
    let dumped = Arc::new(Event::new());

    // The SIGUSR1 handler runs as a callback on the runtime: it prints the tree from there.
    let (d, h) = (dumped.clone(), handle.clone());
    rt.block_on(async move {
        signal::add_signal_handler(SIGUSR1, move || {
            println!("--- SIGUSR1: task tree ---\n{}", h.task_tree());
            d.set();
        })
        .expect("install the SIGUSR1 handler");
    });

    let s = server.clone();
    let main_task = Task::builder()
        .name("main")
        .create_task_on(&handle, async move {
            let migration = Task::builder()
                .name("migration")
                .create_task(migrate(s.clone()));
            // Let the migration take the lock first, as it would at start-up.
            asyncio::sleep(Duration::ZERO).await?;
            let server_task = Task::builder().name("server").create_task(serve(s));
            let health = Task::builder().name("health").create_task(health_check());
            let (m, srv, hc) = asyncio::gather3(migration, server_task, health).await?;
            println!("finished: {m:?} {srv:?} {hc:?}");
            Ok::<_, asyncio::TaskError>(())
        });
    let main_ref = main_task.task_ref();

    // Wait until the program is stuck the way it gets stuck: every connection waits for
    // the lock (synchronising on what the tasks await, not on time).
    loop {
        let tree = handle.task_tree();
        let waiting_for_lock = tree
            .tasks()
            .iter()
            .filter(|t| t.name().starts_with("conn-"))
            .filter(|t| t.awaiting().is_some_and(|a| a.kind() == AwaitedKind::Lock))
            .count();
        let probes_waiting = tree
            .tasks()
            .iter()
            .filter(|t| t.name().starts_with("probe-"))
            .filter(|t| {
                t.awaiting()
                    .is_some_and(|a| a.kind() == AwaitedKind::Future)
            })
            .count();
        if waiting_for_lock == CONNECTIONS && probes_waiting == 2 {
            break;
        }
        std::thread::yield_now();
    }

    // 1. From a foreign thread.
    println!("--- foreign thread: task tree ---\n{}", handle.task_tree());
    // Up the chain from one connection: who is waiting for it.
    let conn = handle
        .all_tasks()
        .into_iter()
        .find(|t| t.get_name() == "conn-0")
        .expect("conn-0 is live");
    println!("--- call graph of conn-0 ---");
    asyncio::print_call_graph(&conn);

    // 2. From a signal handler.
    // SAFETY: raising a signal that has a handler installed is harmless.
    unsafe { libc::raise(SIGUSR1) };
    rt.block_on(async move { dumped.wait().await }).unwrap();

    // Shut down: cancelling the main task cancels what it awaits, down every chain.
    main_ref.cancel(Some("shutting down"));
    // The error is turned into text inside the task: caught, as `except CancelledError`.
    let out = rt.block_on(async move { main_task.await.map_err(|e| e.to_string()) });
    println!("main task: {out:?}");
    rt.block_on(async { signal::remove_signal_handler(SIGUSR1) })
        .expect("remove the SIGUSR1 handler");
    println!("live tasks left: {}", handle.all_tasks().len());
}
