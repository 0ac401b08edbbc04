//! FIFO wait lists shared by every primitive, and the glue that lets `cancel()` reach a
//! waiter (docs/design.md §4.2 rule 3).
//!
//! A [`WaitList`] lives inside the primitive's state, behind the primitive's one facade
//! [`Mutex`](crate::loom::Mutex). Each suspended wait future owns one entry, identified
//! by a sequence number (entries are in FIFO = id order, so lookups are binary
//! searches). An entry is in one of three states, which are asyncio's waiter-future
//! states:
//!
//! * `Waiting`: pending (asyncio: the waiter future is not done);
//! * `Woken`: granted / notified, not yet observed by its future (asyncio: the waiter
//!   future has a result, its task has not run yet);
//! * `Cancelled`: the awaiting task's `cancel()` was forwarded to this entry while it
//!   was `Waiting` (asyncio: the waiter future was cancelled).
//!
//! **The invariant that makes nothing get lost**: an entry is removed only by its own
//! future — when that future observes it (poll) or is dropped. Whoever removes a `Woken`
//! entry without consuming the grant (a cancellation delivered after the grant, or a
//! drop) passes the grant on, exactly where asyncio's `except CancelledError:` blocks do.
//! `Cancelled` entries are invisible to the primitives' logic (fast paths and
//! wake-ups skip them), as cancelled waiter futures are in asyncio.
//!
//! Wakers are collected under the lock and woken (or dropped) after it is released, so
//! no user code ever runs under a primitive's mutex.

use crate::loom::StdArc;
use std::collections::VecDeque;
use std::task::Waker;

pub(crate) use crate::task::cancel::cancelled_error;
use crate::task::cancel::waiter::{self, CancelTarget, CancelWaiter};
use crate::task::current;
use crate::task::graph::{AwaitedKind, Awaiting};

/// State of one waiter (see the module docs).
#[derive(Debug)]
pub(crate) enum Status {
    Waiting,
    Woken,
    Cancelled(Option<StdArc<str>>),
}

struct Entry {
    id: u64,
    status: Status,
    /// Present while `Waiting`; taken when the entry is woken or cancelled.
    waker: Option<Waker>,
}

/// What a future finds when it looks at its entry.
pub(crate) enum Seen {
    /// Still waiting (the stored waker was refreshed).
    Waiting,
    /// Granted / notified; the entry was removed.
    Woken,
    /// Cancelled through a forwarded `cancel()`; the entry was removed.
    Cancelled(Option<StdArc<str>>),
}

/// A FIFO list of waiters.
#[derive(Default)]
pub(crate) struct WaitList {
    entries: VecDeque<Entry>,
    next_id: u64,
    waiting: usize,
    woken: usize,
}

impl WaitList {
    pub(crate) fn new() -> WaitList {
        WaitList::default()
    }

    /// Appends a `Waiting` entry; returns its id.
    pub(crate) fn push(&mut self, waker: &Waker) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push_back(Entry {
            id,
            status: Status::Waiting,
            waker: Some(waker.clone()),
        });
        self.waiting += 1;
        id
    }

    fn index(&self, id: u64) -> Option<usize> {
        self.entries.binary_search_by_key(&id, |e| e.id).ok()
    }

    /// Looks at entry `id` for its future: refreshes the waker of a waiting entry
    /// (returning the old one, to drop after unlocking), removes a woken or cancelled one.
    ///
    /// # Panics
    /// (debug) if the entry is missing: only its own future removes it.
    pub(crate) fn observe(&mut self, id: u64, waker: &Waker) -> (Seen, Option<Waker>) {
        let Some(i) = self.index(id) else {
            debug_assert!(false, "waiter entry {id} vanished");
            return (Seen::Woken, None);
        };
        let entry = &mut self.entries[i];
        if let Status::Waiting = entry.status {
            let old = match &entry.waker {
                Some(w) if w.will_wake(waker) => None,
                _ => entry.waker.replace(waker.clone()),
            };
            return (Seen::Waiting, old);
        }
        let (status, waker) = self.remove_at(i);
        match status {
            Status::Woken => (Seen::Woken, waker),
            Status::Cancelled(msg) => (Seen::Cancelled(msg), waker),
            Status::Waiting => unreachable!(),
        }
    }

    /// Removes entry `id` (its future gives up). Returns its status and waker (drop the
    /// waker after unlocking).
    pub(crate) fn remove(&mut self, id: u64) -> Option<(Status, Option<Waker>)> {
        let i = self.index(id)?;
        Some(self.remove_at(i))
    }

    fn remove_at(&mut self, i: usize) -> (Status, Option<Waker>) {
        let entry = self.entries.remove(i).expect("index in range");
        match entry.status {
            Status::Waiting => self.waiting -= 1,
            Status::Woken => self.woken -= 1,
            Status::Cancelled(_) => {}
        }
        (entry.status, entry.waker)
    }

    /// A forwarded `cancel()`: a `Waiting` entry becomes `Cancelled` and its waker is
    /// returned (to wake after unlocking). `None` — the cancel is not accepted — if the
    /// entry was already woken, cancelled or removed.
    pub(crate) fn cancel(&mut self, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        let i = self.index(id)?;
        let entry = &mut self.entries[i];
        if !matches!(entry.status, Status::Waiting) {
            return None;
        }
        entry.status = Status::Cancelled(msg);
        self.waiting -= 1;
        entry.waker.take()
    }

    fn wake_at(&mut self, i: usize) -> Option<Waker> {
        let entry = &mut self.entries[i];
        debug_assert!(matches!(entry.status, Status::Waiting));
        entry.status = Status::Woken;
        self.waiting -= 1;
        self.woken += 1;
        entry.waker.take()
    }

    /// asyncio's `Lock._wake_up_first`: if the first live (not cancelled) entry is
    /// waiting, wake it. Returns its waker; `None` if the head is already woken or there
    /// is nobody.
    pub(crate) fn wake_first(&mut self) -> Option<Waker> {
        if self.waiting == 0 {
            return None;
        }
        let i = self
            .entries
            .iter()
            .position(|e| !matches!(e.status, Status::Cancelled(_)))?;
        if matches!(self.entries[i].status, Status::Waiting) {
            self.wake_at(i)
        } else {
            None
        }
    }

    /// Wakes the first waiting entry (asyncio's `_wake_up_next` / `_wakeup_next`).
    /// Returns `None` if nobody is waiting.
    pub(crate) fn wake_next(&mut self) -> Option<Waker> {
        if self.waiting == 0 {
            return None;
        }
        let i = self
            .entries
            .iter()
            .position(|e| matches!(e.status, Status::Waiting))?;
        self.wake_at(i)
    }

    /// Wakes up to `n` waiting entries in FIFO order, pushing their wakers to `out`;
    /// returns how many were woken.
    pub(crate) fn wake_n(&mut self, n: usize, out: &mut Vec<Waker>) -> usize {
        let mut woken = 0;
        let mut i = 0;
        while woken < n && self.waiting > 0 && i < self.entries.len() {
            if matches!(self.entries[i].status, Status::Waiting) {
                if let Some(w) = self.wake_at(i) {
                    out.push(w);
                }
                woken += 1;
            }
            i += 1;
        }
        woken
    }

    /// Wakes every waiting entry.
    pub(crate) fn wake_all(&mut self, out: &mut Vec<Waker>) -> usize {
        self.wake_n(usize::MAX, out)
    }

    /// Entries that are waiting or woken (asyncio: waiter futures not cancelled).
    pub(crate) fn live(&self) -> usize {
        self.waiting + self.woken
    }

    /// Every entry, cancelled ones included (asyncio's `len(self._waiters)`).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Wakes every waker it holds when dropped: collect wakers under a lock, let this drop
