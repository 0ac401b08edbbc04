//! `Lock` (asyncio's `asyncio.Lock`) and its RAII guards.
//!
//! ## Protocol (CPython 3.13 `locks.py`, shared between threads)
//! State: `locked` plus a FIFO [`WaitList`]. `release()` clears `locked` and wakes the
//! first live waiter (`_wake_up_first`): the lock is **not** handed over, so `locked()`
//! reads `false` until the woken task runs and takes it, exactly as in asyncio. Fairness:
//! `acquire()` takes the fast path only when the lock is free **and** no live waiter
//! exists (a woken waiter counts), so nobody barges past a woken waiter. A woken waiter
//! that is cancelled (or whose future is dropped) before it ran removes its entry and,
//! the lock being free, wakes the next one: the grant is never lost.
//!
//! ## Guards and "owners"
//! asyncio locks have no owner: any task may `release()`. Here `acquire()` resolves to a
//! [`LockGuard`] that releases on drop, and [`Lock::release`] is the asyncio-style
//! manual release (an error value, `RuntimeError("Lock is not acquired.")`, on an
//! unlocked lock — never a panic). Each acquisition gets a sequence number; a guard
//! releases only if the lock is still held by *its* acquisition, so a guard whose lock was
//! released by hand (or given up by a dropped `Condition::wait`) does nothing on drop.
//! [`LockGuard::forget`] keeps the lock locked for a later manual `release()`.
//! Owned variants: [`Lock::acquire_owned`] on an `Arc<Lock>` resolves to an
//! [`OwnedLockGuard`] (`'static`, `Send`), for guards that move into other tasks.
//!
//! ## Cancellation
//! `acquire()` is a runtime-aware await point: a pending cancellation of the awaiting task
//! is delivered first, even when the lock is free (asyncio delivers it only at a real
//! suspension; this runtime delivers at every await point, docs/design.md §4.2). `cancel()` on a
//! task suspended in `acquire()` is forwarded to its wait entry (asyncio cancels the
//! waiter future); a task cancelled after it was woken gets `CancelledError` and passes
//! the wake-up on.

use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::Mutex;
use crate::sync::waiters::{cancelled_error, CancelEntry, Registration, Seen, WaitList, Wakeups};
use crate::task::cancel::{deliver_pending_cancel, CancelledError};
use crate::task::error::RuntimeError;

/// A mutual-exclusion lock for tasks (asyncio's `asyncio.Lock`): FIFO, fair, shared
/// between threads.
///
/// `acquire()` resolves to a guard that releases the lock when dropped (asyncio's
/// `async with lock:`).
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let lock = Arc::new(asyncio::Lock::new());
///     let guard = lock.acquire().await.unwrap();
///     assert!(lock.locked());
///     let other = {
///         let lock = lock.clone();
///         asyncio::create_task(async move {
///             let _g = lock.acquire().await?;
///             Ok::<_, asyncio::CancelledError>("got it")
///         })
///     };
///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
///     assert!(!other.done()); // waits for the guard
///     drop(guard);
///     assert_eq!(other.await.unwrap(), "got it");
///     assert!(!lock.locked());
/// });
/// ```
pub struct Lock {
    pub(crate) inner: StdArc<Inner>,
}

pub(crate) struct Inner {
    state: Mutex<State>,
}

struct State {
    locked: bool,
    /// Sequence number of the current acquisition (meaningful while `locked`; numbers
    /// start at 1, a guard with number 0 is disarmed).
    holder: u64,
    next_holder: u64,
    waiters: WaitList,
}

impl State {
    fn take(&mut self, holder: Option<u64>) -> u64 {
        debug_assert!(!self.locked);
        self.locked = true;
        self.holder = match holder {
            Some(h) => h,
            None => {
                self.next_holder += 1;
                self.next_holder
            }
        };
        self.holder
    }

    /// `release()` on a locked lock: unlock, wake the first waiter.
    fn unlock(&mut self, wake: &mut Wakeups) {
        self.locked = false;
        wake.push(self.waiters.wake_first());
    }
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

impl Lock {
    /// An unlocked lock.
    ///
    /// ```
    /// assert!(!asyncio::Lock::new().locked());
    /// ```
    pub fn new() -> Lock {
        Lock {
            inner: StdArc::new(Inner {
                state: Mutex::new(State {
                    locked: false,
                    holder: 0,
                    next_holder: 0,
                    waiters: WaitList::new(),
                }),
            }),
        }
    }

