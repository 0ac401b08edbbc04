#![cfg(loom)]
//! A user program with a lost update, checked with `asyncio::testing` (public API only).
//!
//! Two tasks deposit into one account. The buggy version holds the `asyncio::Lock` for
//! the read and for the write, but not across the await between them: when the second
//! task reads before the first one writes, one deposit is lost. Only the interleavings
//! where the two tasks overlap show it; the model finds one. The fixed version holds the
//! lock over the whole read-modify-write, await included.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{CancelledError, Lock};

/// The account: plain data behind a `std` mutex held only for one access (never across
/// an await); the `asyncio::Lock` is what is meant to order the tasks.
#[derive(Default)]
struct Account {
    balance: Mutex<u64>,
}

impl Account {
    fn read(&self) -> u64 {
        *self.balance.lock().unwrap()
    }

    fn write(&self, v: u64) {
        *self.balance.lock().unwrap() = v;
    }
}

/// Stands for any await in the middle of the update (a call to another service, a log
/// write): the task may be suspended there.
async fn audit() -> Result<(), CancelledError> {
    asyncio::sleep(Duration::ZERO).await
}

async fn deposit_buggy(
    lock: Arc<Lock>,
    account: Arc<Account>,
    amount: u64,
) -> Result<(), CancelledError> {
    let balance = {
        let _held = lock.acquire().await?;
        account.read()
    };
    audit().await?;
    // BUG: another deposit may have written since the read.
    let _held = lock.acquire().await?;
    account.write(balance + amount);
    Ok(())
}

async fn deposit_fixed(
    lock: Arc<Lock>,
    account: Arc<Account>,
    amount: u64,
) -> Result<(), CancelledError> {
    let _held = lock.acquire().await?;
    let balance = account.read();
    audit().await?;
    account.write(balance + amount);
    Ok(())
}

/// The program: two deposits of 10 run concurrently; the balance must be 20.
macro_rules! program {
    ($deposit:ident) => {
        || async {
            let lock = Arc::new(Lock::new());
            let account = Arc::new(Account::default());
            let a = asyncio::create_task($deposit(lock.clone(), account.clone(), 10));
            let b = asyncio::create_task($deposit(lock.clone(), account.clone(), 10));
            a.await.unwrap();
            b.await.unwrap();
            assert_eq!(account.read(), 20, "lost update: a deposit was overwritten");
        }
    };
}

#[test]
fn lost_update_is_found() {
    let failure = std::panic::catch_unwind(|| {
        asyncio::testing::Builder::new()
            .worker_threads(2)
            .preemption_bound(2)
            .check(program!(deposit_buggy))
    })
    .expect_err("the model must find the lost update");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("lost update"),
        "unexpected failure: {message}"
    );
}

#[test]
fn lost_update_fixed_two_workers() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(2)
        .preemption_bound(1)
        .check(program!(deposit_fixed));
    assert!(report.executions() > 1);
}

#[test]
fn lost_update_fixed_one_worker() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(2)
        .check(program!(deposit_fixed));
    assert!(report.executions() > 1);
}
