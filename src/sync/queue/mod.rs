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

use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::Mutex;
use crate::sync::waiters::{
    cancelled_error, CancelEntry, Registration, Seen, Status, WaitList, Wakeups,
};
use crate::sync::{QueueEmpty, QueueFull, QueueShutDown, ValueError};
use crate::task::cancel::{deliver_pending_cancel, CancelledError};

mod error;

mod fifo;
mod lifo;
mod methods;
mod priority;
mod store;

pub use error::{GetError, PutError};
pub use fifo::Queue;
pub use lifo::LifoQueue;
pub use priority::PriorityQueue;

use store::Store;

// ---- the shared core -----------------------------------------------------------------

const GETTERS: u8 = 0;
const PUTTERS: u8 = 1;
const JOINERS: u8 = 2;

struct Inner<T> {
    state: Mutex<State<T>>,
    maxsize: usize,
}

struct State<T> {
    items: Box<dyn Store<T>>,
    getters: WaitList,
    putters: WaitList,
    /// Waiters of `join()` (asyncio's `_finished` event).
    joiners: WaitList,
    unfinished: usize,
    shutdown: bool,
}

impl<T> State<T> {
    fn list(&mut self, list: u8) -> &mut WaitList {
        match list {
            GETTERS => &mut self.getters,
            PUTTERS => &mut self.putters,
            _ => &mut self.joiners,
        }
    }

    fn full(&self, maxsize: usize) -> bool {
        maxsize > 0 && self.items.len() >= maxsize
    }

    fn is_empty(&self) -> bool {
        self.items.len() == 0
    }
}

impl<T: Send + 'static> CancelEntry for Inner<T> {
    fn cancel_entry(&self, list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        self.state.lock().list(list).cancel(id, msg)
    }
}

/// The queue logic, shared by the three queue types.
struct Core<T> {
    inner: StdArc<Inner<T>>,
}