    /// `true` if the lock is held.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let lock = asyncio::Lock::new();
    ///     let g = lock.acquire().await.unwrap();
    ///     assert!(lock.locked());
    ///     drop(g);
    ///     assert!(!lock.locked());
    /// });
    /// ```
    pub fn locked(&self) -> bool {
        self.inner.state.lock().locked
    }

    /// Waits for the lock and takes it; resolves to a guard that releases it on drop, or
    /// to `Err(CancelledError)` if the awaiting task is cancelled (it then holds nothing
    /// and loses its place).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let lock = asyncio::Lock::new();
    ///     {
    ///         let _guard = lock.acquire().await.unwrap();
    ///         // critical section
    ///     }
    ///     assert!(!lock.locked());
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            lock: self,
            state: AcquireState::new(None),
        }
    }

    /// [`acquire`](Self::acquire) for an `Arc<Lock>`: the guard owns a reference to the
    /// lock (`'static`), so it can move into another task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let lock = Arc::new(asyncio::Lock::new());
    ///     let guard = lock.clone().acquire_owned().await.unwrap();
    ///     let t = asyncio::create_task(async move {
    ///         drop(guard); // released by another task
    ///     });
    ///     t.await.unwrap();
    ///     assert!(!lock.locked());
    /// });
    /// ```
    pub fn acquire_owned(self: StdArc<Self>) -> AcquireOwned {
        AcquireOwned {
            lock: self,
            state: AcquireState::new(None),
        }
    }

    /// Takes the lock if that is possible without waiting (free, and no task waiting for
    /// it). Not in asyncio; the fast path of `acquire()`.
    ///
    /// ```
    /// let lock = asyncio::Lock::new();
    /// let g = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_none());
    /// drop(g);
    /// assert!(lock.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        let mut st = self.inner.state.lock();
        if st.locked || st.waiters.live() > 0 {
            return None;
        }
        let holder = st.take(None);
        Some(LockGuard { lock: self, holder })
    }

    /// Releases the lock by hand, whoever acquired it (asyncio's `release()`); the first
    /// waiting task is woken. `RuntimeError("Lock is not acquired.")` if it is not locked.
    /// A guard of the released acquisition then does nothing when dropped.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let lock = asyncio::Lock::new();
    ///     assert!(lock.release().is_err());
    ///     lock.acquire().await.unwrap().forget(); // asyncio-style: acquire() ...
    ///     assert!(lock.locked());
    ///     lock.release().unwrap(); // ... release()
    ///     assert!(!lock.locked());
    /// });
    /// ```
    pub fn release(&self) -> Result<(), RuntimeError> {
        self.inner.release(None)
    }
}

impl Inner {
    /// Releases the lock if it is held (by acquisition `holder`, when given).
    pub(crate) fn release(&self, holder: Option<u64>) -> Result<(), RuntimeError> {
        let mut wake = Wakeups::new();
        let mut st = self.state.lock();
        if !st.locked || holder.is_some_and(|h| h != st.holder) {
            return Err(RuntimeError::new("Lock is not acquired."));
        }
        st.unlock(&mut wake);
        drop(st);
        wake.wake();
        Ok(())
    }

    /// The current acquisition's number, if locked (for `Condition::wait`).
    pub(crate) fn holder(&self) -> Option<u64> {
        let st = self.state.lock();
        st.locked.then_some(st.holder)
    }

    pub(crate) fn is_locked(&self) -> bool {
        self.state.lock().locked
    }

