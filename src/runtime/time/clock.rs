//! The runtime clock: milliseconds since a process-wide epoch.
//!
//! All runtimes share one epoch, so `asyncio::time()` values (asyncio's `loop.time()`)
//! are comparable across runtimes and threads, and `call_at(when)` means the same
//! instant everywhere.
//!
//! Every reading of the time for timers goes through [`now`]: `Instant::now()`, or
//! under `cfg(loom)` the model's virtual clock (`crate::loom::time`), which only moves
//! when the timers advance it to the earliest deadline of an idle runtime.

use crate::loom::OnceLock;
use std::time::{Duration, Instant};

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(now)
}

/// The runtime's now: `Instant::now()` (the virtual clock under `cfg(loom)`).
#[inline(always)]
pub(crate) fn now() -> Instant {
    crate::loom::time::now()
}

/// The current tick (whole milliseconds since the epoch, rounded down).
pub(crate) fn now_tick() -> u64 {
    tick_floor(now())
}

fn tick_floor(t: Instant) -> u64 {
    t.saturating_duration_since(epoch()).as_millis() as u64
}

/// The first tick at or after `t` (deadlines round up, so timers never fire early).
pub(crate) fn tick_ceil(t: Instant) -> u64 {
    let d = t.saturating_duration_since(epoch());
    let ms = d.as_millis() as u64;
    if d > Duration::from_millis(ms) {
        ms + 1
    } else {
        ms
    }
}

/// The instant a tick starts.
pub(crate) fn instant_of_tick(tick: u64) -> Instant {
    epoch() + Duration::from_millis(tick)
}

/// Seconds since the epoch, as asyncio's `loop.time()`.
pub(crate) fn seconds_now() -> f64 {
    now().saturating_duration_since(epoch()).as_secs_f64()
}

/// `t` on the `seconds_now` scale.
pub(crate) fn seconds_of_instant(t: Instant) -> f64 {
    t.saturating_duration_since(epoch()).as_secs_f64()
}

/// The instant `seconds` (on the `seconds_now` scale) stands for.
pub(crate) fn instant_of_seconds(seconds: f64) -> Instant {
    if seconds.is_nan() || seconds <= 0.0 {
        return epoch();
    }
    epoch() + Duration::try_from_secs_f64(seconds).unwrap_or(Duration::from_secs(u64::MAX / 4))
}

/// A deadline given either as an `Instant` or as asyncio's `loop.time()` seconds.
pub trait IntoDeadline {
    /// The instant meant.
    fn into_instant(self) -> Instant;

    /// The deadline on the [`time()`](crate::time) scale when it was given on that scale
    /// (`f64`), so that it can be reported back exactly as given (`TimeoutHandle::when`).
    #[doc(hidden)]
    fn loop_time(&self) -> Option<f64> {
        None
    }
}

impl IntoDeadline for Instant {
    fn into_instant(self) -> Instant {
        self
    }
}

impl IntoDeadline for f64 {
    /// Seconds on the scale of [`time()`](crate::time).
    fn into_instant(self) -> Instant {
        instant_of_seconds(self)
    }

    fn loop_time(&self) -> Option<f64> {
        Some(*self)
    }
}
