//! The I/O driver: one `mio::Poll` per runtime, polled from the workers' park.
//!
//! ## Who polls
//! There is no reactor thread. The worker that goes to sleep holding the *timer duty*
//! (`runtime/time`) sleeps in [`IoDriver::park`]: `epoll_wait` with the next timer
//! deadline as its timeout, instead of its thread parker. When it wakes it dispatches the
//! readiness events, then fires the due timers; the duty moves on when it leaves to run
//! tasks. Workers without the duty sleep on their parker as before. A busy worker also
//! polls with a zero timeout every 61 ticks (when sockets are registered and nobody else
//! is polling), so a runtime whose workers never sleep still sees its sockets.
//!
//! ## Waking the driver
//! Every unpark of a worker goes through [`IoDriver::unpark`] as well as the worker's
//! thread parker: a per-worker park-state byte (`park_state.rs`) tells the unparker
//! whether the worker sleeps in `epoll_wait`, and then it writes the `mio::Waker` (an
//! eventfd: `epoll_wait` returns even if the worker only enters it afterwards).
//!
//! ## Tokens and records
//! A registration is an `Arc<ScheduledIo>` in a slab; its mio token is the slot index
//! with the slot's generation in the upper half. Deregistering bumps the generation, so
//! an event of the same `epoll_wait` batch for a freed (or reused) slot is recognised as
//! stale and dropped: a token never reaches a record it was not issued for.
//! Dispatch looks the batch up under one lock of the slab, collects the wakers, and wakes
//! them after releasing it, on the polling worker, so the woken tasks land in its local
//! queue (not its LIFO slot: see `worker.rs`).
//!
//! ## Shutdown
//! [`IoDriver::shutdown`] marks every record `SHUTDOWN` and wakes its waiters; later
//! registrations fail. The sockets themselves belong to their owners (usually tasks,
//! whose futures shutdown drops, closing them); the epoll and eventfd descriptors close
//! when the runtime's shared state is freed.

use std::io;
use std::task::Waker;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};

use crate::io::park_state::{AfterNotify, BeforePoll, ParkStates};
use crate::io::scheduled_io::{Ready, ScheduledIo};
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::Arc;
use crate::loom::Mutex;

/// The token of the driver's own `mio::Waker`.
const WAKER_TOKEN: Token = Token(usize::MAX);
/// Events taken per `epoll_wait`.
const EVENTS_CAPACITY: usize = 1024;

struct PollState {
    poll: Poll,
    events: Events,
    /// Numbers the polls; stamped into the readiness it sets (`ScheduledIo`).
    tick: u16,
    /// Wakers collected by a dispatch, reused so dispatch does not allocate.
    wake: Vec<Waker>,
}

struct Slot {
    generation: u32,
    io: Option<Arc<ScheduledIo>>,
}

#[derive(Default)]
struct Records {
    slots: Vec<Slot>,
    free: Vec<usize>,
    closed: bool,
}

impl Records {
    fn get(&self, token: Token) -> Option<&Arc<ScheduledIo>> {
        let index = token.0 & 0xffff_ffff;
        let generation = (token.0 >> 32) as u32;
        let slot = self.slots.get(index)?;
        if slot.generation != generation {
            return None;
        }
        slot.io.as_ref()
    }
}

/// The runtime's reactor (see the module docs).
pub(crate) struct IoDriver {
    state: Mutex<PollState>,
    registry: Registry,
    waker: mio::Waker,
    records: Mutex<Records>,
    /// Live registrations; busy workers skip the zero-timeout poll when there are none.
    registered: AtomicUsize,
    /// Per worker: is it in `epoll_wait`? (`park_state.rs`)
    park_states: ParkStates,
}