    /// One poll of an acquisition (shared by every acquire future and `Condition::wait`).
    pub(crate) fn poll_acquire(
        self: &StdArc<Self>,
        a: &mut AcquireState,
        cx: &mut Context<'_>,
    ) -> Poll<Result<u64, CancelledError>> {
        if let Some(err) = deliver_pending_cancel() {
            self.abandon(a);
            return Poll::Ready(Err(err));
        }
        let mut st = self.state.lock();
        let id = match a.entry {
            Some(id) => {
                let (seen, old) = st.waiters.observe(id, cx.waker());
                match seen {
                    Seen::Waiting => {
                        drop(st);
                        drop(old);
                        id
                    }
                    Seen::Woken => {
                        // Nobody can take the lock past a woken waiter (see module docs).
                        a.entry = None;
                        let holder = st.take(a.holder);
                        drop(st);
                        drop(old);
                        a.reg.unregister();
                        return Poll::Ready(Ok(holder));
                    }
                    Seen::Cancelled(msg) => {
                        a.entry = None;
                        let mut wake = Wakeups::new();
                        if !st.locked {
                            wake.push(st.waiters.wake_first());
                        }
                        drop(st);
                        drop(old);
                        wake.wake();
                        a.reg.unregister();
                        return Poll::Ready(Err(cancelled_error(msg)));
                    }
                }
            }
            None => {
                if !st.locked && st.waiters.live() == 0 {
                    return Poll::Ready(Ok(st.take(a.holder)));
                }
                let id = st.waiters.push(cx.waker());
                drop(st);
                a.entry = Some(id);
                id
            }
        };
        a.reg.register(self, 0, id);
        Poll::Pending
    }

    /// The acquisition gives up (cancelled, or its future dropped): remove the entry and,
    /// the lock being free, make sure the first waiter will run (asyncio's
    /// `except CancelledError: if not self._locked: self._wake_up_first()`).
    pub(crate) fn abandon(&self, a: &mut AcquireState) {
        if let Some(id) = a.entry.take() {
            let mut wake = Wakeups::new();
            let mut st = self.state.lock();
            let removed = st.waiters.remove(id);
            if !st.locked {
                wake.push(st.waiters.wake_first());
            }
            drop(st);
            drop(removed);
            wake.wake();
        }
        a.reg.unregister();
    }
}

impl CancelEntry for Inner {
    const KIND: crate::AwaitedKind = crate::AwaitedKind::Lock;

    fn cancel_entry(&self, _list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        self.state.lock().waiters.cancel(id, msg)
    }
}

/// The progress of one acquisition.
pub(crate) struct AcquireState {
    entry: Option<u64>,
    /// The acquisition number to take the lock as (`Condition::wait` re-acquiring for
    /// the caller's guard); `None` for a fresh one.
    holder: Option<u64>,
    reg: Registration,
}

impl AcquireState {
    pub(crate) fn new(holder: Option<u64>) -> AcquireState {
        AcquireState {
            entry: None,
            holder,
            reg: Registration::new(),
        }
    }
}

impl fmt::Debug for Lock {
    /// asyncio's repr: `<Lock [locked, waiters:1]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.state.lock();
        let state = if st.locked { "locked" } else { "unlocked" };
        crate::sync::write_repr(f, "Lock", state, st.waiters.len())
    }
}

/// Future returned by [`Lock::acquire`].
///
/// ```
/// asyncio::run(async {
///     let lock = asyncio::Lock::new();
///     let acquire: asyncio::Acquire<'_> = lock.acquire();
///     let _guard: asyncio::LockGuard<'_> = acquire.await.unwrap();
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    lock: &'a Lock,
    state: AcquireState,
}

impl<'a> Acquire<'a> {
    pub(crate) fn with_state(lock: &'a Lock, state: AcquireState) -> Acquire<'a> {
        Acquire { lock, state }
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<LockGuard<'a>, CancelledError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.lock
            .inner
            .poll_acquire(&mut this.state, cx)
            .map_ok(|holder| LockGuard {
                lock: this.lock,
                holder,
            })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.lock.inner.abandon(&mut self.state);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("waiting", &self.state.entry.is_some())
            .finish()
    }
}

/// Future returned by [`Lock::acquire_owned`].
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let lock = Arc::new(asyncio::Lock::new());
///     let acquire: asyncio::AcquireOwned = lock.clone().acquire_owned();
///     let guard = acquire.await.unwrap();
///     assert!(guard.is_held());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct AcquireOwned {
    lock: StdArc<Lock>,
    state: AcquireState,
}

impl Future for AcquireOwned {
    type Output = Result<OwnedLockGuard, CancelledError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.lock
            .inner
            .poll_acquire(&mut this.state, cx)
            .map_ok(|holder| OwnedLockGuard {
                lock: this.lock.clone(),
                holder,
            })
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        self.lock.inner.abandon(&mut self.state);
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireOwned")
            .field("waiting", &self.state.entry.is_some())
            .finish()
    }
}

