//! The state behind a queue's one lock: the items, the three wait lists, the count of
//! unfinished tasks and the shutdown flag; and the forwarding of a task's `cancel()` to
//! its entry in one of the lists.

use std::task::Waker;

use crate::loom::{Mutex, StdArc};
use crate::sync::waiters::{CancelEntry, WaitList};

use super::store::Store;

/// Which of a queue's three wait lists an entry is in. Its [`tag`](Self::tag) is the
/// `list: u8` that [`Registration::register`](crate::sync::waiters::Registration::register)
/// hands back to [`CancelEntry::cancel_entry`] when the task is cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum WaiterKind {
    /// A `get()` waiting for an item.
    Getter = 0,
    /// A `put()` waiting for a free slot.
    Putter = 1,
    /// A `join()` waiting for the unfinished-task count to reach 0.
    Joiner = 2,
}

impl WaiterKind {
    /// The number that stands for this kind in the shared cancel glue.
    pub(super) fn tag(self) -> u8 {
        self as u8
    }

    /// The kind [`tag`](Self::tag) gave `tag`.
    fn from_tag(tag: u8) -> WaiterKind {
        match tag {
            0 => WaiterKind::Getter,
            1 => WaiterKind::Putter,
            _ => WaiterKind::Joiner,
        }
    }
}

/// A queue's shared part: the target of its waiters' cancel registrations, so it is in a
/// `std` `Arc` (see [`crate::sync`]).
pub(super) struct Inner<T> {
    pub(super) state: Mutex<State<T>>,
    /// The capacity (0: unbounded); fixed at construction, so outside the lock.
    pub(super) maxsize: usize,
}

/// Everything the queue's one lock guards.
pub(super) struct State<T> {
    /// The items, in the queue type's order.
    pub(super) items: Box<dyn Store<T>>,
    /// Waiters of `get()` (asyncio's `_getters`).
    pub(super) getters: WaitList,
    /// Waiters of `put()` (asyncio's `_putters`).
    pub(super) putters: WaitList,
    /// Waiters of `join()` (asyncio's `_finished` event).
    pub(super) joiners: WaitList,
    /// Items put and not yet marked done (asyncio's `_unfinished_tasks`).
    pub(super) unfinished: usize,
    /// Set by `shutdown()` (asyncio's `_is_shutdown`); never cleared.
    pub(super) shutdown: bool,
}

impl<T> Inner<T> {
    /// An empty, open queue of capacity `maxsize` (0: unbounded) keeping its items in
    /// `items`.
    pub(super) fn new(maxsize: usize, items: Box<dyn Store<T>>) -> Inner<T> {
        Inner {
            state: Mutex::new(State {
                items,
                getters: WaitList::new(),
                putters: WaitList::new(),
                joiners: WaitList::new(),
                unfinished: 0,
                shutdown: false,
            }),
            maxsize,
        }
    }
}

impl<T> State<T> {
    /// The wait list of waiters of `kind`.
    pub(super) fn list(&mut self, kind: WaiterKind) -> &mut WaitList {
        match kind {
            WaiterKind::Getter => &mut self.getters,
            WaiterKind::Putter => &mut self.putters,
            WaiterKind::Joiner => &mut self.joiners,
        }
    }

    /// asyncio's `full()`: `maxsize` items held (never for an unbounded queue).
    pub(super) fn full(&self, maxsize: usize) -> bool {
        maxsize > 0 && self.items.len() >= maxsize
    }

    /// asyncio's `empty()`.
    pub(super) fn is_empty(&self) -> bool {
        self.items.len() == 0
    }

    /// Whether a waiter of `kind` has to wait: a getter while the queue is empty, a
    /// putter while it is full (neither once it is shut down), a joiner while tasks are
    /// unfinished.
    pub(super) fn must_wait(&self, kind: WaiterKind, maxsize: usize) -> bool {
        match kind {
            WaiterKind::Getter => self.is_empty() && !self.shutdown,
            WaiterKind::Putter => self.full(maxsize) && !self.shutdown,
            WaiterKind::Joiner => self.unfinished > 0,
        }
    }
}

impl<T: Send + 'static> CancelEntry for Inner<T> {
    const KIND: crate::AwaitedKind = crate::AwaitedKind::Queue;

    fn cancel_entry(&self, list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        let kind = WaiterKind::from_tag(list);
        self.state.lock().list(kind).cancel(id, msg)
    }
}
