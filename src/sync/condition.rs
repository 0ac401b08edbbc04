//! `Condition` (asyncio's `asyncio.Condition`).
//!
//! A condition variable bound to a [`Lock`] (its own, or one shared with
//! [`Condition::with_lock`]). As in asyncio the lock has no owner: `wait()` and
//! `notify()` require the lock to be **locked** (by anyone), else they return
//! `RuntimeError` as a value.
//!
//! `wait()` releases the lock, waits for a notification, then re-acquires the lock
//! **before returning, also when cancelled** (asyncio's `finally:` loop, which retries
//! the re-acquisition through further cancellations and reports the last one). The
//! caller's [`LockGuard`](crate::LockGuard) stays valid across the wait: the re-acquisition is made as the
//! same acquisition. If the wait ends in an error after this task may have been
//! notified, one other waiter is notified instead (asyncio's `self._notify(1)`), so a
//! notification is never lost to a cancelled waiter — at worst a wake-up is spurious,
//! which condition-variable users must tolerate anyway.
//!
//! A `wait()` future **dropped** before it finished cannot re-acquire the lock (there is
//! no await in a destructor): the caller's guard then no longer holds it
//! ([`LockGuard::is_held`](crate::LockGuard::is_held) is `false`, and dropping it does nothing). Cancellation through
//! `cancel()` does not drop the future, so this only concerns futures abandoned by hand
//! (`select!`-style code).

use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::Mutex;
use crate::sync::lock::{Acquire, AcquireState, Lock};
use crate::sync::waiters::{
    cancelled_error, CancelEntry, Registration, Seen, Status, WaitList, Wakeups,
};
use crate::task::cancel::{deliver_pending_cancel, CancelledError};
use crate::task::error::RuntimeError;

/// Why [`Condition::wait`] / [`Condition::wait_for`] failed.
///
/// ```
/// asyncio::run(async {
///     let cond = asyncio::Condition::new();
///     let err = cond.wait().await.unwrap_err(); // the lock is not held
///     assert!(matches!(err, asyncio::ConditionError::NotAcquired(_)));
///     assert!(err.as_cancelled().is_none());
/// });
/// ```
#[derive(Debug, Clone)]
pub enum ConditionError {
    /// The lock was not locked (asyncio's `RuntimeError: cannot wait on un-acquired
    /// lock`).
    NotAcquired(RuntimeError),
    /// The awaiting task was cancelled (the lock was re-acquired first).
    Cancelled(CancelledError),
}

impl ConditionError {
    /// The cancellation, if this is one.
    ///
    /// ```
    /// let e = asyncio::ConditionError::from(asyncio::CancelledError::new(Some("stop")));
    /// assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
    /// ```
    pub fn as_cancelled(&self) -> Option<&CancelledError> {
        match self {
            ConditionError::Cancelled(c) => Some(c),
            ConditionError::NotAcquired(_) => None,
        }
    }
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConditionError::NotAcquired(e) => fmt::Display::fmt(e, f),
            ConditionError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl std::error::Error for ConditionError {}

impl From<CancelledError> for ConditionError {
    fn from(c: CancelledError) -> Self {
        ConditionError::Cancelled(c)
    }
}

/// A condition variable for tasks (asyncio's `asyncio.Condition`).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// asyncio::run(async {
///     let cond = Arc::new(asyncio::Condition::new());
///     let ready = Arc::new(AtomicBool::new(false));
///     let waiter = {
///         let (cond, ready) = (cond.clone(), ready.clone());
///         asyncio::create_task(async move {
///             let _guard = cond.acquire().await?;
///             cond.wait_for(|| ready.load(Ordering::SeqCst)).await?;
///             Ok::<_, asyncio::ConditionError>("ready")
///         })
///     };
///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
///     {
///         let _guard = cond.acquire().await.unwrap();
///         ready.store(true, Ordering::SeqCst);
///         cond.notify_all().unwrap();
///     }
///     assert_eq!(waiter.await.unwrap(), "ready");
/// });
/// ```
pub struct Condition {
    lock: StdArc<Lock>,
    inner: StdArc<Inner>,
}

struct Inner {
    waiters: Mutex<WaitList>,
}

impl Inner {
    /// asyncio's `_notify(n)` (no lock check).
    fn notify(&self, n: usize) {
        let mut wake = Wakeups::new();
        self.waiters.lock().wake_n(n, wake.vec());
        wake.wake();
    }
}

impl CancelEntry for Inner {
    const KIND: crate::AwaitedKind = crate::AwaitedKind::Condition;