/// Holds a [`Lock`]; releases it when dropped (if this acquisition still holds it).
///
/// ```
/// asyncio::run(async {
///     let lock = asyncio::Lock::new();
///     let guard = lock.acquire().await.unwrap();
///     guard.release(); // same as drop(guard)
///     assert!(!lock.locked());
/// });
/// ```
#[must_use = "the lock is released when the guard is dropped"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
    holder: u64,
}

impl LockGuard<'_> {
    /// Releases the lock now (same as dropping the guard).
    ///
    /// ```
    /// let lock = asyncio::Lock::new();
    /// lock.try_acquire().unwrap().release();
    /// assert!(!lock.locked());
    /// ```
    pub fn release(self) {
        drop(self)
    }

    /// Leaves the lock locked without a guard; release it later with [`Lock::release`]
    /// (asyncio-style `acquire()` / `release()` pairs).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let lock = asyncio::Lock::new();
    ///     lock.acquire().await.unwrap().forget();
    ///     assert!(lock.locked());
    ///     lock.release().unwrap();
    /// });
    /// ```
    pub fn forget(mut self) {
        self.holder = 0;
    }

    /// `true` while the lock is still held by this guard's acquisition.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let lock = asyncio::Lock::new();
    ///     let g = lock.acquire().await.unwrap();
    ///     assert!(g.is_held());
    ///     lock.release().unwrap(); // by hand
    ///     assert!(!g.is_held());
    /// });
    /// ```
    pub fn is_held(&self) -> bool {
        self.holder != 0 && self.lock.inner.holder() == Some(self.holder)
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if self.holder != 0 {
            let _ = self.lock.inner.release(Some(self.holder));
        }
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("acquisition", &self.holder)
            .finish()
    }
}

/// Holds an `Arc<Lock>`; releases it when dropped. See [`Lock::acquire_owned`].
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let lock = Arc::new(asyncio::Lock::new());
///     let guard: asyncio::OwnedLockGuard = lock.clone().acquire_owned().await.unwrap();
///     assert!(Arc::ptr_eq(guard.lock(), &lock));
/// });
/// ```
#[must_use = "the lock is released when the guard is dropped"]
pub struct OwnedLockGuard {
    lock: StdArc<Lock>,
    holder: u64,
}

impl OwnedLockGuard {
    /// The lock this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let lock = Arc::new(asyncio::Lock::new());
    ///     let guard = lock.clone().acquire_owned().await.unwrap();
    ///     assert!(guard.lock().locked());
    /// });
    /// ```
    pub fn lock(&self) -> &StdArc<Lock> {
        &self.lock
    }

    /// Releases the lock now (same as dropping the guard).
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let lock = Arc::new(asyncio::Lock::new());
    ///     lock.clone().acquire_owned().await.unwrap().release();
    ///     assert!(!lock.locked());
    /// });
    /// ```
    pub fn release(self) {
        drop(self)
    }

    /// Leaves the lock locked without a guard (see [`LockGuard::forget`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let lock = Arc::new(asyncio::Lock::new());
    ///     lock.clone().acquire_owned().await.unwrap().forget();
    ///     assert!(lock.locked());
    ///     lock.release().unwrap();
    /// });
    /// ```
    pub fn forget(mut self) {
        self.holder = 0;
    }

    /// `true` while the lock is still held by this guard's acquisition.
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let lock = Arc::new(asyncio::Lock::new());
    ///     let guard = lock.clone().acquire_owned().await.unwrap();
    ///     assert!(guard.is_held());
    ///     lock.release().unwrap();
    ///     assert!(!guard.is_held());
    /// });
    /// ```
    pub fn is_held(&self) -> bool {
        self.holder != 0 && self.lock.inner.holder() == Some(self.holder)
    }
}

impl Drop for OwnedLockGuard {
    fn drop(&mut self) {
        if self.holder != 0 {
            let _ = self.lock.inner.release(Some(self.holder));
        }
    }
}

impl fmt::Debug for OwnedLockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedLockGuard")
            .field("acquisition", &self.holder)
            .finish()
    }
}
