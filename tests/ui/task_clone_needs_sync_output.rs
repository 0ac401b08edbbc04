//! Cloning a `Task<T>` shares its one stored output between handles that may read it on
//! several threads at once: `T` must be `Sync` (a `RefCell`'s clone touches its borrow
//! flag), so `Task<RefCell<_>>` has no `clone()`.

use std::cell::RefCell;

fn share<T: Clone>(_: &T) {}

fn main() {
    asyncio::run(async {
        let t = asyncio::create_task(async { RefCell::new(1u8) });
        share(&t);
    });
}
