//! The state behind a queue's one lock: the items, the three wait lists, the count of
//! unfinished tasks and the shutdown flag; and the forwarding of a task's `cancel()` to
//! its entry in one of the lists.

use std::task::Waker;

use crate::loom::{Mutex, StdArc};
use crate::sync::waiters::{CancelEntry, WaitList};

use super::store::Store;

pub(super) const GETTERS: u8 = 0;
pub(super) const PUTTERS: u8 = 1;
pub(super) const JOINERS: u8 = 2;

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

impl<T> State<T> {
    pub(super) fn list(&mut self, list: u8) -> &mut WaitList {
        match list {
            GETTERS => &mut self.getters,
            PUTTERS => &mut self.putters,
            _ => &mut self.joiners,
        }
    }

    pub(super) fn full(&self, maxsize: usize) -> bool {
        maxsize > 0 && self.items.len() >= maxsize
    }

    pub(super) fn is_empty(&self) -> bool {
        self.items.len() == 0
    }
}

impl<T: Send + 'static> CancelEntry for Inner<T> {
    fn cancel_entry(&self, list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        self.state.lock().list(list).cancel(id, msg)
    }
}
