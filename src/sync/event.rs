//! `Event` (asyncio's `asyncio.Event`).
//!
//! `set()` wakes every waiter; a waiter woken by `set()` returns `Ok(())` even if the
//! flag was cleared again before it ran (asyncio: its waiter future already has a
//! result). `wait()` is a runtime-aware await point: a pending cancellation of the task is
//! delivered first, and `cancel()` on a task suspended in `wait()` is forwarded to it.

use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::Mutex;
use crate::sync::waiters::{cancelled_error, CancelEntry, Registration, Seen, WaitList, Wakeups};
use crate::task::cancel::{deliver_pending_cancel, CancelledError};

/// An event flag tasks can wait for (asyncio's `asyncio.Event`).
///
/// Shared between threads: put it in an `Arc` (or borrow it) to use it from several
/// tasks.
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let ev = Arc::new(asyncio::Event::new());
///     let waiter = {
///         let ev = ev.clone();
///         asyncio::create_task(async move {
///             ev.wait().await.unwrap();
///             "woken"
///         })
///     };
///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
///     assert!(!waiter.done());
///     ev.set();
///     assert_eq!(waiter.await.unwrap(), "woken");
///     assert!(ev.is_set());
/// });
/// ```
pub struct Event {
    inner: StdArc<Inner>,
}

struct Inner {
    state: Mutex<State>,
}

struct State {
    value: bool,
    waiters: WaitList,
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl Event {
    /// A cleared event.
    ///
    /// ```
    /// assert!(!asyncio::Event::new().is_set());
    /// ```
    pub fn new() -> Event {
        Event {
            inner: StdArc::new(Inner {
                state: Mutex::new(State {
                    value: false,
                    waiters: WaitList::new(),
                }),
            }),
        }
    }

    /// `true` if the flag is set.
    ///
    /// ```
    /// let ev = asyncio::Event::new();
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.inner.state.lock().value
    }

    /// Sets the flag and wakes every task waiting for it; later `wait()`s return at once.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let ev = asyncio::Event::new();
    ///     ev.set();
    ///     ev.wait().await.unwrap(); // does not block
    /// });
    /// ```
    pub fn set(&self) {
        let mut wake = Wakeups::new();
        let mut st = self.inner.state.lock();
        if !st.value {
            st.value = true;
            st.waiters.wake_all(wake.vec());
        }
        drop(st);
        wake.wake();
    }

    /// Clears the flag: later `wait()`s block until the next `set()`.
    ///
    /// ```
    /// let ev = asyncio::Event::new();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// ```
    pub fn clear(&self) {
        self.inner.state.lock().value = false;
    }

    /// Waits until the flag is set (at once if it is). `Err(CancelledError)` if the
    /// awaiting task is cancelled meanwhile.
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let ev = Arc::new(asyncio::Event::new());
    ///     let t = {
    ///         let ev = ev.clone();
    ///         asyncio::create_task(async move { ev.wait().await })
    ///     };
    ///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
    ///     t.cancel(Some("stop"));
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            entry: None,
            reg: Registration::new(),
        }
    }
}

impl CancelEntry for Inner {
    const KIND: crate::AwaitedKind = crate::AwaitedKind::Event;

    fn cancel_entry(&self, _list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        self.state.lock().waiters.cancel(id, msg)
    }
}

impl fmt::Debug for Event {
    /// asyncio's repr: `<Event [set]>`, `<Event [unset, waiters:2]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.state.lock();
        let state = if st.value { "set" } else { "unset" };
        crate::sync::write_repr(f, "Event", state, st.waiters.len())
    }
}

/// Future returned by [`Event::wait`].
///
/// ```
/// asyncio::run(async {
///     let ev = asyncio::Event::new();
///     ev.set();
///     let wait: asyncio::EventWait<'_> = ev.wait();
///     wait.await.unwrap();
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    entry: Option<u64>,
    reg: Registration,
}

impl EventWait<'_> {
    fn leave(&mut self) {
        if let Some(id) = self.entry.take() {
            let removed = self.event.inner.state.lock().waiters.remove(id);
            drop(removed);
        }
        self.reg.unregister();
    }
}

impl Future for EventWait<'_> {
    type Output = Result<(), CancelledError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(err) = deliver_pending_cancel() {
            this.leave();
            return Poll::Ready(Err(err));
        }
        let mut st = this.event.inner.state.lock();
        let id = match this.entry {
            Some(id) => {
                let (seen, old) = st.waiters.observe(id, cx.waker());
                drop(st);
                drop(old);
                match seen {
                    Seen::Waiting => id,
                    Seen::Woken => {
                        this.entry = None;
                        this.reg.unregister();
                        return Poll::Ready(Ok(()));
                    }
                    Seen::Cancelled(msg) => {
                        this.entry = None;
                        this.reg.unregister();
                        return Poll::Ready(Err(cancelled_error(msg)));
                    }
                }
            }
            None => {
                if st.value {
                    return Poll::Ready(Ok(()));
                }
                let id = st.waiters.push(cx.waker());
                drop(st);
                this.entry = Some(id);
                id
            }
        };
        this.reg.register(&this.event.inner, 0, id);
        Poll::Pending
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        self.leave();
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("waiting", &self.entry.is_some())
            .finish()
    }
}
