//! `Queue`, `LifoQueue`, `PriorityQueue` (asyncio's `asyncio.Queue` & co., 3.13 with
//! `shutdown`).
//!
//! ## Protocol (CPython 3.13 `queues.py`, shared between threads)
//! One facade mutex guards the items, the getter / putter / joiner wait lists, the
//! unfinished-task count and the shutdown flag. **Items are never handed to a waiter**:
//! `put` stores the item and wakes the first waiting getter, which takes an item (any
//! item: whichever is first when it runs) in its own poll; a getter woken for nothing
//! (someone else took the item first) waits again, at the back, as in asyncio. So a
//! cancelled or dropped getter can lose no item — the item is still in the queue — and a
//! woken getter that is cancelled before it ran passes its wake-up to the next getter
//! if items are left (asyncio's `if not self.empty() and not getter.cancelled():
//! self._wakeup_next(self._getters)`). Putters mirror this for free slots.
//!
//! ## Errors
//! `get`/`get_nowait` fail with [`GetError`] (`Empty`, `ShutDown`, `Cancelled`); `put`/
//! `put_nowait` with [`PutError<T>`] (`Full`, `ShutDown`, `Cancelled`), which **gives the
//! item back**. `task_done()` called more times than items were put is a
//! [`ValueError`](crate::ValueError).
//!
//! ## Ordering
//! `Queue` is FIFO, `LifoQueue` LIFO, `PriorityQueue` returns the smallest item first
//! (`heapq` order; equal items in no particular order). `maxsize == 0` means unbounded.
mod error;
mod fifo;
mod futures;
mod lifo;
mod methods;
mod priority;
mod protocol;
mod state;
mod store;

pub use error::{GetError, PutError};
pub use fifo::Queue;
pub use futures::{Get, Join, Put};
pub use lifo::LifoQueue;
pub use priority::PriorityQueue;
