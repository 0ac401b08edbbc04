//! `Barrier` (asyncio's `asyncio.Barrier`, 3.11+).
//!
//! Built exactly as CPython's: a [`Condition`] whose waiters are the tasks in the
//! barrier, and a state machine `filling → draining → filling` (plus `resetting` and
//! `broken`). The state itself sits in a facade mutex (several threads read it); the
//! asyncio-level atomicity comes from the condition's lock, held through every step as
//! in asyncio.
//!
//! Cancellation: a task cancelled in `wait()` leaves the barrier (its count is given
//! back, the others are notified) and gets `BarrierError::Cancelled`. The same clean-up
//! runs if the `wait()` future is dropped.

use std::fmt;

use crate::loom::Mutex;
use crate::sync::condition::{Condition, ConditionError};
use crate::sync::{BrokenBarrierError, ValueError};
use crate::task::cancel::CancelledError;

/// Why [`Barrier::wait`] failed.
///
/// ```
/// asyncio::run(async {
///     let b = asyncio::Barrier::new(2);
///     b.abort().await.unwrap();
///     let err = b.wait().await.unwrap_err();
///     assert!(err.is_broken());
///     assert!(err.as_cancelled().is_none());
/// });
/// ```
#[derive(Debug, Clone)]
pub enum BarrierError {
    /// The barrier was reset or aborted (asyncio's `BrokenBarrierError`).
    Broken(BrokenBarrierError),
    /// The awaiting task was cancelled.
    Cancelled(CancelledError),
}

impl BarrierError {
    /// `true` for [`BarrierError::Broken`].
    ///
    /// ```
    /// let e = asyncio::BarrierError::from(asyncio::CancelledError::new(None));
    /// assert!(!e.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        matches!(self, BarrierError::Broken(_))
    }

    /// The cancellation, if this is one.
    ///
    /// ```
    /// let e = asyncio::BarrierError::from(asyncio::CancelledError::new(Some("stop")));
    /// assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
    /// ```
    pub fn as_cancelled(&self) -> Option<&CancelledError> {
        match self {
            BarrierError::Cancelled(c) => Some(c),
            BarrierError::Broken(_) => None,
        }
    }
}

impl fmt::Display for BarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarrierError::Broken(e) => fmt::Display::fmt(e, f),
            BarrierError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl std::error::Error for BarrierError {}

impl From<CancelledError> for BarrierError {
    fn from(c: CancelledError) -> Self {
        BarrierError::Cancelled(c)
    }
}

impl From<BrokenBarrierError> for BarrierError {
    fn from(e: BrokenBarrierError) -> Self {
        BarrierError::Broken(e)
    }
}

impl From<ConditionError> for BarrierError {
    fn from(e: ConditionError) -> Self {
        match e {
            ConditionError::Cancelled(c) => BarrierError::Cancelled(c),
            // The barrier holds its condition's lock whenever it waits on it.
            ConditionError::NotAcquired(_) => {
                debug_assert!(false, "barrier waited without its lock");
                BarrierError::Broken(BrokenBarrierError::new("Barrier aborted"))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Filling,
    Draining,
    Resetting,
    Broken,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Filling => "filling",
            Phase::Draining => "draining",
            Phase::Resetting => "resetting",
            Phase::Broken => "broken",
        }
    }
}

struct State {
    phase: Phase,
    count: usize,
}

/// A barrier for a fixed number of tasks (asyncio's `asyncio.Barrier`): each `wait()`
/// blocks until `parties` tasks are waiting, then all are released together.
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let barrier = Arc::new(asyncio::Barrier::new(3));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let b = barrier.clone();
///             asyncio::create_task(async move { b.wait().await })
///         })
///         .collect();
///     let mut indices = Vec::new();
///     for t in tasks {
///         indices.push(t.await.unwrap());
///     }
///     indices.sort();
///     assert_eq!(indices, [0, 1, 2]);
///     assert_eq!(barrier.n_waiting(), 0);
/// });
/// ```
pub struct Barrier {
    cond: Condition,
    parties: usize,
    state: Mutex<State>,
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    /// If `parties` is 0 (asyncio's `ValueError`); use [`try_new`](Self::try_new) to get
    /// the error as a value.
    ///
    /// ```
    /// assert_eq!(asyncio::Barrier::new(4).parties(), 4);
    /// ```
    pub fn new(parties: usize) -> Barrier {
        match Barrier::try_new(parties) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        }
    }

    /// A barrier for `parties` tasks; `ValueError("parties must be > 0")` for 0.
    ///
    /// ```
    /// assert!(asyncio::Barrier::try_new(0).is_err());
    /// assert!(asyncio::Barrier::try_new(1).is_ok());
    /// ```
    pub fn try_new(parties: usize) -> Result<Barrier, ValueError> {
        if parties < 1 {
            return Err(ValueError::new("parties must be > 0"));
        }
        Ok(Barrier {
            cond: Condition::new(),
            parties,
            state: Mutex::new(State {
                phase: Phase::Filling,
                count: 0,
            }),
        })
    }