impl IoDriver {
    pub(crate) fn new(num_workers: usize) -> io::Result<IoDriver> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        Ok(IoDriver {
            state: Mutex::new(PollState {
                poll,
                events: Events::with_capacity(EVENTS_CAPACITY),
                tick: 0,
                wake: Vec::new(),
            }),
            registry,
            waker,
            records: Mutex::new(Records::default()),
            registered: AtomicUsize::new(0),
            park_states: ParkStates::new(num_workers),
        })
    }

    /// Registers `source` for `interest`. Fails after shutdown.
    pub(crate) fn register(
        &self,
        source: &mut impl Source,
        interest: Interest,
    ) -> io::Result<(Token, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::new());
        let token = {
            let mut records = self.records.lock();
            if records.closed {
                return Err(shut_down_error());
            }
            let index = match records.free.pop() {
                Some(i) => i,
                None => {
                    records.slots.push(Slot {
                        generation: 0,
                        io: None,
                    });
                    records.slots.len() - 1
                }
            };
            let slot = &mut records.slots[index];
            slot.io = Some(io.clone());
            Token(((slot.generation as usize) << 32) | index)
        };
        if let Err(e) = self.registry.register(source, token, interest) {
            self.release(token);
            return Err(e);
        }
        self.registered.fetch_add(1, Ordering::Relaxed);
        Ok((token, io))
    }

    /// Removes `source` from the poll and frees its slot.
    pub(crate) fn deregister(&self, token: Token, source: &mut impl Source) -> io::Result<()> {
        let result = self.registry.deregister(source);
        self.release(token);
        self.registered.fetch_sub(1, Ordering::Relaxed);
        result
    }

    fn release(&self, token: Token) {
        let index = token.0 & 0xffff_ffff;
        let freed = {
            let mut records = self.records.lock();
            let slot = &mut records.slots[index];
            slot.generation = slot.generation.wrapping_add(1);
            let freed = slot.io.take();
            records.free.push(index);
            freed
        };
        drop(freed);
    }

    /// Live registrations.
    pub(crate) fn registered(&self) -> usize {
        self.registered.load(Ordering::Relaxed)
    }

    /// Sleeps in `epoll_wait` until `deadline` (or forever), an I/O event or an unpark
    /// of `worker`, then hands each woken waker to `wake`.
    pub(crate) fn park(&self, worker: usize, deadline: Option<Instant>, wake: impl FnMut(Waker)) {
        // Only a zero-timeout poll of a busy worker can hold the lock here (the timer
        // duty, which this worker has, is the only way to sleep in the driver).
        let mut state = self.state.lock();
        if self.park_states.transition_to_polling(worker) == BeforePoll::Notified {
            return;
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        self.poll_locked(&mut state, timeout, wake);
        self.park_states.transition_from_polling(worker);
    }

    /// A busy worker's look at the sockets: a zero-timeout poll, if nobody else is
    /// polling (the caller checks first that sockets are registered). Returns `true` if
    /// any waker was woken.
    pub(crate) fn poll_now(&self, wake: impl FnMut(Waker)) -> bool {
        let Some(mut state) = self.state.try_lock() else {
            return false;
        };
        self.poll_locked(&mut state, Some(Duration::ZERO), wake) > 0
    }

    fn poll_locked(
        &self,
        state: &mut PollState,
        timeout: Option<Duration>,
        mut wake: impl FnMut(Waker),
    ) -> usize {
        let PollState {
            poll,
            events,
            tick,
            wake: wakers,
        } = state;
        match poll.poll(events, timeout) {
            Ok(()) => {}
            // EINTR (a signal): the caller's park loop polls again. epoll_wait fails
            // otherwise only for a bad descriptor or buffer, which the driver owns.
            Err(_) => return 0,
        }
        *tick = tick.wrapping_add(1);
        {
            let records = self.records.lock();
            for event in events.iter() {
                if event.token() == WAKER_TOKEN {
                    continue;
                }
                if let Some(io) = records.get(event.token()) {
                    io.set_readiness(*tick, Ready::from_mio(event), wakers);
                }
            }
        }
        let woken = wakers.len();
        for waker in wakers.drain(..) {
            wake(waker);
        }
        woken
    }

    /// `worker` is being unparked: if it sleeps in `epoll_wait`, wake it there.
    pub(crate) fn unpark(&self, worker: usize) {
        if self.park_states.notify(worker) == AfterNotify::WakeDriver {
            // Fails only if the eventfd is gone, which cannot happen while `self` lives.
            let _ = self.waker.wake();
        }
    }

    /// The runtime closed: every record is marked shut down and its waiters woken (by
    /// `wake`); later registrations fail.
    pub(crate) fn shutdown(&self, mut wake: impl FnMut(Waker)) {
        let mut wakers = Vec::new();
        {
            let mut records = self.records.lock();
            records.closed = true;
            for io in records.slots.iter().filter_map(|s| s.io.as_ref()) {
                io.shutdown(&mut wakers);
            }
        }
        for waker in wakers {
            wake(waker);
        }
    }
}

/// The error of I/O on a runtime that has shut down.
pub(crate) fn shut_down_error() -> io::Error {
    io::Error::other("the asyncio runtime is shut down")
}
