//! A `SemaphorePermit` borrows its `Semaphore`, so it cannot outlive it (for a permit
//! that does, use an `Arc<Semaphore>` and `acquire_owned`).

fn main() {
    let permit = {
        let sem = asyncio::Semaphore::new(1);
        sem.try_acquire().unwrap()
    };
    drop(permit);
}