impl<T: Send + 'static> Core<T> {
    fn new(maxsize: usize, items: Box<dyn Store<T>>) -> Core<T> {
        Core {
            inner: StdArc::new(Inner {
                state: Mutex::new(State {
                    items,
                    getters: WaitList::new(),
                    putters: WaitList::new(),
                    joiners: WaitList::new(),
                    unfinished: 0,
                    shutdown: false,
                }),
                maxsize,
            }),
        }
    }

    fn maxsize(&self) -> usize {
        self.inner.maxsize
    }

    fn qsize(&self) -> usize {
        self.inner.state.lock().items.len()
    }

    fn empty(&self) -> bool {
        self.inner.state.lock().is_empty()
    }

    fn full(&self) -> bool {
        self.inner.state.lock().full(self.inner.maxsize)
    }

    fn put_locked(
        &self,
        st: &mut State<T>,
        item: T,
        wake: &mut Wakeups,
    ) -> Result<(), PutError<T>> {
        if st.shutdown {
            return Err(PutError::ShutDown(QueueShutDown::new(), item));
        }
        if st.full(self.inner.maxsize) {
            return Err(PutError::Full(QueueFull::new(), item));
        }
        st.items.push(item);
        st.unfinished += 1;
        wake.push(st.getters.wake_next());
        Ok(())
    }

    fn get_locked(&self, st: &mut State<T>, wake: &mut Wakeups) -> Result<T, GetError> {
        match st.items.pop() {
            Some(item) => {
                wake.push(st.putters.wake_next());
                Ok(item)
            }
            None if st.shutdown => Err(GetError::ShutDown(QueueShutDown::new())),
            None => Err(GetError::Empty(QueueEmpty::new())),
        }
    }

    fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        let r = self.put_locked(&mut st, item, &mut wake);
        drop(st);
        wake.wake();
        r
    }

    fn get_nowait(&self) -> Result<T, GetError> {
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        let r = self.get_locked(&mut st, &mut wake);
        drop(st);
        wake.wake();
        r
    }

    fn task_done(&self) -> Result<(), ValueError> {
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        if st.unfinished == 0 {
            return Err(ValueError::new("task_done() called too many times"));
        }
        st.unfinished -= 1;
        if st.unfinished == 0 {
            st.joiners.wake_all(wake.vec());
        }
        drop(st);
        wake.wake();
        Ok(())
    }

    fn shutdown(&self, immediate: bool) {
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        st.shutdown = true;
        let dropped = if immediate {
            let items = st.items.drain_all();
            st.unfinished = st.unfinished.saturating_sub(items.len());
            if st.unfinished == 0 {
                st.joiners.wake_all(wake.vec());
            }
            items
        } else {
            Vec::new()
        };
        // Every getter and putter re-checks and sees the shutdown.
        st.getters.wake_all(wake.vec());
        st.putters.wake_all(wake.vec());
        drop(st);
        wake.wake();
        drop(dropped);
    }

    fn is_shutdown(&self) -> bool {
        self.inner.state.lock().shutdown
    }

    fn unfinished(&self) -> usize {
        self.inner.state.lock().unfinished
    }

    /// Removes a wait entry its future gives up; passes a wake-up on if the entry had
    /// been woken and what it was woken for is still there (asyncio's `except:` blocks
    /// of `get` and `put`).
    fn abandon(&self, list: u8, entry: &mut Option<u64>, reg: &mut Registration) {
        if let Some(id) = entry.take() {
            let mut wake = Wakeups::new();
            let mut st = self.inner.state.lock();
            let removed = st.list(list).remove(id);
            if let Some((Status::Woken, _)) = &removed {
                match list {
                    GETTERS if !st.is_empty() => wake.push(st.getters.wake_next()),
                    PUTTERS if !st.full(self.inner.maxsize) => wake.push(st.putters.wake_next()),
                    _ => {}
                }
            }
            drop(st);
            drop(removed);
            wake.wake();
        }
        reg.unregister();
    }

    fn poll_get(
        &self,
        entry: &mut Option<u64>,
        reg: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, GetError>> {
        if let Some(err) = deliver_pending_cancel() {
            self.abandon(GETTERS, entry, reg);
            return Poll::Ready(Err(GetError::Cancelled(err)));
        }
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        if let Some(id) = *entry {
            let (seen, old) = st.getters.observe(id, cx.waker());
            match seen {
                Seen::Waiting => {
                    drop(st);
                    drop(old);
                    reg.register(&self.inner, GETTERS, id);
                    return Poll::Pending;
                }
                Seen::Woken => *entry = None,
                Seen::Cancelled(msg) => {
                    // Cancelled, not woken: nothing to pass on.
                    *entry = None;
                    drop(st);
                    drop(old);
                    reg.unregister();
                    return Poll::Ready(Err(GetError::Cancelled(cancelled_error(msg))));
                }
            }
        }
        // while self.empty(): ...
        if st.is_empty() && !st.shutdown {
            let id = st.getters.push(cx.waker());
            drop(st);
            *entry = Some(id);
            reg.register(&self.inner, GETTERS, id);
            return Poll::Pending;
        }
        let r = self.get_locked(&mut st, &mut wake);
        drop(st);
        wake.wake();
        reg.unregister();
        Poll::Ready(r)
    }

    fn poll_put(
        &self,
        item: &mut Option<T>,
        entry: &mut Option<u64>,
        reg: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), PutError<T>>> {
        let take = |item: &mut Option<T>| item.take().expect("Put polled after completion");
        if let Some(err) = deliver_pending_cancel() {
            self.abandon(PUTTERS, entry, reg);
            return Poll::Ready(Err(PutError::Cancelled(err, take(item))));
        }
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        if let Some(id) = *entry {
            let (seen, old) = st.putters.observe(id, cx.waker());
            match seen {
                Seen::Waiting => {
                    drop(st);
                    drop(old);
                    reg.register(&self.inner, PUTTERS, id);
                    return Poll::Pending;
                }
                Seen::Woken => *entry = None,
                Seen::Cancelled(msg) => {
                    *entry = None;
                    drop(st);
                    drop(old);
                    reg.unregister();
                    let err = cancelled_error(msg);
                    return Poll::Ready(Err(PutError::Cancelled(err, take(item))));
                }
            }
        }
        // while self.full(): if shutdown: raise; wait
        if st.full(self.inner.maxsize) && !st.shutdown {
            let id = st.putters.push(cx.waker());
            drop(st);
            *entry = Some(id);
            reg.register(&self.inner, PUTTERS, id);
            return Poll::Pending;
        }
        let r = self.put_locked(&mut st, take(item), &mut wake);
        drop(st);
        wake.wake();
        reg.unregister();
        Poll::Ready(r)
    }

    fn poll_join(
        &self,
        entry: &mut Option<u64>,
        reg: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), CancelledError>> {
        if let Some(err) = deliver_pending_cancel() {
            self.abandon(JOINERS, entry, reg);
            return Poll::Ready(Err(err));
        }
        let mut st = self.inner.state.lock();
        let id = match *entry {
            Some(id) => {
                let (seen, old) = st.joiners.observe(id, cx.waker());
                drop(st);
                drop(old);
                match seen {
                    Seen::Waiting => id,
                    Seen::Woken => {
                        *entry = None;
                        reg.unregister();
                        return Poll::Ready(Ok(()));
                    }
                    Seen::Cancelled(msg) => {
                        *entry = None;
                        reg.unregister();
                        return Poll::Ready(Err(cancelled_error(msg)));
                    }
                }
            }
            None => {
                if st.unfinished == 0 {
                    return Poll::Ready(Ok(()));
                }
                let id = st.joiners.push(cx.waker());
                drop(st);
                *entry = Some(id);
                id
            }
        };
        reg.register(&self.inner, JOINERS, id);
        Poll::Pending
    }

    fn fmt(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.state.lock();
        write!(f, "<{name} maxsize={}", self.inner.maxsize)?;
        if !st.is_empty() {
            write!(f, " qsize={}", st.items.len())?;
        }
        if st.getters.len() > 0 {
            write!(f, " _getters[{}]", st.getters.len())?;
        }
        if st.putters.len() > 0 {
            write!(f, " _putters[{}]", st.putters.len())?;
        }
        if st.unfinished > 0 {
            write!(f, " tasks={}", st.unfinished)?;
        }
        if st.shutdown {
            f.write_str(" shutdown")?;
        }
        f.write_str(">")
    }
}

