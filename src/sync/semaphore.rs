//! `Semaphore` and `BoundedSemaphore` (asyncio's), with RAII permits.
//!
//! ## Protocol (CPython 3.13 `locks.py`, shared between threads)
//! State: the counter `value` and a FIFO [`WaitList`]. `release()` increments `value`
//! and wakes the first waiting entry, taking the permit for it at once
//! (`_wake_up_next` decrements `value`): a permit is *handed* to a woken waiter.
//! `locked()` is `value == 0` **or** some waiter is live (not cancelled), and `acquire()`
//! takes the fast path only when not `locked()`, so nobody barges past waiters (FIFO).
//! A woken waiter that is cancelled or dropped before it observed its permit gives it
//! back (`value += 1`), and every acquisition that leaves the wait list wakes as many
//! waiters as `value` allows (asyncio's `finally:` loop), so no permit is ever lost.
//!
//! ## Permits
//! `acquire()` resolves to a [`SemaphorePermit`] that releases on drop;
//! [`SemaphorePermit::forget`] keeps the permit taken (release it later by hand with
//! [`Semaphore::release`], asyncio style). [`Semaphore::acquire_owned`] on an
//! `Arc<Semaphore>` gives an [`OwnedSemaphorePermit`]. A [`BoundedSemaphore`] refuses a
//! `release()` above its initial value with `ValueError` (an error value; a permit
//! dropped in that situation releases nothing).
//!
//! ## Cancellation
//! As for [`Lock`](crate::Lock): pending cancellation delivered first, `cancel()` of a
//! suspended acquirer forwarded to its entry.

use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::Mutex;
use crate::sync::waiters::{
    cancelled_error, CancelEntry, Registration, Seen, Status, WaitList, Wakeups,
};
use crate::sync::ValueError;
use crate::task::cancel::{deliver_pending_cancel, CancelledError};

struct Inner {
    state: Mutex<State>,
    /// `BoundedSemaphore`'s initial value.
    bound: Option<usize>,
}

struct State {
    value: usize,
    waiters: WaitList,
}

impl State {
    fn locked(&self) -> bool {
        self.value == 0 || self.waiters.live() > 0
    }

    /// asyncio's `finally: while self._value > 0: if not self._wake_up_next(): break`.
    fn wake_while_available(&mut self, wake: &mut Wakeups) {
        while self.value > 0 {
            match self.waiters.wake_next() {
                Some(w) => {
                    self.value -= 1;
                    wake.push(Some(w));
                }
                None => break,
            }
        }
    }
}

impl Inner {
    fn new(value: usize, bound: Option<usize>) -> StdArc<Inner> {
        StdArc::new(Inner {
            state: Mutex::new(State {
                value,
                waiters: WaitList::new(),
            }),
            bound,
        })
    }

    fn release(&self) -> Result<(), ValueError> {
        let mut wake = Wakeups::new();
        let mut st = self.state.lock();
        if let Some(bound) = self.bound {
            if st.value >= bound {
                return Err(ValueError::new("BoundedSemaphore released too many times"));
            }
        }
        st.value += 1;
        if let Some(w) = st.waiters.wake_next() {
            st.value -= 1;
            wake.push(Some(w));
        }
        drop(st);
        wake.wake();
        Ok(())
    }

    fn try_acquire(&self) -> bool {
        let mut st = self.state.lock();
        if st.locked() {
            return false;
        }
        st.value -= 1;
        true
    }

