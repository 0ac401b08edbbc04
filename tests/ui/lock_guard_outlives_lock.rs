//! A `LockGuard` borrows its `Lock`, so it cannot outlive it (for a guard that does, use
//! an `Arc<Lock>` and `acquire_owned`).

fn main() {
    let guard = {
        let lock = asyncio::Lock::new();
        lock.try_acquire().unwrap()
    };
    drop(guard);
}
