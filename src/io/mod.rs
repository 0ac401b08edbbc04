//! The I/O layer's core: the reactor and the readiness protocol (docs/design.md §8).
//!
//! * `scheduled_io.rs`: one registration's readiness word (bits + the tick of the
//!   driver poll that set them) and its reader/writer waiters. Loom-modelled.
//! * `driver.rs`: the `mio::Poll`, polled by the worker that sleeps with the timer duty,
//!   woken through a `mio::Waker`; the slab of registrations; shutdown.
//! * `park_state.rs`: the per-worker byte that tells an unpark whether the worker sleeps
//!   in `epoll_wait` (then the `mio::Waker` must be written). Loom-modelled.
//! * `registration.rs`: `IoSource<E>`, a mio source registered with the current
//!   runtime, and the wait / non-blocking call / clear-on-`WouldBlock` loop every
//!   socket method uses.
//!
//! The public socket types live in `net/`, the asyncio streams in `streams/`, signals in
//! `signal.rs`. Under `cfg(loom)` only the readiness protocol is compiled: the OS is
//! outside the models.

#[cfg(not(loom))]
pub(crate) mod driver;
// Under loom only its models use it (no driver): not compiled into a user's loom build,
// where it would be dead code (`asyncio::testing`).
#[cfg(any(not(loom), test))]
pub(crate) mod park_state;
#[cfg(not(loom))]
pub(crate) mod registration;
pub(crate) mod scheduled_io;
#[cfg(all(test, loom))]
mod tests;
