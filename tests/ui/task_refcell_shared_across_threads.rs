//! `&Task<RefCell<_>>` must not reach two threads: `Task::result()` clones the output
//! through a shared `&RefCell`, so both threads would update its borrow flag at once.
//! (`Task<T>` is `Sync` only for `T: Send + Sync`.)

use std::cell::RefCell;

fn main() {
    let task = asyncio::run(async { asyncio::create_task(async { RefCell::new(0u32) }) });
    std::thread::scope(|s| {
        s.spawn(|| task.result());
        s.spawn(|| task.result());
    });
}
