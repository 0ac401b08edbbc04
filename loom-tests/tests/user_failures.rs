#![cfg(loom)]
//! What fails an `asyncio::testing` model besides the main task's own panic (public API
//! only): a panic nobody retrieved, and a main task that raises.

use std::time::Duration;

fn failure_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("the model must fail");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn unretrieved_panic_fails_the_model() {
    let message = failure_message(|| {
        asyncio::testing::Builder::new()
            .worker_threads(1)
            .preemption_bound(1)
            .check(|| async {
                // Nobody awaits it: asyncio logs "Task exception was never retrieved".
                drop(asyncio::create_task(async {
                    if true {
                        panic!("boom in a detached task");
                    }
                }));
                asyncio::sleep(Duration::ZERO).await.unwrap();
                asyncio::sleep(Duration::ZERO).await.unwrap();
            });
    });
    assert!(
        message.contains("an exception nobody retrieved"),
        "unexpected failure: {message}"
    );
}

#[test]
fn main_task_error_fails_the_model() {
    let message = failure_message(|| {
        asyncio::testing::Builder::new()
            .worker_threads(1)
            .preemption_bound(1)
            .check(|| async { Err::<(), _>(std::io::Error::other("the program raised")) });
    });
    assert!(
        message.contains("the main task failed") && message.contains("the program raised"),
        "unexpected failure: {message}"
    );
}