/// after the guard.
#[derive(Default)]
pub(crate) struct Wakeups {
    one: Option<Waker>,
    more: Vec<Waker>,
}

impl Wakeups {
    pub(crate) fn new() -> Wakeups {
        Wakeups::default()
    }

    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        if let Some(w) = waker {
            if self.one.is_none() {
                self.one = Some(w);
            } else {
                self.more.push(w);
            }
        }
    }

    /// The spill-over vector, for `WaitList::wake_n` / `wake_all`.
    pub(crate) fn vec(&mut self) -> &mut Vec<Waker> {
        &mut self.more
    }

    pub(crate) fn wake(self) {
        drop(self);
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        if let Some(w) = self.one.take() {
            w.wake();
        }
        for w in self.more.drain(..) {
            w.wake();
        }
    }
}

// ---- forwarding cancel() to a waiter -------------------------------------------------

/// A primitive whose wait entries can be cancelled by id (the target of a forwarded
/// `cancel()`). `list` tells apart the lists of one primitive (a queue's getters,
/// putters and joiners).
pub(crate) trait CancelEntry: Send + Sync + 'static {
    /// What a task waiting in one of the lists awaits, for the call graph.
    const KIND: AwaitedKind;

    /// Cancels entry `id` of list `list` under the primitive's lock if it is still
    /// waiting ([`WaiterList::cancel`]) and returns its waker, which the caller wakes
    /// after the lock is released; `None` if the cancel is not accepted.
    fn cancel_entry(&self, list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker>;
}

/// What a suspended task registers as its waiter: one entry of one list of a primitive.
struct Canceller<P> {
    target: StdArc<P>,
    list: u8,
    id: u64,
}

impl<P: CancelEntry> CancelWaiter for Canceller<P> {
    fn cancel_waiter(self: StdArc<Self>, msg: Option<StdArc<str>>) -> bool {
        match self.target.cancel_entry(self.list, self.id, msg) {
            Some(waker) => {
                waker.wake();
                true
            }
            None => false,
        }
    }

    fn describe(&self) -> Awaiting {
        Awaiting::new(P::KIND, None, Vec::new())
    }
}

/// A wait future's registration as its task's waiter (so that `task.cancel()` is
/// forwarded to the entry, as asyncio forwards it to the waiter future).
#[derive(Default)]
pub(crate) struct Registration {
    canceller: Option<(u64, StdArc<dyn CancelWaiter>)>,
}

impl Registration {
    pub(crate) fn new() -> Registration {
        Registration::default()
    }

    /// Registers entry `id` of `target`'s list `list` for the current poll of the current
    /// task (no-op outside a task). Call after releasing the primitive's lock.
    pub(crate) fn register<P: CancelEntry>(&mut self, target: &StdArc<P>, list: u8, id: u64) {
        if current::current_raw().is_none() {
            return;
        }
        let c = match &self.canceller {
            Some((cid, c)) if *cid == id => c.clone(),
            _ => {
                let c: StdArc<dyn CancelWaiter> = StdArc::new(Canceller {
                    target: target.clone(),
                    list,
                    id,
                });
                self.canceller = Some((id, c.clone()));
                c
            }
        };
        waiter::register(CancelTarget::Other(c));
    }

    /// Removes the task's registration if it is ours (the wait is over).
    pub(crate) fn unregister(&mut self) {
        if let Some((_, c)) = self.canceller.take() {
            let ptr = StdArc::as_ptr(&c) as *const ();
            waiter::unregister(|t| t.is_awaitable(ptr));
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.unregister();
    }
}