    fn cancel_entry(&self, _list: u8, id: u64, msg: Option<StdArc<str>>) -> Option<Waker> {
        self.waiters.lock().cancel(id, msg)
    }
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl Condition {
    /// A condition with a lock of its own.
    ///
    /// ```
    /// assert!(!asyncio::Condition::new().locked());
    /// ```
    pub fn new() -> Condition {
        Condition::with_lock(StdArc::new(Lock::new()))
    }

    /// A condition bound to `lock` (asyncio's `Condition(lock)`): acquiring either is
    /// acquiring both.
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let lock = Arc::new(asyncio::Lock::new());
    ///     let cond = asyncio::Condition::with_lock(lock.clone());
    ///     let _g = lock.acquire().await.unwrap();
    ///     assert!(cond.locked());
    /// });
    /// ```
    pub fn with_lock(lock: StdArc<Lock>) -> Condition {
        Condition {
            lock,
            inner: StdArc::new(Inner {
                waiters: Mutex::new(WaitList::new()),
            }),
        }
    }

    /// The underlying lock.
    ///
    /// ```
    /// let cond = asyncio::Condition::new();
    /// assert!(!cond.lock().locked());
    /// ```
    pub fn lock(&self) -> &StdArc<Lock> {
        &self.lock
    }

    /// `true` if the underlying lock is held.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let cond = asyncio::Condition::new();
    ///     let _g = cond.acquire().await.unwrap();
    ///     assert!(cond.locked());
    /// });
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Acquires the underlying lock (see [`Lock::acquire`]).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let cond = asyncio::Condition::new();
    ///     let g = cond.acquire().await.unwrap();
    ///     drop(g);
    ///     assert!(!cond.locked());
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.lock.acquire()
    }

    /// Releases the underlying lock by hand (see [`Lock::release`]).
    ///
    /// ```
    /// let cond = asyncio::Condition::new();
    /// assert!(cond.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), RuntimeError> {
        self.lock.release()
    }

    /// Releases the lock, waits until notified, re-acquires the lock. Requires the lock
    /// to be locked (`ConditionError::NotAcquired` otherwise). Cancellation: the lock is
    /// re-acquired, then `ConditionError::Cancelled` is returned. May wake spuriously:
    /// re-check the state in a loop, or use [`wait_for`](Self::wait_for).
    ///
    /// ```
    /// use std::sync::Arc;
    /// asyncio::run(async {
    ///     let cond = Arc::new(asyncio::Condition::new());
    ///     let t = {
    ///         let cond = cond.clone();
    ///         asyncio::create_task(async move {
    ///             let guard = cond.acquire().await?;
    ///             cond.wait().await?;
    ///             assert!(guard.is_held()); // re-acquired for this guard
    ///             Ok::<_, asyncio::ConditionError>(())
    ///         })
    ///     };
    ///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
    ///     let g = cond.acquire().await.unwrap();
    ///     cond.notify(1).unwrap();
    ///     drop(g);
    ///     t.await.unwrap();
    ///     assert!(cond.wait().await.is_err()); // not acquired
    /// });
    /// ```
    pub fn wait(&self) -> ConditionWait<'_> {
        ConditionWait {
            cond: self,
            phase: Phase::Start,
            reg: Registration::new(),
        }
    }

    /// Waits until `predicate()` is true (checked first, then after every wake-up),
    /// asyncio's `wait_for`. The predicate runs with the lock held, except the first
    /// check, which runs before the lock is checked (as in asyncio).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let cond = asyncio::Condition::new();
    ///     // True at once: returns without waiting (even without the lock).
    ///     cond.wait_for(|| true).await.unwrap();
    ///     // Would wait, but the lock is not held.
    ///     assert!(cond.wait_for(|| false).await.is_err());
    /// });
    /// ```
    pub async fn wait_for<F>(&self, mut predicate: F) -> Result<(), ConditionError>
    where
        F: FnMut() -> bool,
    {
        while !predicate() {
            self.wait().await?;
        }
        Ok(())
    }

    /// Wakes up to `n` tasks waiting on this condition. Requires the lock to be locked
    /// (`RuntimeError("cannot notify on un-acquired lock")` otherwise). A woken task
    /// returns from `wait()` only once it re-acquired the lock, so release it after
    /// notifying.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let cond = asyncio::Condition::new();
    ///     assert!(cond.notify(1).is_err());
    ///     let _g = cond.acquire().await.unwrap();
    ///     cond.notify(1).unwrap(); // nobody waits: nothing happens
    /// });
    /// ```
    pub fn notify(&self, n: usize) -> Result<(), RuntimeError> {
        if !self.lock.inner.is_locked() {
            return Err(RuntimeError::new("cannot notify on un-acquired lock"));
        }
        self.inner.notify(n);
        Ok(())
    }

    /// Wakes every task waiting on this condition (see [`notify`](Self::notify)).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let cond = asyncio::Condition::new();
    ///     let _g = cond.acquire().await.unwrap();
    ///     cond.notify_all().unwrap();
    /// });
    /// ```
    pub fn notify_all(&self) -> Result<(), RuntimeError> {
        self.notify(usize::MAX)
    }

    /// `_notify` without the lock check (for `Barrier`).
    pub(crate) fn notify_unchecked(&self, n: usize) {
        self.inner.notify(n);
    }
}

