//! `Task<Cell<u32>>` is `Send` (the output moves to whoever awaits it) but not `Sync`:
//! `&Task<T>` reads the output through `&T` (`result()`), which needs `T: Sync`.

fn require_sync<T: Sync>() {}

fn main() {
    require_sync::<asyncio::Task<std::cell::Cell<u32>>>();
}
