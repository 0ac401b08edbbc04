#![cfg(loom)]
//! A user program with a lost update, checked with `asyncio::testing` (public API only).
//!
//! Two tasks deposit into one account. The buggy version holds the `asyncio::Lock` for
//! the read and for the write, but not across the audit-log write between them. Every
//! await in it completes at once when nothing contends (an uncontended `Lock`, a `put` on
//! an unbounded `Queue`), so in asyncio's one-worker FIFO order a deposit runs from start
//! to end without letting the other in, and the program is correct there: the model with
//! one worker passes (`lost_update_not_visible_with_one_worker`). With two workers the
//! deposits really run at once; in the interleavings where the second one reads between
//! the first one's read and write, one deposit is lost. The model finds such an
//! interleaving, not the first one it tries. The fixed version holds the lock over the
//! whole read-modify-write, audit included.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use asyncio::{CancelledError, Lock, Queue};

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

/// Everything one deposit needs.
#[derive(Clone)]
struct Bank {
    lock: Arc<Lock>,
    account: Arc<Account>,
    /// The audit log: an unbounded queue another part of the program would drain; `put`
    /// never suspends on it.
    audit: Arc<Queue<u64>>,
}

/// Records a deposit in the audit log: an await that does not suspend (but is where a
/// task on the other worker can get in).
async fn audit(bank: &Bank, amount: u64) -> Result<(), CancelledError> {
    bank.audit.put(amount).await.map_err(|e| {
        e.as_cancelled()
            .cloned()
            .expect("the log is never shut down")
    })
}

async fn deposit_buggy(bank: Bank, amount: u64) -> Result<(), CancelledError> {
    let balance = {
        let _held = bank.lock.acquire().await?;
        bank.account.read()
    };
    audit(&bank, amount).await?;
    // BUG: another deposit may have written since the read.
    let _held = bank.lock.acquire().await?;
    bank.account.write(balance + amount);
    Ok(())
}

async fn deposit_fixed(bank: Bank, amount: u64) -> Result<(), CancelledError> {
    let _held = bank.lock.acquire().await?;
    let balance = bank.account.read();
    audit(&bank, amount).await?;
    bank.account.write(balance + amount);
    Ok(())
}

/// Executions of the buggy program the `_is_found` test ran (the program closure is
/// called once per execution).
static BUGGY_EXECUTIONS: AtomicUsize = AtomicUsize::new(0);

/// The program: two deposits of 10 run concurrently; the balance must be 20. The second
/// argument, `Some(&counter)` or `None`, counts the executions.
macro_rules! program {
    ($deposit:ident, $count:expr) => {
        || {
            let executions: Option<&AtomicUsize> = $count;
            if let Some(executions) = executions {
                executions.fetch_add(1, Ordering::Relaxed);
            }
            async {
                let bank = Bank {
                    lock: Arc::new(Lock::new()),
                    account: Arc::new(Account::default()),
                    audit: Arc::new(Queue::new(0)),
                };
                let a = asyncio::create_task($deposit(bank.clone(), 10));
                let b = asyncio::create_task($deposit(bank.clone(), 10));
                a.await.unwrap();
                b.await.unwrap();
                assert_eq!(
                    bank.account.read(),
                    20,
                    "lost update: a deposit was overwritten"
                );
            }
        }
    };
}

#[test]
fn lost_update_is_found() {
    let failure = std::panic::catch_unwind(|| {
        asyncio::testing::Builder::new()
            .worker_threads(2)
            .preemption_bound(1)
            .check(program!(deposit_buggy, Some(&BUGGY_EXECUTIONS)))
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
    let executions = BUGGY_EXECUTIONS.load(Ordering::Relaxed);
    println!("lost update found in execution {executions}");
    // A replay (`LOOM_CHECKPOINT_FILE`, see the guide) starts at the failing execution.
    if std::env::var_os("LOOM_CHECKPOINT_FILE").is_none() {
        assert!(
            executions > 1,
            "the first interleaving must not show the bug"
        );
    }
}

#[test]
fn lost_update_not_visible_with_one_worker() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(2)
        .check(program!(deposit_buggy, None));
    assert!(report.executions() > 1);
}

#[test]
fn lost_update_fixed_two_workers() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(2)
        .preemption_bound(1)
        .check(program!(deposit_fixed, None));
    assert!(report.executions() > 1);
}

#[test]
fn lost_update_fixed_one_worker() {
    let report = asyncio::testing::Builder::new()
        .worker_threads(1)
        .preemption_bound(2)
        .check(program!(deposit_fixed, None));
    assert!(report.executions() > 1);
}
