//! `Queue`, `LifoQueue`, `PriorityQueue`: asyncio's `asyncio.Queue` & co. (CPython 3.13
//! `queues.py`, with `shutdown`), shared between threads.
//!
//! ## Protocol
//! One facade mutex ([`crate::loom::Mutex`]) guards the whole state of a queue: its
//! items, three FIFO wait lists (getters, putters, joiners; see `sync/waiters.rs`), the
//! count of unfinished tasks and the shutdown flag. Wakers are collected under the lock
//! and woken after it is released.
//!
//! * **Waiting.** A `get()` of an empty queue appends an entry to the getters, a `put()`
//!   of a full queue one to the putters (neither waits once the queue is shut down), and
//!   the future registers its entry as its task's cancel target.
//! * **Waking: items are never handed to a waiter.** `put` stores its item and wakes the
//!   first *waiting* getter; `get` takes an item and wakes the first waiting putter (a
//!   slot is free). A woken waiter owns nothing: when it runs it checks again and takes
//!   whichever item is first then (a putter stores its item if a slot is still free). If
//!   another task was faster — as in asyncio, a new `get` takes an item that is there
//!   even while a woken getter has not run yet — it waits again, at the back (asyncio's
//!   `while self.empty(): ...` and `while self.full(): ...` loops).
//! * **Cancellation.** Every poll of `get()`, `put()` and `join()` first delivers a
//!   pending cancellation of the awaiting task, even when it would not wait. A task's
//!   `cancel()` while it waits is forwarded to its entry: a *waiting* entry is cancelled
//!   and its future ends with the `CancelledError` (`GetError::Cancelled`;
//!   `PutError::Cancelled`, with the item). An entry that was already *woken* does not
//!   take the cancel: the task sees it at its next poll, where its future gives the
//!   entry up and passes the wake-up on to the next waiting getter if an item is left
//!   (the next putter if a slot is free), as asyncio's `except:` blocks do
//!   (`if not self.empty() and not getter.cancelled(): self._wakeup_next(self._getters)`).
//!   A future dropped while queued does the same.
//! * **What cancellation guarantees: no item is lost.** An item leaves the queue only in
//!   the call or poll of a `get` that returns it (or in `shutdown(true)`, which drops
//!   it), so a cancelled or dropped getter leaves it in the queue, for the getter its
//!   wake-up was passed to; a cancelled (or failed) `put` gives its item back in the
//!   error. (A task cancelled during the very poll in which
//!   its `get` returned an item ends cancelled and its output is dropped: see
//!   [`crate::sync`].)
//! * **`shutdown(immediate)`** sets the shutdown flag: from then on every `put` fails
//!   with `PutError::ShutDown` (item back) and `get`s take the items left, then fail with
//!   `GetError::ShutDown`. With `immediate`, the items left are removed at once (and
//!   dropped after the lock is released), each counted as done for `join`, so `get`s fail
//!   at once. Every waiting getter and putter is woken to see the shutdown.
//! * **`task_done()` / `join()`.** Each item stored adds an unfinished task,
//!   `task_done()` removes one (a [`ValueError`](crate::ValueError) if none is left), and
//!   when the count reaches 0 every waiting joiner is woken. `join()` returns at once if
//!   the count is 0 and waits otherwise; a woken joiner is done even if items were put
//!   since (asyncio's `join` awaits its event once), so a cancelled or dropped one has
//!   nothing to pass on.
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
//!
//! ## Files
//! * `state.rs`: the state behind the lock, the kinds of waiter, and the forwarding of a
//!   task's `cancel()` to its entry;
//! * `protocol.rs`: `Core`, the operations of the protocol above, shared by the three
//!   queue types;
//! * `futures.rs`: the [`Get`], [`Put`] and [`Join`] futures;
//! * `store.rs`: the `Store` trait, the order a queue keeps its items in; `fifo.rs`,
//!   `lifo.rs` and `priority.rs`: one queue type each, with its store;
//! * `methods.rs`: `queue_methods!`, the public methods the three types share;
//! * `error.rs`: [`GetError`] and [`PutError`] ([`QueueEmpty`](crate::QueueEmpty),
//!   [`QueueFull`](crate::QueueFull) and [`QueueShutDown`](crate::QueueShutDown) are
//!   with the other primitives' errors in [`crate::sync`]).

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