    fn poll_acquire(
        self: &StdArc<Self>,
        a: &mut AcquireState,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), CancelledError>> {
        if let Some(err) = deliver_pending_cancel() {
            self.abandon(a);
            return Poll::Ready(Err(err));
        }
        let mut st = self.state.lock();
        let id = match a.entry {
            Some(id) => {
                let (seen, old) = st.waiters.observe(id, cx.waker());
                let out = match seen {
                    Seen::Waiting => None,
                    Seen::Woken => Some(Ok(())),
                    Seen::Cancelled(msg) => Some(Err(msg)),
                };
                let Some(out) = out else {
                    drop(st);
                    drop(old);
                    a.reg.register(self, 0, id);
                    return Poll::Pending;
                };
                // Left the wait list: wake whoever the counter allows (FIFO rules may
                // have queued waiters while permits were free).
                a.entry = None;
                let mut wake = Wakeups::new();
                st.wake_while_available(&mut wake);
                drop(st);
                drop(old);
                wake.wake();
                a.reg.unregister();
                return Poll::Ready(out.map_err(cancelled_error));
            }
            None => {
                if !st.locked() {
                    st.value -= 1;
                    return Poll::Ready(Ok(()));
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

    /// The acquisition gives up: a permit handed to it goes back, and waiters are woken
    /// while permits are available.
    fn abandon(&self, a: &mut AcquireState) {
        if let Some(id) = a.entry.take() {
            let mut wake = Wakeups::new();
            let mut st = self.state.lock();
            let removed = st.waiters.remove(id);
            if let Some((Status::Woken, _)) = &removed {
                st.value += 1;
            }
            st.wake_while_available(&mut wake);
            drop(st);
            drop(removed);
            wake.wake();
        }
        a.reg.unregister();
    }

    fn fmt(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        let state = if st.locked() {
            "locked".to_owned()
        } else {
            format!("unlocked, value:{}", st.value)
        };
        crate::sync::write_repr(f, name, &state, st.waiters.len())
    }
}

impl CancelEntry for Inner {
    const KIND: crate::AwaitedKind = crate::AwaitedKind::Semaphore;

    fn cancel_entry(&self, _list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        self.state.lock().waiters.cancel(id, msg)
    }
}

struct AcquireState {
    entry: Option<u64>,
    reg: Registration,
}

impl AcquireState {
    fn new() -> AcquireState {
        AcquireState {
            entry: None,
            reg: Registration::new(),
        }
    }
}

/// A counting semaphore for tasks (asyncio's `asyncio.Semaphore`): FIFO, shared between
/// threads.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// asyncio::run(async {
///     let sem = Arc::new(asyncio::Semaphore::new(2));
///     let inside = Arc::new(AtomicUsize::new(0));
///     let tasks: Vec<_> = (0..6)
///         .map(|_| {
///             let (sem, inside) = (sem.clone(), inside.clone());
///             asyncio::create_task(async move {
///                 let _permit = sem.acquire().await?;
///                 assert!(inside.fetch_add(1, Ordering::SeqCst) < 2);
///                 asyncio::sleep(std::time::Duration::from_millis(1)).await?;
///                 inside.fetch_sub(1, Ordering::SeqCst);
///                 Ok::<_, asyncio::CancelledError>(())
///             })
///         })
///         .collect();
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(sem.value(), 2);
/// });
/// ```
pub struct Semaphore {
    inner: StdArc<Inner>,
}

impl Default for Semaphore {
    /// `Semaphore::new(1)` (asyncio's default value).
    fn default() -> Self {
        Semaphore::new(1)
    }
}

impl Semaphore {
    /// A semaphore with `value` permits.
    ///
    /// ```
    /// let sem = asyncio::Semaphore::new(0);
    /// assert!(sem.locked());
    /// ```
    pub fn new(value: usize) -> Semaphore {
        Semaphore {
            inner: Inner::new(value, None),
        }
    }

    /// `true` if `acquire()` would wait: no permit left, or tasks already waiting (they go
    /// first).
    ///
    /// ```
    /// let sem = asyncio::Semaphore::new(1);
    /// assert!(!sem.locked());
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.locked());
    /// drop(p);
    /// ```
    pub fn locked(&self) -> bool {
        self.inner.state.lock().locked()
    }

    /// The counter (asyncio's `_value`): permits free and not promised to a woken waiter.
    ///
    /// ```
    /// assert_eq!(asyncio::Semaphore::new(3).value(), 3);
    /// ```
    pub fn value(&self) -> usize {
        self.inner.state.lock().value
    }

    /// Waits for a permit; resolves to a permit that is released when dropped, or to
    /// `Err(CancelledError)` if the awaiting task is cancelled (no permit is lost).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let sem = asyncio::Semaphore::new(1);
    ///     let p = sem.acquire().await.unwrap();
    ///     assert_eq!(sem.value(), 0);
    ///     drop(p);
    ///     assert_eq!(sem.value(), 1);
    /// });
    /// ```
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            inner: &self.inner,
            state: AcquireState::new(),
        }
    }

    /// [`acquire`](Self::acquire) for an `Arc<Semaphore>`: the permit owns a reference
    /// (`'static`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let sem = Arc::new(asyncio::Semaphore::new(1));
    ///     let permit = sem.clone().acquire_owned().await.unwrap();
    ///     asyncio::create_task(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(sem.value(), 1);
    /// });
    /// ```
    pub fn acquire_owned(self: StdArc<Self>) -> SemaphoreAcquireOwned {
        self.acquire_owned_ref()
    }

    /// The future of `acquire_owned`, holding a reference to the shared counter (so a
    /// `BoundedSemaphore` behind an `Arc` can use it too).
    fn acquire_owned_ref(&self) -> SemaphoreAcquireOwned {
        SemaphoreAcquireOwned {
            inner: self.inner.clone(),
            state: AcquireState::new(),
        }
    }

    /// Takes a permit if that is possible without waiting. Not in asyncio; the fast path
    /// of `acquire()`.
    ///
    /// ```
    /// let sem = asyncio::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_none());
    /// drop(p);
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.inner.try_acquire().then_some(SemaphorePermit {
            inner: Some(&self.inner),
        })
    }

