//! `#[asyncio::main]` and `#[asyncio::test]` (the `asyncio-macros` crate): each option
//! takes effect (the worker count is the running loop's, eager-ness shows in a task that
//! is done as soon as `create_task` returns), tests may return `Result`, a deadline
//! cancels the body and fails the test naming it, and the runtime ends as
//! `asyncio::run` ends it (pending tasks cancelled and waited for).
//!
//! `#[asyncio::main]` works on any fn name, so its tests expand helpers that a plain
//! `#[test]` calls and inspects (under `util::deadline`). The misuses that must not
//! compile are `tests/ui/macro_*.rs`.

mod util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use asyncio::{CancelledError, TaskRef};

const HOUR: Duration = Duration::from_secs(3600);

fn workers() -> usize {
    asyncio::get_running_loop().unwrap().num_workers()
}

// Every test below also runs under a deadline (generous: CI is 2 slow cores); none
// depends on it except those that are about it.

#[asyncio::test(deadline = "2min")]
async fn test_defaults_to_one_worker_and_queued_start() {
    assert_eq!(workers(), 1, "tests default to the deterministic mode");
    let main = asyncio::current_task().expect("the body is the main task");
    assert!(!main.done());
    let t = asyncio::create_task(async { 5 });
    assert!(!t.done(), "queued: no first step inside create_task");
    assert_eq!(t.await.unwrap(), 5);
}

#[asyncio::test(worker_threads = 2, deadline = "2min")]
async fn test_worker_threads_takes_effect() {
    assert_eq!(workers(), 2);
}

#[asyncio::test(eager = true, deadline = "2min")]
async fn test_eager_takes_effect() {
    assert_eq!(workers(), 1);
    let t = asyncio::create_task(async { 5 });
    assert!(
        t.done(),
        "eager: finished in its first step, inside create_task"
    );
    assert_eq!(t.await.unwrap(), 5);
}

#[asyncio::test(worker_threads = 2, eager = true, deadline = "2min")]
async fn test_eager_on_two_workers() {
    assert_eq!(workers(), 2);
    assert!(asyncio::create_task(async { 5 }).done());
}

#[asyncio::test(eager = false, worker_threads = 1)]
async fn test_explicit_defaults() {
    assert_eq!(workers(), 1);
    assert!(!asyncio::create_task(async { 5 }).done());
}

#[asyncio::test(deadline = "2min")]
async fn test_returns_ok_and_uses_question_mark() -> Result<(), asyncio::Exception> {
    let n: u32 = "42".parse()?;
    asyncio::sleep(Duration::ZERO).await?;
    assert_eq!(n, 42);
    Ok(())
}

#[asyncio::test(worker_threads = 2)]
async fn test_returns_io_result() -> std::io::Result<()> {
    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0").await?;
    listener.local_addr()?;
    Ok(())
}

/// A deadline that is not reached leaves the body's output alone.
#[asyncio::test(deadline = "10min")]
async fn test_deadline_not_reached() -> Result<(), CancelledError> {
    asyncio::sleep(Duration::ZERO).await?;
    Ok(())
}

// The body never finishes by itself: the deadline cancels its sleep, the body propagates
// the cancellation, and the test fails naming itself and its deadline.
#[asyncio::test(deadline = "20ms")]
#[should_panic(
    expected = "test `macros::test_deadline_expires` did not finish within its deadline of 20ms"
)]
async fn test_deadline_expires() {
    if asyncio::sleep(HOUR).await.is_err() {
        return; // a `()` body propagates its cancellation by ending
    }
    unreachable!("the deadline's cancellation arrives at the sleep");
}

// A body that swallows the deadline's cancellation and finishes anyway still fails: it
// did not finish within its deadline.
#[asyncio::test(deadline = "20ms", worker_threads = 2)]
#[should_panic(expected = "did not finish within its deadline of 20ms")]
async fn test_deadline_expires_when_the_body_swallows_the_cancellation() {
    let err = asyncio::sleep(HOUR).await.unwrap_err();
    assert!(err.message().is_none(), "the timeout's own cancellation");
}

#[asyncio::test]
#[should_panic(expected = "boom in the body")]
async fn test_panic_in_the_body_fails_the_test_with_its_message() {
    asyncio::sleep(Duration::ZERO).await.unwrap();
    panic!("boom in the body");
}

// ---- #[asyncio::main], on helpers a plain test calls ----

/// Attributes, doc comments and visibility stay on the generated fn.
#[asyncio::main(worker_threads = 2)]
#[allow(clippy::needless_return)]
pub(crate) async fn main_with_two_workers() -> usize {
    return workers();
}

#[test]
fn main_worker_threads_takes_effect() {
    assert_eq!(util::deadline(main_with_two_workers), 2);
}

#[asyncio::main]
async fn main_with_defaults() -> (usize, bool) {
    (workers(), asyncio::create_task(async {}).done())
}

#[test]
fn main_defaults_to_one_worker_per_cpu_and_queued_start() {
    let (n, eager) = util::deadline(main_with_defaults);
    assert_eq!(n, num_cpus(), "as asyncio::run: Builder::new()'s default");
    assert!(!eager);
}

fn num_cpus() -> usize {
    asyncio::Builder::new()
        .build()
        .unwrap()
        .handle()
        .num_workers()
}

#[asyncio::main(eager = true, worker_threads = 1)]
async fn main_eager() -> bool {
    asyncio::create_task(async {}).done()
}

#[test]
fn main_eager_takes_effect() {
    assert!(util::deadline(main_eager));
}

#[derive(Debug)]
struct NotFound;

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not found")
    }
}

impl std::error::Error for NotFound {}

#[asyncio::main(worker_threads = 1)]
async fn main_returning_err() -> Result<u32, asyncio::Exception> {
    asyncio::sleep(Duration::ZERO).await?;
    Err(NotFound)?;
    Ok(1)
}

#[test]
fn main_returns_its_err() {
    let err = util::deadline(main_returning_err).unwrap_err();
    assert!(err.downcast_ref::<NotFound>().is_some(), "{err:?}");
}

static CLEANUP_RAN: AtomicBool = AtomicBool::new(false);

/// Leaves a task pending: the runner cancels it and waits for its cleanup before `main`
/// returns, as `asyncio.run` does.
#[asyncio::main(worker_threads = 2)]
async fn main_leaving_a_task_pending() -> TaskRef {
    let started = std::sync::Arc::new(asyncio::Event::new());
    let t = asyncio::create_task({
        let started = started.clone();
        async move {
            started.set();
            let err = asyncio::sleep(HOUR).await.unwrap_err();
            CLEANUP_RAN.store(true, Ordering::SeqCst);
            Err::<(), _>(err)
        }
    });
    started.wait().await.unwrap();
    t.task_ref()
}

// What asyncio.run does (CPython 3.13.0):
//     import asyncio
//     async def child():
//         try: await asyncio.sleep(3600)
//         finally: print("cleanup")
//     async def main():
//         asyncio.create_task(child()); await asyncio.sleep(0); print("main done")
//     asyncio.run(main()); print("run returned")
// prints: main done / cleanup / run returned
#[test]
fn main_cancels_and_awaits_pending_tasks_on_exit() {
    let t = util::deadline(main_leaving_a_task_pending);
    assert!(t.cancelled());
    assert!(
        CLEANUP_RAN.load(Ordering::SeqCst),
        "its cleanup ran before main returned"
    );
}
