//! [`IoSource`]: a mio source registered with the current runtime's driver.
//!
//! Every socket type of `asyncio::net` (and the signal stream) is an `IoSource` around
//! the matching mio type. Its I/O methods follow one pattern ([`IoSource::poll_io`]):
//!
//! ```text
//! loop {
//!     event = wait until ready in this direction          (ScheduledIo::poll_readiness)
//!     match the non-blocking call {
//!         WouldBlock => clear exactly `event` and wait again (stale-safe, see scheduled_io)
//!         result     => return it
//!     }
//! }
//! ```
//!
//! A future built on it holds no bytes of its own: dropping it (a cancelled read) loses
//! nothing, because the kernel still has whatever the call did not take.
//!
//! The registration holds the runtime's shared state, so a socket stays usable as long as
//! it lives; after the runtime shut down, waits end with an error instead of hanging.
//! Dropping an `IoSource` deregisters and closes the source.

use std::fmt;
use std::io;
use std::task::{ready, Context, Poll};

use mio::event::Source;
use mio::{Interest, Token};

use crate::io::driver::shut_down_error;
use crate::io::scheduled_io::{Direction, ReadyEvent, ScheduledIo};
use crate::loom::sync::Arc;
use crate::runtime::context;
use crate::runtime::scheduler::Shared;

/// A registered mio source (see the module docs).
pub(crate) struct IoSource<E: Source> {
    source: Option<E>,
    shared: Arc<Shared>,
    token: Token,
    io: Arc<ScheduledIo>,
}

/// The error of creating a socket outside a runtime.
pub(crate) fn no_runtime_error() -> io::Error {
    io::Error::other(
        "no running asyncio runtime: create sockets inside a task, `asyncio::run` or \
         `Runtime::block_on`",
    )
}

impl<E: Source> IoSource<E> {
    /// Registers `source` with the current runtime for reading and writing.
    pub(crate) fn new(source: E) -> io::Result<IoSource<E>> {
        Self::with_interest(source, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `source` with the current runtime for `interest`.
    pub(crate) fn with_interest(mut source: E, interest: Interest) -> io::Result<IoSource<E>> {
        let shared = context::current_shared().ok_or_else(no_runtime_error)?;
        let (token, io) = shared.io.register(&mut source, interest)?;
        Ok(IoSource {
            source: Some(source),
            shared,
            token,
            io,
        })
    }

    /// The source.
    pub(crate) fn get_ref(&self) -> &E {
        self.source
            .as_ref()
            .expect("present until drop or into_inner")
    }

    /// Deregisters the source and hands it back (`into_std`); it stays non-blocking.
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut source = self
            .source
            .take()
            .expect("present until drop or into_inner");
        self.shared.io.deregister(self.token, &mut source)?;
        Ok(source)
    }

    /// Waits until the source is ready in `direction`.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let event = ready!(self.io.poll_readiness(cx, direction));
        if event.is_shutdown {
            return Poll::Ready(Err(shut_down_error()));
        }
        Poll::Ready(Ok(event))
    }

    /// Forgets `event` after a call returned `WouldBlock`.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.io.clear_readiness(event);
    }

    /// Runs the non-blocking `f` once the source is ready in `direction`, waiting again
    /// whenever it returns `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        f: impl FnMut(&E) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_until_drained(cx, direction, f, |_| false)
    }

    /// [`poll_io`](Self::poll_io) for a byte transfer of up to `len` bytes on a *stream*
    /// socket: a transfer shorter than asked means the kernel's buffer is now empty (a
    /// read) or full (a write), so the event's readiness is cleared at once instead of
    /// by a further call that would return `WouldBlock` (tokio does the same: one
    /// `recv` per message instead of two). Stale-safe like every clear: readiness set by
    /// a newer driver poll stays. Not for datagrams, where a short read says nothing
    /// about the next datagram.
    pub(crate) fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        f: impl FnMut(&E) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_until_drained(cx, direction, f, |&n| n > 0 && n < len)
    }

    /// The loop of both: wait for readiness, call `f`; on `WouldBlock` clear the event
    /// and wait again; on a result that `drained` says emptied (or filled) the kernel's
    /// buffer, clear the event and return the result.
    fn poll_io_until_drained<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut f: impl FnMut(&E) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match f(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                Ok(r) if drained(&r) => {
                    self.clear_readiness(event);
                    return Poll::Ready(Ok(r));
                }
                result => return Poll::Ready(result),
            }
        }
    }

    /// Runs the non-blocking `f` now, clearing readiness if it would block (tokio's
    /// `try_io`): for callers that waited with [`poll_ready`](Self::poll_ready).
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        f: impl FnOnce(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let event = self.io.ready_event(direction);
        if event.is_some_and(|ev| ev.is_shutdown) {
            return Err(shut_down_error());
        }
        let result = f(self.get_ref());
        if let (Err(e), Some(ev)) = (&result, event) {
            if e.kind() == io::ErrorKind::WouldBlock {
                self.clear_readiness(ev);
            }
        }
        result
    }
}

impl<E: Source> Drop for IoSource<E> {
    fn drop(&mut self) {
        if let Some(mut source) = self.source.take() {
            let _ = self.shared.io.deregister(self.token, &mut source);
            // The fd closes here.
            drop(source);
        }
    }
}

impl<E: Source + fmt::Debug> fmt::Debug for IoSource<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoSource")
            .field("source", &self.source)
            .field("ready", &self.io.ready())
            .finish()
    }
}
