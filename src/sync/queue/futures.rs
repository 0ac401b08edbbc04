//! The futures of a queue's `get()`, `put()` and `join()`: each holds its entry in one
//! wait list of the queue (while it waits) and its registration as its task's cancel
//! target, and gives both up when dropped.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sync::waiters::Registration;
use crate::task::cancel::CancelledError;

use super::error::{GetError, PutError};
use super::protocol::Core;
use super::state::WaiterKind;

/// Future returned by `get()` on [`Queue`](crate::Queue),
/// [`LifoQueue`](crate::LifoQueue) and [`PriorityQueue`](crate::PriorityQueue).
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
    pub(super) fn new(core: &'a Core<T>) -> Self {
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
        self.core
            .abandon(WaiterKind::Getter, &mut self.entry, &mut self.reg);
    }
}

impl<T: Send + 'static> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("waiting", &self.entry.is_some())
            .finish()
    }
}

/// Future returned by `put()` on [`Queue`](crate::Queue),
/// [`LifoQueue`](crate::LifoQueue) and [`PriorityQueue`](crate::PriorityQueue).
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
    pub(super) fn new(core: &'a Core<T>, item: T) -> Self {
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
        self.core
            .abandon(WaiterKind::Putter, &mut self.entry, &mut self.reg);
    }
}

impl<T: Send + 'static> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("waiting", &self.entry.is_some())
            .finish()
    }
}

/// Future returned by `join()` on [`Queue`](crate::Queue),
/// [`LifoQueue`](crate::LifoQueue) and [`PriorityQueue`](crate::PriorityQueue).
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
    pub(super) fn new(core: &'a Core<T>) -> Self {
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
        self.core
            .abandon(WaiterKind::Joiner, &mut self.entry, &mut self.reg);
    }
}

impl<T: Send + 'static> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("waiting", &self.entry.is_some())
            .finish()
    }
}