impl fmt::Debug for Condition {
    /// asyncio's repr: `<Condition [locked, waiters:1]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.inner.waiters.lock().len();
        let state = if self.locked() { "locked" } else { "unlocked" };
        crate::sync::write_repr(f, "Condition", state, n)
    }
}

enum Phase<'a> {
    Start,
    /// Waiting for a notification; `holder` is the acquisition to re-acquire as.
    Waiting {
        id: u64,
        holder: u64,
    },
    /// Re-acquiring the lock; `err` is the cancellation to report afterwards.
    Reacquire {
        acquire: Acquire<'a>,
        holder: u64,
        err: Option<CancelledError>,
    },
    Done,
}

/// Future returned by [`Condition::wait`].
///
/// ```
/// asyncio::run(async {
///     let cond = asyncio::Condition::new();
///     let _g = cond.acquire().await.unwrap();
///     let wait: asyncio::ConditionWait<'_> = cond.wait();
///     // Nobody notifies: give up after a while (the lock is re-acquired first).
///     assert!(asyncio::wait_for(wait, Some(std::time::Duration::from_millis(1))).await.is_err());
///     assert!(cond.locked());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'a> {
    cond: &'a Condition,
    phase: Phase<'a>,
    reg: Registration,
}

impl<'a> ConditionWait<'a> {
    fn reacquire(&self, holder: u64, err: Option<CancelledError>) -> Phase<'a> {
        Phase::Reacquire {
            acquire: Acquire::with_state(&self.cond.lock, AcquireState::new(Some(holder))),
            holder,
            err,
        }
    }
}

impl Future for ConditionWait<'_> {
    type Output = Result<(), ConditionError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            match &mut this.phase {
                Phase::Start => {
                    if let Some(err) = deliver_pending_cancel() {
                        this.phase = Phase::Done;
                        return Poll::Ready(Err(ConditionError::Cancelled(err)));
                    }
                    let Some(holder) = this.cond.lock.inner.holder() else {
                        this.phase = Phase::Done;
                        return Poll::Ready(Err(ConditionError::NotAcquired(RuntimeError::new(
                            "cannot wait on un-acquired lock",
                        ))));
                    };
                    let id = this.cond.inner.waiters.lock().push(cx.waker());
                    this.phase = Phase::Waiting { id, holder };
                    // Released after the entry is queued: a notify right after the
                    // release finds us.
                    let _ = this.cond.lock.inner.release(None);
                    this.reg.register(&this.cond.inner, 0, id);
                    return Poll::Pending;
                }
                Phase::Waiting { id, holder } => {
                    let (id, holder) = (*id, *holder);
                    let err = if let Some(err) = deliver_pending_cancel() {
                        let removed = this.cond.inner.waiters.lock().remove(id);
                        drop(removed);
                        Some(err)
                    } else {
                        let (seen, old) = this.cond.inner.waiters.lock().observe(id, cx.waker());
                        drop(old);
                        match seen {
                            Seen::Waiting => {
                                this.reg.register(&this.cond.inner, 0, id);
                                return Poll::Pending;
                            }
                            Seen::Woken => None,
                            Seen::Cancelled(msg) => Some(cancelled_error(msg)),
                        }
                    };
                    this.reg.unregister();
                    this.phase = this.reacquire(holder, err);
                }
                Phase::Reacquire {
                    acquire,
                    holder,
                    err,
                } => match Pin::new(acquire).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(guard)) => {
                        // The caller's guard covers this acquisition.
                        guard.forget();
                        let err = err.take();
                        this.phase = Phase::Done;
                        return Poll::Ready(match err {
                            None => Ok(()),
                            Some(err) => {
                                // We may have consumed a notification: pass it on.
                                this.cond.inner.notify(1);
                                Err(ConditionError::Cancelled(err))
                            }
                        });
                    }
                    Poll::Ready(Err(e)) => {
                        // Must re-acquire even when cancelled: retry, report the last.
                        let holder = *holder;
                        this.phase = this.reacquire(holder, Some(e));
                    }
                },
                Phase::Done => panic!("ConditionWait polled after completion"),
            }
        }
    }
}

impl Drop for ConditionWait<'_> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Waiting { id, .. } => {
                let removed = self.cond.inner.waiters.lock().remove(id);
                if let Some((Status::Woken, _)) = &removed {
                    // A notification we will never act on: pass it on.
                    self.cond.inner.notify(1);
                }
                drop(removed);
            }
            Phase::Reacquire { acquire, .. } => {
                drop(acquire);
                // We were notified (or cancelled) and give up: pass a wake-up on.
                self.cond.inner.notify(1);
            }
            Phase::Start | Phase::Done => {}
        }
        self.reg.unregister();
    }
}

impl fmt::Debug for ConditionWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Start => "start",
            Phase::Waiting { .. } => "waiting",
            Phase::Reacquire { .. } => "reacquiring",
            Phase::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("phase", &phase)
            .finish()
    }
}
