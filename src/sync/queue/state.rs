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
    pub(super) fn tag(self) -> u8 {
        self as u8
    }

    fn from_tag(tag: u8) -> WaiterKind {
        match tag {
            0 => WaiterKind::Getter,
            1 => WaiterKind::Putter,
            _ => WaiterKind::Joiner,
        }
    }
}

pub(super) struct Inner<T> {
    pub(super) state: Mutex<State<T>>,
    pub(super) maxsize: usize,
}

pub(super) struct State<T> {
    pub(super) items: Box<dyn Store<T>>,
    pub(super) getters: WaitList,
    pub(super) putters: WaitList,
    /// Waiters of `join()` (asyncio's `_finished` event).
    pub(super) joiners: WaitList,
    pub(super) unfinished: usize,
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
    pub(super) fn list(&mut self, kind: WaiterKind) -> &mut WaitList {
        match kind {
            WaiterKind::Getter => &mut self.getters,
            WaiterKind::Putter => &mut self.putters,
            WaiterKind::Joiner => &mut self.joiners,
        }
    }

    pub(super) fn full(&self, maxsize: usize) -> bool {
        maxsize > 0 && self.items.len() >= maxsize
    }

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
    fn cancel_entry(&self, list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        let kind = WaiterKind::from_tag(list);
        self.state.lock().list(kind).cancel(id, msg)
    }
}