// ---- futures -------------------------------------------------------------------------

/// Future returned by `get()` on [`Queue`], [`LifoQueue`] and [`PriorityQueue`].
///
/// ```
/// asyncio::run(async {
///     let q = asyncio::Queue::new(0);
///     q.put_nowait('x').unwrap();
///     let get: asyncio::Get<'_, char> = q.get();
///     assert_eq!(get.await.unwrap(), 'x');
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T: Send + 'static> {
    core: &'a Core<T>,
    entry: Option<u64>,
    reg: Registration,
}

impl<'a, T: Send + 'static> Get<'a, T> {
    fn new(core: &'a Core<T>) -> Self {
        Get {
            core,
            entry: None,
            reg: Registration::new(),
        }
    }
}

impl<T: Send + 'static> Future for Get<'_, T> {
    type Output = Result<T, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.core.poll_get(&mut this.entry, &mut this.reg, cx)
    }
}

impl<T: Send + 'static> Drop for Get<'_, T> {
    fn drop(&mut self) {
        self.core.abandon(GETTERS, &mut self.entry, &mut self.reg);
    }
}

impl<T: Send + 'static> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("waiting", &self.entry.is_some())
            .finish()
    }
}

/// Future returned by `put()` on [`Queue`], [`LifoQueue`] and [`PriorityQueue`].
///
/// ```
/// asyncio::run(async {
///     let q = asyncio::Queue::new(0);
///     let put: asyncio::Put<'_, char> = q.put('x');
///     put.await.unwrap();
///     assert_eq!(q.qsize(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T: Send + 'static> {
    core: &'a Core<T>,
    item: Option<T>,
    entry: Option<u64>,
    reg: Registration,
}

impl<'a, T: Send + 'static> Put<'a, T> {
    fn new(core: &'a Core<T>, item: T) -> Self {
        Put {
            core,
            item: Some(item),
            entry: None,
            reg: Registration::new(),
        }
    }
}

impl<T: Send + 'static> Unpin for Put<'_, T> {}

impl<T: Send + 'static> Future for Put<'_, T> {
    type Output = Result<(), PutError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.core
            .poll_put(&mut this.item, &mut this.entry, &mut this.reg, cx)
    }
}

impl<T: Send + 'static> Drop for Put<'_, T> {
    fn drop(&mut self) {
        self.core.abandon(PUTTERS, &mut self.entry, &mut self.reg);
    }
}

impl<T: Send + 'static> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("waiting", &self.entry.is_some())
            .finish()
    }
}

/// Future returned by `join()` on [`Queue`], [`LifoQueue`] and [`PriorityQueue`].
///
/// ```
/// asyncio::run(async {
///     let q = asyncio::Queue::<u8>::new(0);
///     let join: asyncio::Join<'_, u8> = q.join();
///     join.await.unwrap(); // nothing unfinished
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T: Send + 'static> {
    core: &'a Core<T>,
    entry: Option<u64>,
    reg: Registration,
}

impl<'a, T: Send + 'static> Join<'a, T> {
    fn new(core: &'a Core<T>) -> Self {
        Join {
            core,
            entry: None,
            reg: Registration::new(),
        }
    }
}

impl<T: Send + 'static> Future for Join<'_, T> {
    type Output = Result<(), CancelledError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.core.poll_join(&mut this.entry, &mut this.reg, cx)
    }
}

impl<T: Send + 'static> Drop for Join<'_, T> {
    fn drop(&mut self) {
        self.core.abandon(JOINERS, &mut self.entry, &mut self.reg);
    }
}

impl<T: Send + 'static> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("waiting", &self.entry.is_some())
            .finish()
    }
}
