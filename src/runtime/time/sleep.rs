//! `sleep(d)`, `sleep_until(when)` and `yield_now()`.
//!
//! A sleep registers a timer at its first poll and deregisters it when dropped early, so
//! abandoned sleeps leave nothing behind. `sleep(Duration::ZERO)` yields exactly once:
//! it wakes its task during the task's own poll, which the scheduler treats as a yield
//! and queues at the *back* (never the LIFO slot), like asyncio's `sleep(0)`.
//!
//! Every poll first delivers a pending cancellation of the current task (docs/design.md §4.2), so
//! a sleeping task that is cancelled wakes with `Err(CancelledError)`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::loom::sync::Arc;
use crate::runtime::context;
use crate::runtime::scheduler::Shared;
use crate::runtime::time::{clock, AfterRegister, TimerKey};
use crate::task::cancel::{deliver_pending_cancel, CancelledError};

/// Waits for `duration` (asyncio's `asyncio.sleep`). Zero yields once to the other tasks.
///
/// Resolves to `Err(CancelledError)` if the awaiting task is cancelled meanwhile.
///
/// # Panics
/// When polled outside an asyncio runtime (no timer to register with).
///
/// ```
/// use std::time::{Duration, Instant};
/// asyncio::run(async {
///     let start = Instant::now();
///     asyncio::sleep(Duration::from_millis(20)).await.unwrap();
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    if duration.is_zero() {
        return Sleep {
            timer: Timer {
                state: SleepState::Yield { yielded: false },
            },
        };
    }
    match clock::now().checked_add(duration) {
        Some(when) => sleep_until(when),
        None => Sleep {
            timer: Timer {
                state: SleepState::Forever,
            },
        },
    }
}

/// Waits until `when`.
///
/// ```
/// use std::time::{Duration, Instant};
/// asyncio::run(async {
///     let when = Instant::now() + Duration::from_millis(5);
///     asyncio::sleep_until(when).await.unwrap();
///     assert!(Instant::now() >= when);
/// });
/// ```
pub fn sleep_until(when: Instant) -> Sleep {
    Sleep {
        timer: Timer {
            state: SleepState::Unregistered {
                deadline: clock::tick_ceil(when),
            },
        },
    }
}

/// Yields once: the task goes to the back of the run queue (same as
/// `sleep(Duration::ZERO)`).
///
/// ```
/// asyncio::run(async {
///     asyncio::yield_now().await.unwrap();
/// });
/// ```
pub fn yield_now() -> Sleep {
    sleep(Duration::ZERO)
}

/// Future returned by [`sleep`], [`sleep_until`] and [`yield_now`].
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    timer: Timer,
}

/// The timer inside a [`Sleep`], without the await-point semantics: composition
/// functions that wait for something else *or* a deadline (`wait`, `as_completed`) poll
/// it, and deliver the awaiting task's cancellation themselves.
pub(crate) struct Timer {
    state: SleepState,
}

enum SleepState {
    Yield {
        yielded: bool,
    },
    Unregistered {
        deadline: u64,
    },
    Registered {
        key: TimerKey,
        shared: Arc<Shared>,
    },
    /// A duration too long to represent: never fires (still cancellable).
    Forever,
    Done,
}

impl Timer {
    /// A timer that fires after `duration`.
    pub(crate) fn after(duration: Duration) -> Timer {
        sleep(duration).timer
    }

    fn deregister(&mut self) {
        if let SleepState::Registered { key, shared } = &self.state {
            shared.timers.cancel(*key);
        }
        self.state = SleepState::Done;
    }
}

impl Future for Sleep {
    type Output = Result<(), CancelledError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(err) = deliver_pending_cancel() {
            self.timer.deregister();
            return Poll::Ready(Err(err));
        }
        self.timer.poll_elapsed(cx).map(Ok)
    }
}

impl Timer {
    /// `Ready` once the deadline passed (a zero duration: on the second poll).
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.state {
            SleepState::Yield { yielded } => {
                if *yielded {
                    self.state = SleepState::Done;
                    Poll::Ready(())
                } else {
                    *yielded = true;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            }
            SleepState::Unregistered { deadline } => {
                let deadline = *deadline;
                if clock::now_tick() >= deadline {
                    self.state = SleepState::Done;
                    return Poll::Ready(());
                }
                let shared = context::current_shared().expect(
                    "asyncio::sleep polled outside an asyncio runtime: \
                     await it inside a task (asyncio::run / create_task)",
                );
                match shared.timers.register(deadline, cx.waker().clone()) {
                    Ok((key, after)) => {
                        if let AfterRegister::UnparkDriver(worker) = after {
                            shared.unpark_worker(worker);
                        }
                        self.state = SleepState::Registered { key, shared };
                    }
                    // Shut down: the task is about to be cancelled by the sweep.
                    Err(_) => self.state = SleepState::Forever,
                }
                Poll::Pending
            }
            SleepState::Registered { key, shared } => {
                if clock::now_tick() >= key.deadline {
                    self.deregister();
                    return Poll::Ready(());
                }
                // Not due: it cannot have fired, so the entry is there to update.
                shared.timers.update_waker(*key, cx.waker());
                Poll::Pending
            }
            SleepState::Forever => Poll::Pending,
            SleepState::Done => Poll::Ready(()),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.timer.state {
            SleepState::Yield { .. } => "yield",
            SleepState::Unregistered { .. } => "unregistered",
            SleepState::Registered { .. } => "registered",
            SleepState::Forever => "forever",
            SleepState::Done => "done",
        };
        f.debug_struct("Sleep").field("state", &state).finish()
    }
}
