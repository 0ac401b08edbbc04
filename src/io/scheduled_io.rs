//! The readiness record of one registered I/O source (tokio's `ScheduledIo`).
//!
//! ## The readiness word
//! ```text
//!  bit  0  READABLE       the source may be read without blocking
//!  bit  1  WRITABLE       the source may be written without blocking
//!  bit  2  READ_CLOSED    the peer will send nothing more (EOF, hang-up)
//!  bit  3  WRITE_CLOSED   nothing more can be written (the peer reset or closed)
//!  bit  4  ERROR          the source has a pending error
//!  bit  5  SHUTDOWN       the runtime closed: every wait ends at once
//!  bits 16..32  TICK      the driver poll that last set readiness (wrapping u16)
//! ```
//!
//! ## The protocol
//! * **Set** (the driver, after `epoll`): one read-modify-write ORs the event's bits in
//!   and stamps the word with the poll's tick; then the waiters of the directions the
//!   event concerns are taken under the waiter lock and woken outside it.
//! * **Poll** (a task): read the word; if a bit of the direction is set, return a
//!   [`ReadyEvent`] carrying those bits *and the tick read with them*. Otherwise store
//!   the task's waker under the waiter lock and read the word again before returning
//!   `Pending` (either the setter took the lock after us and takes our waker, or it set
//!   the word before releasing the lock we then took, and the second read sees it).
//! * **Clear** (a task whose I/O call returned `WouldBlock`): clear the event's bits
//!   *only if the tick is still the event's*. A newer poll of the driver stamped a newer
//!   tick, so a stale `WouldBlock` can never erase readiness that arrived after the task
//!   looked: the lost-wake-up that a plain "clear the bit" would have.
//!   The closed bits are never cleared: EOF and hang-up are final.
//! * **Shutdown**: the driver sets `SHUTDOWN` and wakes every waiter; a poll then
//!   returns an event with `is_shutdown`, which the socket turns into an error.
//!
//! Waiters are per direction, so one task can read while another writes (the owned
//! halves). Several tasks may wait on one direction (a shared `UdpSocket`): all of them
//! are woken, and the ones that find nothing to read wait again. A waker left behind by
//! a cancelled wait is dropped at the next readiness event of its direction.
//!
//! The loom model `io/tests/loom_scheduled_io.rs` checks set vs poll vs clear vs drop.

// Under loom the driver and sockets are compiled out; only the models use this file.
#![cfg_attr(loom, allow(dead_code))]

use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::Mutex;

/// Readiness bits (the low byte of the word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Ready(u8);

impl Ready {
    pub(crate) const EMPTY: Ready = Ready(0);
    pub(crate) const READABLE: Ready = Ready(1 << 0);
    pub(crate) const WRITABLE: Ready = Ready(1 << 1);
    pub(crate) const READ_CLOSED: Ready = Ready(1 << 2);
    pub(crate) const WRITE_CLOSED: Ready = Ready(1 << 3);
    pub(crate) const ERROR: Ready = Ready(1 << 4);
    const CLOSED: Ready = Ready(Self::READ_CLOSED.0 | Self::WRITE_CLOSED.0);

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    #[cfg(test)]
    pub(crate) fn contains(self, other: Ready) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub(crate) fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) fn union(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }

    fn intersection(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }

    fn without(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }

    /// The bits of a mio event.
    #[cfg(not(loom))]
    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut r = Ready::EMPTY;
        if event.is_readable() {
            r = r.union(Ready::READABLE);
        }
        if event.is_writable() {
            r = r.union(Ready::WRITABLE);
        }
        if event.is_read_closed() {
            r = r.union(Ready::READ_CLOSED);
        }
        if event.is_write_closed() {
            r = r.union(Ready::WRITE_CLOSED);
        }
        if event.is_error() {
            r = r.union(Ready::ERROR);
        }
        r
    }
}

/// Which way a task waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The bits that end a wait in this direction.
    pub(crate) fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready(Ready::READABLE.0 | Ready::READ_CLOSED.0 | Ready::ERROR.0),
            Direction::Write => Ready(Ready::WRITABLE.0 | Ready::WRITE_CLOSED.0 | Ready::ERROR.0),
        }
    }
}

const READY_MASK: usize = 0xff;
const SHUTDOWN: usize = 1 << 5;
const TICK_SHIFT: usize = 16;
const TICK_MASK: usize = 0xffff << TICK_SHIFT;

fn tick_of(word: usize) -> u16 {
    ((word & TICK_MASK) >> TICK_SHIFT) as u16
}

/// What a successful poll saw: the bits of its direction and the tick they came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadyEvent {
    pub(crate) ready: Ready,
    pub(crate) tick: u16,
    pub(crate) is_shutdown: bool,
}

#[derive(Default)]
struct Waiters {
    reader: Vec<Waker>,
    writer: Vec<Waker>,
}