    /// Adds a permit by hand (asyncio's `release()`), waking the first waiter. Pairs with
    /// [`SemaphorePermit::forget`], or raises the number of permits.
    ///
    /// ```
    /// let sem = asyncio::Semaphore::new(0);
    /// sem.release();
    /// assert_eq!(sem.value(), 1);
    /// ```
    pub fn release(&self) {
        let _ = self.inner.release();
    }
}

impl fmt::Debug for Semaphore {
    /// asyncio's repr: `<Semaphore [unlocked, value:1]>`, `<Semaphore [locked, waiters:2]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt("Semaphore", f)
    }
}

/// A semaphore that refuses to be released above its initial value (asyncio's
/// `asyncio.BoundedSemaphore`).
///
/// ```
/// asyncio::run(async {
///     let sem = asyncio::BoundedSemaphore::new(1);
///     assert!(sem.release().is_err()); // ValueError: released too many times
///     let permit = sem.acquire().await.unwrap();
///     drop(permit);
///     assert_eq!(sem.value(), 1);
/// });
/// ```
pub struct BoundedSemaphore {
    /// A semaphore whose counter has the bound set; every method but `release` is its.
    sem: Semaphore,
}

impl Default for BoundedSemaphore {
    /// `BoundedSemaphore::new(1)`.
    fn default() -> Self {
        BoundedSemaphore::new(1)
    }
}

impl BoundedSemaphore {
    /// A bounded semaphore with `value` permits, never more.
    ///
    /// ```
    /// assert_eq!(asyncio::BoundedSemaphore::new(2).value(), 2);
    /// ```
    pub fn new(value: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            sem: Semaphore {
                inner: Inner::new(value, Some(value)),
            },
        }
    }

    /// See [`Semaphore::locked`].
    ///
    /// ```
    /// assert!(asyncio::BoundedSemaphore::new(0).locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.sem.locked()
    }

    /// See [`Semaphore::value`].
    ///
    /// ```
    /// assert_eq!(asyncio::BoundedSemaphore::new(1).value(), 1);
    /// ```
    pub fn value(&self) -> usize {
        self.sem.value()
    }

    /// See [`Semaphore::acquire`].
    ///
    /// ```
    /// asyncio::run(async {
    ///     let sem = asyncio::BoundedSemaphore::new(1);
    ///     let _p = sem.acquire().await.unwrap();
    ///     assert!(sem.locked());
    /// });
    /// ```
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        self.sem.acquire()
    }

    /// See [`Semaphore::acquire_owned`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let sem = Arc::new(asyncio::BoundedSemaphore::new(1));
    ///     let p = sem.clone().acquire_owned().await.unwrap();
    ///     drop(p);
    ///     assert_eq!(sem.value(), 1);
    /// });
    /// ```
    pub fn acquire_owned(self: StdArc<Self>) -> SemaphoreAcquireOwned {
        self.sem.acquire_owned_ref()
    }

    /// See [`Semaphore::try_acquire`].
    ///
    /// ```
    /// let sem = asyncio::BoundedSemaphore::new(1);
    /// assert!(sem.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.sem.try_acquire()
    }

    /// Adds a permit by hand; `ValueError("BoundedSemaphore released too many times")` if
    /// the counter is already at the initial value.
    ///
    /// ```
    /// let sem = asyncio::BoundedSemaphore::new(1);
    /// sem.try_acquire().unwrap().forget();
    /// assert!(sem.release().is_ok());
    /// assert!(sem.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), ValueError> {
        self.sem.inner.release()
    }
}

impl fmt::Debug for BoundedSemaphore {
    /// asyncio's repr: `<BoundedSemaphore [unlocked, value:1]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.sem.inner.fmt("BoundedSemaphore", f)
    }
}

