//! The item order of a queue: the [`Store`] a queue type keeps its items in, behind the
//! queue's lock (asyncio's overridable `_init` / `_put` / `_get`).

/// The item order of a queue (asyncio's overridable `_init`/`_put`/`_get`).
pub(super) trait Store<T>: Send {
    fn push(&mut self, item: T);
    fn pop(&mut self) -> Option<T>;
    fn len(&self) -> usize;
    fn drain_all(&mut self) -> Vec<T>;
}
