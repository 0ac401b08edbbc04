//! The queue protocol: [`Core`], the operations every queue type shares — `put`/`get`
//! with and without waiting, `task_done`/`join`, `shutdown` — on the [`State`] behind
//! the lock.

use std::fmt;
use std::task::{Context, Poll};

use crate::loom::StdArc;
use crate::sync::waiters::{cancelled_error, Registration, Seen, Status, Wakeups};
use crate::sync::{QueueEmpty, QueueFull, QueueShutDown, ValueError};
use crate::task::cancel::{deliver_pending_cancel, CancelledError};

use super::error::{GetError, PutError};
use super::state::{Inner, State, WaiterKind};
use super::store::Store;

/// The queue logic, shared by the three queue types: each operation takes the lock of
/// the shared [`Inner`] once, and wakes (or drops) wakers only after releasing it.
pub(super) struct Core<T> {
    inner: StdArc<Inner<T>>,
}

impl<T: Send + 'static> Core<T> {
    pub(super) fn new(maxsize: usize, items: Box<dyn Store<T>>) -> Core<T> {
        Core {
            inner: StdArc::new(Inner::new(maxsize, items)),
        }
    }

    pub(super) fn maxsize(&self) -> usize {
        self.inner.maxsize
    }

    pub(super) fn qsize(&self) -> usize {
        self.inner.state.lock().items.len()
    }

    pub(super) fn empty(&self) -> bool {
        self.inner.state.lock().is_empty()
    }

    pub(super) fn full(&self) -> bool {
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

    pub(super) fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        let r = self.put_locked(&mut st, item, &mut wake);
        drop(st);
        wake.wake();
        r
    }

    pub(super) fn get_nowait(&self) -> Result<T, GetError> {
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        let r = self.get_locked(&mut st, &mut wake);
        drop(st);
        wake.wake();
        r
    }

    pub(super) fn task_done(&self) -> Result<(), ValueError> {
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

    pub(super) fn shutdown(&self, immediate: bool) {
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

    pub(super) fn is_shutdown(&self) -> bool {
        self.inner.state.lock().shutdown
    }

    pub(super) fn unfinished(&self) -> usize {
        self.inner.state.lock().unfinished
    }

    /// Removes a wait entry its future gives up; passes a wake-up on if the entry had
    /// been woken and what it was woken for is still there (asyncio's `except:` blocks
    /// of `get` and `put`).
    pub(super) fn abandon(
        &self,
        kind: WaiterKind,
        entry: &mut Option<u64>,
        reg: &mut Registration,
    ) {
        if let Some(id) = entry.take() {
            let mut wake = Wakeups::new();
            let mut st = self.inner.state.lock();
            let removed = st.list(kind).remove(id);
            if let Some((Status::Woken, _)) = &removed {
                let left_for_next = match kind {
                    WaiterKind::Getter => !st.is_empty(),
                    WaiterKind::Putter => !st.full(self.inner.maxsize),
                    // Joiners are woken all at once: there is no wake-up to pass on.
                    WaiterKind::Joiner => false,
                };
                if left_for_next {
                    wake.push(st.list(kind).wake_next());
                }
            }
            drop(st);
            drop(removed);
            wake.wake();
        }
        reg.unregister();
    }

    /// `get()`: an item, once there is one (see [`poll_turn`](Self::poll_turn)).
    pub(super) fn poll_get(
        &self,
        entry: &mut Option<u64>,
        reg: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, GetError>> {
        let turn = self.poll_turn(WaiterKind::Getter, entry, reg, cx, |st, wake| {
            self.get_locked(st, wake)
        });
        turn.map(|r| r.unwrap_or_else(|cancelled| Err(GetError::Cancelled(cancelled))))
    }

    /// `put(item)`: stores `item` once there is a free slot; every error gives it back.
    pub(super) fn poll_put(
        &self,
        item: &mut Option<T>,
        entry: &mut Option<u64>,
        reg: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), PutError<T>>> {
        let take = |item: &mut Option<T>| item.take().expect("Put polled after completion");
        let turn = self.poll_turn(WaiterKind::Putter, entry, reg, cx, |st, wake| {
            self.put_locked(st, take(item), wake)
        });
        turn.map(|r| r.unwrap_or_else(|cancelled| Err(PutError::Cancelled(cancelled, take(item)))))
    }

    /// `join()`: done once no task is unfinished.
    pub(super) fn poll_join(
        &self,
        entry: &mut Option<u64>,
        reg: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), CancelledError>> {
        self.poll_turn(WaiterKind::Joiner, entry, reg, cx, |_, _| ())
    }

    /// One poll of a wait future of `kind` whose entry (while it waits) is `entry`:
    /// 1. a pending cancellation of the task is delivered first, giving the entry up
    ///    ([`abandon`](Self::abandon));
    /// 2. an entry still waiting stays queued; a cancelled one ends the wait with its
    ///    `CancelledError`; a woken one is removed;
    /// 3. a getter or putter (woken or new) then checks again whether it must wait
    ///    (asyncio's `while self.empty()` / `while self.full()` loops: another task may
    ///    have taken the item or the slot first) and if so queues a new entry at the
    ///    back; a new joiner waits if tasks are unfinished, a woken one is done (asyncio's
    ///    `join` awaits its event once);
    /// 4. otherwise `act` runs under the lock, and its result is the future's.
    ///
    /// The lock is released before wakers are woken or dropped and before the task's
    /// registration changes.
    fn poll_turn<R>(
        &self,
        kind: WaiterKind,
        entry: &mut Option<u64>,
        reg: &mut Registration,
        cx: &mut Context<'_>,
        act: impl FnOnce(&mut State<T>, &mut Wakeups) -> R,
    ) -> Poll<Result<R, CancelledError>> {
        if let Some(err) = deliver_pending_cancel() {
            self.abandon(kind, entry, reg);
            return Poll::Ready(Err(err));
        }
        let mut st = self.inner.state.lock();
        let mut woken = false;
        if let Some(id) = *entry {
            let (seen, old) = st.list(kind).observe(id, cx.waker());
            match seen {
                Seen::Waiting => {
                    drop(st);
                    drop(old);
                    reg.register(&self.inner, kind.tag(), id);
                    return Poll::Pending;
                }
                Seen::Woken => {
                    *entry = None;
                    woken = true;
                }
                Seen::Cancelled(msg) => {
                    // Cancelled, not woken: nothing to pass on.
                    *entry = None;
                    drop(st);
                    drop(old);
                    reg.unregister();
                    return Poll::Ready(Err(cancelled_error(msg)));
                }
            }
        }
        let checks_again = !(woken && kind == WaiterKind::Joiner);
        if checks_again && st.must_wait(kind, self.inner.maxsize) {
            let id = st.list(kind).push(cx.waker());
            drop(st);
            *entry = Some(id);
            reg.register(&self.inner, kind.tag(), id);
            return Poll::Pending;
        }
        let mut wake = Wakeups::new();
        let r = act(&mut st, &mut wake);
        drop(st);
        wake.wake();
        reg.unregister();
        Poll::Ready(Ok(r))
    }

    /// asyncio's `repr` of a queue named `name`: `<Queue maxsize=0 qsize=1 _getters[1]>`.
    pub(super) fn fmt(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