/// Future returned by [`Semaphore::acquire`] and [`BoundedSemaphore::acquire`].
///
/// ```
/// asyncio::run(async {
///     let sem = asyncio::Semaphore::new(1);
///     let acquire: asyncio::SemaphoreAcquire<'_> = sem.acquire();
///     let _permit: asyncio::SemaphorePermit<'_> = acquire.await.unwrap();
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SemaphoreAcquire<'a> {
    inner: &'a StdArc<Inner>,
    state: AcquireState,
}

impl<'a> Future for SemaphoreAcquire<'a> {
    type Output = Result<SemaphorePermit<'a>, CancelledError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let inner = this.inner;
        inner
            .poll_acquire(&mut this.state, cx)
            .map_ok(|()| SemaphorePermit { inner: Some(inner) })
    }
}

impl Drop for SemaphoreAcquire<'_> {
    fn drop(&mut self) {
        self.inner.abandon(&mut self.state);
    }
}

impl fmt::Debug for SemaphoreAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreAcquire")
            .field("waiting", &self.state.entry.is_some())
            .finish()
    }
}

/// Future returned by [`Semaphore::acquire_owned`] and
/// [`BoundedSemaphore::acquire_owned`].
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let sem = Arc::new(asyncio::Semaphore::new(1));
///     let acquire: asyncio::SemaphoreAcquireOwned = sem.clone().acquire_owned();
///     let _permit = acquire.await.unwrap();
///     assert_eq!(sem.value(), 0);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SemaphoreAcquireOwned {
    inner: StdArc<Inner>,
    state: AcquireState,
}

impl Future for SemaphoreAcquireOwned {
    type Output = Result<OwnedSemaphorePermit, CancelledError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.inner
            .poll_acquire(&mut this.state, cx)
            .map_ok(|()| OwnedSemaphorePermit {
                inner: Some(this.inner.clone()),
            })
    }
}

impl Drop for SemaphoreAcquireOwned {
    fn drop(&mut self) {
        self.inner.abandon(&mut self.state);
    }
}

impl fmt::Debug for SemaphoreAcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreAcquireOwned")
            .field("waiting", &self.state.entry.is_some())
            .finish()
    }
}

/// A permit of a [`Semaphore`] or [`BoundedSemaphore`]; released when dropped.
///
/// ```
/// asyncio::run(async {
///     let sem = asyncio::Semaphore::new(1);
///     let permit = sem.acquire().await.unwrap();
///     permit.release(); // same as drop(permit)
///     assert_eq!(sem.value(), 1);
/// });
/// ```
#[must_use = "the permit is released when dropped"]
pub struct SemaphorePermit<'a> {
    inner: Option<&'a StdArc<Inner>>,
}

impl SemaphorePermit<'_> {
    /// Releases the permit now (same as dropping it).
    ///
    /// ```
    /// let sem = asyncio::Semaphore::new(1);
    /// sem.try_acquire().unwrap().release();
    /// assert_eq!(sem.value(), 1);
    /// ```
    pub fn release(self) {
        drop(self)
    }

    /// Keeps the permit taken without a guard (give it back later with `release()` on the
    /// semaphore, asyncio style).
    ///
    /// ```
    /// let sem = asyncio::Semaphore::new(1);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.value(), 0);
    /// sem.release();
    /// assert_eq!(sem.value(), 1);
    /// ```
    pub fn forget(mut self) {
        self.inner = None;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _ = inner.release();
        }
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

/// A permit owning a reference to its semaphore; released when dropped. See
/// [`Semaphore::acquire_owned`].
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let sem = Arc::new(asyncio::Semaphore::new(1));
///     let permit: asyncio::OwnedSemaphorePermit = sem.clone().acquire_owned().await.unwrap();
///     permit.forget();
///     assert_eq!(sem.value(), 0);
/// });
/// ```
#[must_use = "the permit is released when dropped"]
pub struct OwnedSemaphorePermit {
    inner: Option<StdArc<Inner>>,
}

impl OwnedSemaphorePermit {
    /// Releases the permit now (same as dropping it).
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let sem = Arc::new(asyncio::Semaphore::new(1));
    ///     sem.clone().acquire_owned().await.unwrap().release();
    ///     assert_eq!(sem.value(), 1);
    /// });
    /// ```
    pub fn release(self) {
        drop(self)
    }

    /// Keeps the permit taken (see [`SemaphorePermit::forget`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let sem = Arc::new(asyncio::Semaphore::new(1));
    ///     sem.clone().acquire_owned().await.unwrap().forget();
    ///     assert_eq!(sem.value(), 0);
    /// });
    /// ```
    pub fn forget(mut self) {
        self.inner = None;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _ = inner.release();
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .finish_non_exhaustive()
    }
}
