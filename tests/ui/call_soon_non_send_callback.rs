//! Callbacks run on a worker thread of the runtime: `call_soon` (and `call_later`,
//! `call_at`, `add_done_callback`) must reject a `!Send` closure, here one owning an
//! `Rc` that the calling thread keeps a clone of.

use std::rc::Rc;

fn main() {
    asyncio::run(async {
        let counter = Rc::new(0);
        let mine = counter.clone();
        asyncio::call_soon(move || drop(counter));
        drop(mine);
    });
}