impl Waiters {
    fn slot(&mut self, direction: Direction) -> &mut Vec<Waker> {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}

/// One registered source's readiness and waiters.
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

impl Default for ScheduledIo {
    fn default() -> Self {
        ScheduledIo::new()
    }
}

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// The driver saw `ready` in the poll numbered `tick`: records it and moves the
    /// wakers of the concerned directions into `wake` (to be woken outside every lock).
    pub(crate) fn set_readiness(&self, tick: u16, ready: Ready, wake: &mut Vec<Waker>) {
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |curr| {
                let bits = (curr & READY_MASK) | ready.0 as usize;
                Some((curr & SHUTDOWN) | bits | ((tick as usize) << TICK_SHIFT))
            });
        self.take_waiters(ready, wake);
    }

    /// The runtime closed: every current and future wait ends at once.
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        self.readiness.fetch_or(SHUTDOWN, Ordering::AcqRel);
        let mut waiters = self.waiters.lock();
        wake.append(&mut waiters.reader);
        wake.append(&mut waiters.writer);
    }

    fn take_waiters(&self, ready: Ready, wake: &mut Vec<Waker>) {
        let mut waiters = self.waiters.lock();
        if ready.intersects(Direction::Read.mask()) {
            wake.append(&mut waiters.reader);
        }
        if ready.intersects(Direction::Write.mask()) {
            wake.append(&mut waiters.writer);
        }
    }

    fn event_of(word: usize, direction: Direction) -> Option<ReadyEvent> {
        let ready = Ready((word & READY_MASK) as u8).intersection(direction.mask());
        let is_shutdown = word & SHUTDOWN != 0;
        if ready.is_empty() && !is_shutdown {
            return None;
        }
        Some(ReadyEvent {
            ready,
            tick: tick_of(word),
            is_shutdown,
        })
    }

    /// Ready in `direction` now, without waiting.
    pub(crate) fn ready_event(&self, direction: Direction) -> Option<ReadyEvent> {
        Self::event_of(self.readiness.load(Ordering::Acquire), direction)
    }

    /// Ready in `direction`, or `Pending` with the task's waker stored.
    pub(crate) fn poll_readiness(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        if let Some(ev) = Self::event_of(self.readiness.load(Ordering::Acquire), direction) {
            return Poll::Ready(ev);
        }
        let mut waiters = self.waiters.lock();
        let slot = waiters.slot(direction);
        if !slot.iter().any(|w| w.will_wake(cx.waker())) {
            slot.push(cx.waker().clone());
        }
        // Second read under the lock: see the module docs.
        match Self::event_of(self.readiness.load(Ordering::Acquire), direction) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
        }
    }

    /// The I/O call after `event` returned `WouldBlock`: forget the event's bits, unless
    /// a newer driver poll stamped the word since.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let clear = event.ready.without(Ready::CLOSED);
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |curr| {
                if tick_of(curr) != event.tick {
                    return None;
                }
                Some(curr & !(clear.0 as usize))
            });
    }

    /// The current bits (for tests and `Debug`).
    pub(crate) fn ready(&self) -> Ready {
        Ready((self.readiness.load(Ordering::Acquire) & READY_MASK) as u8)
    }

    /// Number of stored waiters (tests: nothing accumulates).
    #[cfg(test)]
    pub(crate) fn waiter_count(&self) -> usize {
        let w = self.waiters.lock();
        w.reader.len() + w.writer.len()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize as StdCounter;
    use std::sync::Arc;
    use std::task::Wake;

    struct CountWake(StdCounter);
    impl Wake for CountWake {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<CountWake>, Waker) {
        let c = Arc::new(CountWake(StdCounter::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn a_stale_clear_does_not_erase_newer_readiness() {
        let io = ScheduledIo::new();
        let mut wake = Vec::new();
        io.set_readiness(1, Ready::READABLE, &mut wake);
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        let Poll::Ready(ev) = io.poll_readiness(&mut cx, Direction::Read) else {
            panic!("readable")
        };
        assert_eq!(ev.tick, 1);
        // The driver sees more data before the task's read returns WouldBlock.
        io.set_readiness(2, Ready::READABLE, &mut wake);
        io.clear_readiness(ev);
        assert!(io.ready().contains(Ready::READABLE));
        // A clear with the current tick does clear.
        let Poll::Ready(ev) = io.poll_readiness(&mut cx, Direction::Read) else {
            panic!("readable")
        };
        io.clear_readiness(ev);
        assert!(io.poll_readiness(&mut cx, Direction::Read).is_pending());
    }

    #[test]
    fn closed_bits_are_final_and_directions_are_separate() {
        let io = ScheduledIo::new();
        let mut wake = Vec::new();
        let (reader, rw) = waker();
        let (writer, ww) = waker();
        assert!(io
            .poll_readiness(&mut Context::from_waker(&rw), Direction::Read)
            .is_pending());
        assert!(io
            .poll_readiness(&mut Context::from_waker(&ww), Direction::Write)
            .is_pending());
        io.set_readiness(1, Ready::WRITABLE, &mut wake);
        assert_eq!(wake.len(), 1);
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(writer.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(reader.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        io.set_readiness(2, Ready::READ_CLOSED, &mut wake);
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(reader.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        let Poll::Ready(ev) = io.poll_readiness(&mut Context::from_waker(&rw), Direction::Read)
        else {
            panic!("read closed")
        };
        io.clear_readiness(ev);
        assert!(io.ready().contains(Ready::READ_CLOSED));
        assert_eq!(io.waiter_count(), 0);
    }

    #[test]
    fn one_waker_per_task_and_shutdown_wakes_all() {
        let io = ScheduledIo::new();
        let (c, w) = waker();
        for _ in 0..3 {
            assert!(io
                .poll_readiness(&mut Context::from_waker(&w), Direction::Read)
                .is_pending());
        }
        assert_eq!(io.waiter_count(), 1);
        let mut wake = Vec::new();
        io.shutdown(&mut wake);
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(c.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        let Poll::Ready(ev) = io.poll_readiness(&mut Context::from_waker(&w), Direction::Write)
        else {
            panic!("shutdown")
        };
        assert!(ev.is_shutdown);
    }
}