    fn phase(&self) -> Phase {
        self.state.lock().phase
    }

    /// Waits until `parties` tasks are waiting, then returns this task's index in
    /// `0..parties` (unique per passage). `BarrierError::Broken` if the barrier is broken,
    /// or reset/aborted while waiting; `BarrierError::Cancelled` if the task is cancelled.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let barrier = asyncio::Barrier::new(1);
    ///     assert_eq!(barrier.wait().await.unwrap(), 0); // one party: passes at once
    /// });
    /// ```
    pub async fn wait(&self) -> Result<usize, BarrierError> {
        // async with self._cond:
        let _guard = self.cond.acquire().await?;
        self.block().await?;
        let index = {
            let mut st = self.state.lock();
            let index = st.count;
            st.count += 1;
            index
        };
        // finally: self._count -= 1; self._exit()   (runs before the guard releases)
        let _exit = Exit { barrier: self };
        if index + 1 == self.parties {
            // _release(): let everyone through.
            self.state.lock().phase = Phase::Draining;
            self.cond.notify_unchecked(usize::MAX);
        } else {
            // _wait(): until the filling ends.
            self.cond
                .wait_for(|| self.phase() != Phase::Filling)
                .await?;
            if matches!(self.phase(), Phase::Broken | Phase::Resetting) {
                return Err(BrokenBarrierError::new("Abort or reset of barrier").into());
            }
        }
        Ok(index)
    }

    /// asyncio's `_block`: wait while draining or resetting; fail if broken.
    async fn block(&self) -> Result<(), BarrierError> {
        self.cond
            .wait_for(|| !matches!(self.phase(), Phase::Draining | Phase::Resetting))
            .await?;
        if self.phase() == Phase::Broken {
            return Err(BrokenBarrierError::new("Barrier aborted").into());
        }
        Ok(())
    }

    /// Resets the barrier to its initial state; tasks waiting in it get
    /// `BarrierError::Broken`.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let barrier = asyncio::Barrier::new(2);
    ///     barrier.reset().await.unwrap();
    ///     assert!(!barrier.broken());
    /// });
    /// ```
    pub async fn reset(&self) -> Result<(), CancelledError> {
        let _guard = self.cond.acquire().await?;
        {
            let mut st = self.state.lock();
            if st.count > 0 {
                st.phase = Phase::Resetting;
            } else {
                st.phase = Phase::Filling;
            }
        }
        self.cond.notify_unchecked(usize::MAX);
        Ok(())
    }

    /// Puts the barrier in the broken state: current and future `wait()`s fail with
    /// `BarrierError::Broken` (until [`reset`](Self::reset)).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let barrier = asyncio::Barrier::new(2);
    ///     barrier.abort().await.unwrap();
    ///     assert!(barrier.broken());
    ///     assert!(barrier.wait().await.unwrap_err().is_broken());
    /// });
    /// ```
    pub async fn abort(&self) -> Result<(), CancelledError> {
        let _guard = self.cond.acquire().await?;
        self.state.lock().phase = Phase::Broken;
        self.cond.notify_unchecked(usize::MAX);
        Ok(())
    }

    /// Number of tasks needed to pass the barrier.
    ///
    /// ```
    /// assert_eq!(asyncio::Barrier::new(3).parties(), 3);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// Number of tasks waiting in the barrier while it fills (0 while it drains).
    ///
    /// ```
    /// assert_eq!(asyncio::Barrier::new(3).n_waiting(), 0);
    /// ```
    pub fn n_waiting(&self) -> usize {
        let st = self.state.lock();
        if st.phase == Phase::Filling {
            st.count
        } else {
            0
        }
    }

    /// `true` if the barrier is broken.
    ///
    /// ```
    /// assert!(!asyncio::Barrier::new(3).broken());
    /// ```
    pub fn broken(&self) -> bool {
        self.phase() == Phase::Broken
    }
}

/// asyncio's `finally: self._count -= 1; self._exit()`.
struct Exit<'a> {
    barrier: &'a Barrier,
}

impl Drop for Exit<'_> {
    fn drop(&mut self) {
        let notify = {
            let mut st = self.barrier.state.lock();
            st.count -= 1;
            if st.count == 0 {
                if matches!(st.phase, Phase::Resetting | Phase::Draining) {
                    st.phase = Phase::Filling;
                }
                true
            } else {
                false
            }
        };
        if notify {
            self.barrier.cond.notify_unchecked(usize::MAX);
        }
    }
}

impl fmt::Debug for Barrier {
    /// asyncio's repr: `<Barrier [filling, waiters:2/5]>`, `<Barrier [broken]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (phase, count) = {
            let st = self.state.lock();
            (st.phase, st.count)
        };
        let mut extra = phase.name().to_owned();
        if phase != Phase::Broken {
            let waiting = if phase == Phase::Filling { count } else { 0 };
            extra += &format!(", waiters:{waiting}/{}", self.parties);
        }
        write!(f, "<Barrier [{extra}]>")
    }
}
