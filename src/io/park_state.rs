//! Who sleeps in `epoll_wait`, and whether an unpark must write the driver's eventfd.
//!
//! One byte per worker:
//! ```text
//!   IDLE ──transition_to_polling──▶ POLLING ──transition_from_polling──▶ IDLE
//!     │                                │
//!     │  notify: swap(NOTIFIED); if it was POLLING → WakeDriver (write the mio::Waker)
//!     ▼                                ▼
//!   NOTIFIED ──transition_to_polling: saw NOTIFIED → Notified (do not sleep; back to IDLE)
//! ```
//! The parking worker and the unparker both *swap* the same byte, so in the single
//! modification order of that byte one of them comes second and sees the other: either
//! the unpark sees `POLLING` and writes the eventfd (which makes `epoll_wait` return even
//! if the worker only enters it afterwards), or the worker sees `NOTIFIED` and does not
//! sleep. A `NOTIFIED` left over from an unpark that the thread parker already consumed
//! costs one spurious return, which the worker's park loop absorbs.
//!
//! Loom model: `io/tests/loom_park_state.rs`.

use crate::loom::sync::atomic::{AtomicU8, Ordering};

const IDLE: u8 = 0;
const POLLING: u8 = 1;
const NOTIFIED: u8 = 2;

/// What a worker about to sleep in the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum BeforePoll {
    /// Sleep in `epoll_wait`; call `transition_from_polling` after.
    Sleep,
    /// An unpark arrived first: do not sleep.
    Notified,
}

/// What an unparker must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum AfterNotify {
    /// The worker sleeps (or is about to) in `epoll_wait`: write the driver's waker.
    WakeDriver,
    /// The worker is not in the driver: its thread parker suffices.
    Nothing,
}

/// The park-state bytes of all workers.
pub(crate) struct ParkStates {
    states: Box<[AtomicU8]>,
}

impl ParkStates {
    pub(crate) fn new(num_workers: usize) -> ParkStates {
        ParkStates {
            states: (0..num_workers).map(|_| AtomicU8::new(IDLE)).collect(),
        }
    }

    pub(crate) fn transition_to_polling(&self, worker: usize) -> BeforePoll {
        let state = &self.states[worker];
        if state.swap(POLLING, Ordering::SeqCst) == NOTIFIED {
            state.store(IDLE, Ordering::SeqCst);
            return BeforePoll::Notified;
        }
        BeforePoll::Sleep
    }

    pub(crate) fn transition_from_polling(&self, worker: usize) {
        self.states[worker].swap(IDLE, Ordering::SeqCst);
    }

    pub(crate) fn notify(&self, worker: usize) -> AfterNotify {
        if self.states[worker].swap(NOTIFIED, Ordering::SeqCst) == POLLING {
            AfterNotify::WakeDriver
        } else {
            AfterNotify::Nothing
        }
    }
}
