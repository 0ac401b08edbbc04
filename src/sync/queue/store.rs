//! [`Store`]: the order a queue keeps its items in (asyncio's overridable `_init` /
//! `_put` / `_get`). Each queue type defines its own in its file: `VecDeque` (FIFO,
//! `fifo.rs`), `Stack` (LIFO, `lifo.rs`), `MinHeap` (smallest first, `priority.rs`).
//! A store lives behind its queue's lock.

/// Where a queue keeps its items; the order in which [`pop`](Store::pop) returns them is
/// the queue's order.
pub(super) trait Store<T>: Send {
    /// Adds an item (asyncio's `_put`).
    fn push(&mut self, item: T);
    /// Removes the next item in the queue's order (asyncio's `_get`); `None` if empty.
    fn pop(&mut self) -> Option<T>;
    /// Number of items held.
    fn len(&self) -> usize;
    /// Removes every item, for `shutdown(immediate)`, which drops them after releasing
    /// the lock.
    fn drain_all(&mut self) -> Vec<T>;
}
