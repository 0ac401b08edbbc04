//! Unix signals on the runtime: asyncio's `loop.add_signal_handler` /
//! `loop.remove_signal_handler`, and tokio's `ctrl_c`.
//!
//! ```
//! use asyncio::signal;
//!
//! asyncio::run(async {
//!     let got = std::sync::Arc::new(asyncio::Event::new());
//!     let set = got.clone();
//!     signal::add_signal_handler(signal::SIGUSR1, move || set.set()).unwrap();
//!     // SAFETY: raising a signal that has a handler is harmless.
//!     unsafe { libc::raise(signal::SIGUSR1) };
//!     got.wait().await.unwrap();
//!     assert!(signal::remove_signal_handler(signal::SIGUSR1).unwrap());
//! });
//! ```
//!
//! ## Design
//! * **Delivery** is signal-hook's: no signal handler is written here. For each signal a
//!   runtime listens to, one `signal_hook_mio::v1_0::Signals` (signal-hook's registry
//!   action writing to a self-pipe, the pipe's read end a mio source) is registered with
//!   the runtime's reactor as an `IoSource`. The signal handler itself only stores a flag
//!   and writes a byte; everything else happens on the runtime.
//! * **The dispatcher** is not a task (so it never shows in [`all_tasks`](crate::all_tasks)
//!   and cancelling every task leaves the handlers in place, as in asyncio where the
//!   self-pipe is a reader of the loop, not a task). It is a waker, one per runtime, stored
//!   in the readiness record of each of that runtime's signal sources. When the reactor
//!   sees a source readable it wakes it; the wake queues one *drain* callback
//!   (`call_soon`) on the runtime. The drain reads every pending signal, queues each
//!   signal's handler with `call_soon` (asyncio's `_handle_signal`: a handler never runs in
//!   the signal handler, and a panicking handler goes to the exception handler like any
//!   callback) and wakes the [`ctrl_c`] futures waiting for it, then polls the sources
//!   again, which re-stores the waker. Deliveries of one signal between two drains count
//!   as one (as the kernel already does for a pending standard signal).
//! * **State**: one process-wide table under one lock (signals are rare): per runtime, the
//!   signals it listens to (each with its source, its handler and its `ctrl_c` waiters);
//!   per signal, how many runtimes listen to it. A runtime listens to a signal while it
//!   has a handler or a `ctrl_c` waiter for it; the source (and its pipe) is dropped when
//!   neither is left. Handlers and wakers run, and replaced handlers are dropped, outside
//!   the lock.
//! * **Several runtimes** may listen to the same signal: each gets every delivery (each has
//!   its own `Signals`). Handlers are per runtime, as asyncio's are per loop.
//!
//! ## The default disposition
//! signal-hook cannot uninstall its process-wide handler (`low_level::unregister` removes
//! an action, but the handler stays, so with no action left the signal would be ignored
//! from then on). So the first time this module touches a signal it reads the signal's
//! disposition; if that was the default (`SIG_DFL`), it also registers signal-hook's
//! `flag::register_conditional_default` action, whose flag says "nobody in this process
//! listens": when a signal arrives while the flag is set, signal-hook's
//! `emulate_default_handler` does what the default would (terminate for `SIGINT`,
//! `SIGTERM`, `SIGUSR1`...; nothing for `SIGCHLD`, `SIGWINCH`; stop for `SIGTSTP`). The
//! flag is cleared while any runtime listens and set again when the last one stops, so
//! after the last [`remove_signal_handler`] (or the last `ctrl_c` future is dropped)
//! `SIGINT` terminates the process again, as after asyncio's
//! `remove_signal_handler(SIGINT)`. A disposition that was `SIG_IGN` stays ignored, and a
//! foreign handler installed before stays chained (signal-hook calls it). Signals
//! signal-hook has no default for (the real-time ones) are ignored once nobody listens.
//!
//! ## Runtime shutdown
//! Shutting the runtime down wakes every waiter of its reactor, the dispatcher included
//! (or drops its queued drain callback unrun): either way the runtime's table entry is
//! removed, every source deregistered and closed (the self-pipe's two descriptors), the
//! signal-hook actions unregistered, the handlers dropped, and waiting `ctrl_c` futures
//! end with an error. Handler calls already queued are dropped with the runtime's other
//! callbacks: no handler runs after shutdown.
//!
//! ## Differences from asyncio
//! Handlers are `Fn() + Send + Sync` closures (capture what asyncio passes as `*args`);
//! any thread of the process may register them (asyncio requires the main thread); the
//! synchronous fault signals (`SIGSEGV`, `SIGILL`, `SIGFPE`) are refused, as signal-hook
//! refuses them.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
// Through the facade like every primitive; this module is compiled only without loom, where
// the facade's atomics are std's (signal-hook's flag API takes `Arc<std AtomicBool>`).
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use libc::c_int;
use mio::event::Source;
use mio::{Interest, Registry, Token};
use signal_hook_mio::v1_0::Signals;

use crate::io::driver::shut_down_error;
use crate::io::registration::{no_runtime_error, IoSource};
use crate::io::scheduled_io::Direction;
use crate::loom::sync::{Arc, Weak};
use crate::loom::{Mutex, OnceLock, StdArc};
use crate::runtime::context;
use crate::runtime::scheduler::Shared;
use crate::runtime::Handle;

/// The usual signal numbers (the C library's), for the functions of this module; any
/// other valid number works too.
///
/// ```
/// assert_eq!(asyncio::signal::SIGINT, libc::SIGINT);
/// assert_ne!(asyncio::signal::SIGTERM, asyncio::signal::SIGINT);
/// ```
pub use libc::{
    SIGALRM, SIGCHLD, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
};

/// A signal handler (asyncio's `callback, *args`).
type Callback = StdArc<dyn Fn() + Send + Sync>;

/// Signal numbers signal-hook accepts are below this.
const MAX_SIGNAL: c_int = 128;

// ---- the public API ------------------------------------------------------------------

/// Calls `callback` on the running runtime whenever signal `sig` arrives (asyncio's
/// `loop.add_signal_handler(sig, callback)`).
///
/// A handler replaces the runtime's previous handler for `sig`. It runs as a callback of
/// the runtime (`call_soon`), never inside the signal handler; a panic in it goes to the
/// exception handler. Until it is removed the signal's default action (terminating the
/// process for most signals) does not happen. Several deliveries before the handler is
/// scheduled may run it once.
///
/// # Errors
/// [`InvalidInput`](io::ErrorKind::InvalidInput) for a signal number the system does not
/// have, for `SIGKILL` and `SIGSTOP` (they cannot be caught) and for `SIGSEGV`, `SIGILL`,
/// `SIGFPE` (refused by signal-hook); an error outside a runtime or on one that shut down.
///
/// ```
/// use asyncio::signal::{add_signal_handler, SIGUSR2};
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// asyncio::run(async {
///     let calls = Arc::new(AtomicUsize::new(0));
///     let done = Arc::new(asyncio::Event::new());
///     let (c, d) = (calls.clone(), done.clone());
///     add_signal_handler(SIGUSR2, move || {
///         c.fetch_add(1, Ordering::SeqCst);
///         d.set();
///     })
///     .unwrap();
///     // SAFETY: SIGUSR2 has a handler now.
///     unsafe { libc::raise(SIGUSR2) };
///     done.wait().await.unwrap();
///     assert_eq!(calls.load(Ordering::SeqCst), 1);
///
///     let err = add_signal_handler(libc::SIGKILL, || {}).unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// });
/// ```
pub fn add_signal_handler<F>(sig: c_int, callback: F) -> io::Result<()>
where
    F: Fn() + Send + Sync + 'static,
{
    let shared = context::current_shared().ok_or_else(no_runtime_error)?;
    let disposition = check_signal(sig)?;
    if shared.is_closed() {
        return Err(shut_down_error());
    }
    // Each call runs in a copy of the context current here (asyncio's signal `Handle`
    // is made with `context=None`: a copy at registration).
    let vars = crate::contextvars::current::current_vars();
    let callback: Callback = StdArc::new(move || {
        let mut context = crate::contextvars::current::TaskContext::Private {
            vars: vars.clone(),
            id: 0,
        };
        let _entered = crate::contextvars::current::enter(&mut context);
        callback()
    });
    let (replaced, dispatcher) = {
        let mut global = global().lock();
        let (entry, created) = global.entry(&shared, sig, disposition)?;
        let replaced = entry.handler.replace(callback);
        let dispatcher = global.runtimes[&key(&shared)].dispatcher.clone();
        (replaced, created.then_some(dispatcher))
    };
    // A new source: the dispatcher polls it (which stores its waker there).
    if let Some(d) = dispatcher {
        d.wake_by_ref();
    }
    drop(replaced);
    Ok(())
}

/// Removes the running runtime's handler for `sig` (asyncio's
/// `loop.remove_signal_handler(sig)`): `true` if there was one.
///
/// Once no runtime of the process listens to `sig` any more, its default disposition is
/// back (see the module docs): `SIGINT` terminates the process again.
///
/// # Errors
/// As [`add_signal_handler`] for an invalid signal, and outside a runtime.
///
/// ```
/// use asyncio::signal::{add_signal_handler, remove_signal_handler, SIGHUP};
///
/// asyncio::run(async {
///     add_signal_handler(SIGHUP, || println!("reload")).unwrap();
///     assert!(remove_signal_handler(SIGHUP).unwrap());
///     assert!(!remove_signal_handler(SIGHUP).unwrap());
///     assert!(remove_signal_handler(0).is_err());
/// });
/// ```
pub fn remove_signal_handler(sig: c_int) -> io::Result<bool> {
    let shared = context::current_shared().ok_or_else(no_runtime_error)?;
    check_signal(sig)?;
    let mut garbage = Garbage::default();
    let removed = {
        let mut global = global().lock();
        let k = key(&shared);
        let Some(entry) = global
            .runtimes
            .get_mut(&k)
            .and_then(|rt| rt.entries.get_mut(&sig))
        else {
            return Ok(false);
        };
        let Some(handler) = entry.handler.take() else {
            return Ok(false);
        };
        garbage.handlers.push(handler);
        global.release_if_unused(k, sig, &mut garbage);
        true
    };
    drop(garbage);
    Ok(removed)
}

/// Waits for the next `SIGINT` (Ctrl-C) (tokio's `signal::ctrl_c`).
///
/// The listener is installed when `ctrl_c()` is called, so a `SIGINT` arriving between
/// the call and the first poll is not missed. While any `ctrl_c` future (or a `SIGINT`
/// handler) lives, `SIGINT` does not terminate the process; once the last is gone, it does
/// again. Every pending `ctrl_c` future of the runtime resolves on one `SIGINT`, and the
/// runtime's `SIGINT` handler, if any, runs too.
///
/// The future is a runtime-aware await point: a pending `cancel()` of the task is
/// delivered there as an `io::Error` wrapping the
/// [`CancelledError`](crate::CancelledError). It fails if called outside a runtime, and
/// when the runtime shuts down.
///
/// ```
/// asyncio::run(async {
///     let ctrl_c = asyncio::signal::ctrl_c();
///     // SAFETY: SIGINT is being listened to.
///     unsafe { libc::raise(libc::SIGINT) };
///     ctrl_c.await.unwrap();
/// });
/// ```
pub fn ctrl_c() -> CtrlC {
    CtrlC {
        listener: Listener::new(SIGINT),
    }
}

/// The future of [`ctrl_c`]: `Ok(())` once `SIGINT` arrived.
///
/// ```
/// asyncio::run(async {
///     let wait = asyncio::create_task(asyncio::signal::ctrl_c());
///     // Dropping the future (here: cancelling its task) stops listening.
///     wait.cancel(None);
///     // Cancelled before its first step, or delivered at the await point as an
///     // `io::Error` carrying the cancellation: either way the task ends cancelled.
///     assert!(wait.await.unwrap_err().is_cancelled());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct CtrlC {
    listener: Result<Listener, Option<io::Error>>,
}

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(cancelled) = crate::task::cancel::deliver_pending_cancel() {
            return Poll::Ready(Err(cancelled.into()));
        }
        match &mut self.listener {
            Ok(listener) => listener.poll(cx),
            Err(e) => Poll::Ready(Err(e
                .take()
                .unwrap_or_else(|| io::Error::other("ctrl_c: polled after it failed")))),
        }
    }
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CtrlC")
            .field("listening", &self.listener.is_ok())
            .finish()
    }
}

// ---- validation ----------------------------------------------------------------------

/// `Ok(true)` if `sig` is a signal this module can listen to and its current disposition
/// is the default; `Ok(false)` if it is listenable with another disposition.
fn check_signal(sig: c_int) -> io::Result<bool> {
    let invalid =
        |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("sig {sig} {why}"));
    if sig == libc::SIGKILL || sig == libc::SIGSTOP {
        return Err(invalid("cannot be caught"));
    }
    if signal_hook::consts::FORBIDDEN.contains(&sig) {
        return Err(invalid(
            "is a fault signal, which signal-hook refuses to handle",
        ));
    }
    if !(1..MAX_SIGNAL).contains(&sig) {
        return Err(invalid("is not a valid signal number"));
    }
    // SAFETY: an all-zero `sigaction` is a valid value of this plain C struct.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only queries; `old` is a valid, writable `sigaction`.
    if unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } != 0 {
        // EINVAL: not a signal of this system (or one the C library reserves).
        return Err(invalid("is not a valid signal number"));
    }
    Ok(old.sa_sigaction == libc::SIG_DFL)
}

// ---- the process-wide table ----------------------------------------------------------

/// The table's key for a runtime: its shared state's address (stable while the table
/// holds a `Handle` to it).
fn key(shared: &Arc<Shared>) -> usize {
    Arc::as_ptr(shared) as usize
}

fn global() -> &'static Mutex<Global> {
    static GLOBAL: OnceLock<Mutex<Global>> = OnceLock::new();
    GLOBAL.get_or_init(|| Mutex::new(Global::default()))
}

#[derive(Default)]
struct Global {
    runtimes: BTreeMap<usize, RuntimeSignals>,
    process: BTreeMap<c_int, ProcessSignal>,
    next_waiter: u64,
}

/// One runtime's signals. In the table only while it listens to at least one.
struct RuntimeSignals {
    handle: Handle,
    dispatcher: StdArc<Dispatcher>,
    entries: BTreeMap<c_int, Entry>,
}

/// One signal one runtime listens to.
struct Entry {
    source: IoSource<SignalSource>,
    handler: Option<Callback>,
    waiters: Vec<Waiter>,
}

impl Entry {
    fn is_unused(&self) -> bool {
        self.handler.is_none() && self.waiters.is_empty()
    }
}

/// A `ctrl_c` future's slot.
struct Waiter {
    id: u64,
    fired: bool,
    waker: Option<Waker>,
}

/// One signal, process-wide.
struct ProcessSignal {
    /// Runtimes listening to it.
    listeners: usize,
    /// The flag of the conditional default action, when the disposition we found was the
    /// default: set = "emulate the default action".
    emulate_default: Option<StdArc<AtomicBool>>,
}

/// What the table let go of, dropped (or woken) after its lock is released: user
/// closures may do anything in their destructors, and a wake may drop a task.
#[derive(Default)]
struct Garbage {
    entries: Vec<Entry>,
    handlers: Vec<Callback>,
    wakers: Vec<Waker>,
}

impl Drop for Garbage {
    fn drop(&mut self) {
        for entry in self.entries.drain(..) {
            self.wakers
                .extend(entry.waiters.into_iter().filter_map(|w| w.waker));
            drop(entry.handler);
            // Deregisters and closes the pipe; drops signal-hook's action.
            drop(entry.source);
        }
        self.handlers.clear();
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
    }
}

impl Global {
    /// The entry of `sig` for the runtime of `shared`, created if needed (`true`).
    fn entry(
        &mut self,
        shared: &Arc<Shared>,
        sig: c_int,
        default_disposition: bool,
    ) -> io::Result<(&mut Entry, bool)> {
        let k = key(shared);
        let exists = self
            .runtimes
            .get(&k)
            .is_some_and(|rt| rt.entries.contains_key(&sig));
        if !exists {
            let process = self.process.entry(sig).or_insert_with(|| ProcessSignal {
                listeners: 0,
                emulate_default: first_touch(sig, default_disposition),
            });
            // Registers signal-hook's action, then the pipe with the reactor.
            let signals = Signals::new([sig])?;
            let source =
                IoSource::with_interest(SignalSource(Mutex::new(signals)), Interest::READABLE)?;
            process.listeners += 1;
            if let Some(flag) = &process.emulate_default {
                flag.store(false, Ordering::SeqCst);
            }
            let rt = self.runtimes.entry(k).or_insert_with(|| RuntimeSignals {
                handle: Handle {
                    shared: shared.clone(),
                },
                dispatcher: StdArc::new(Dispatcher {
                    key: k,
                    shared: Arc::downgrade(shared),
                    scheduled: AtomicBool::new(false),
                }),
                entries: BTreeMap::new(),
            });
            rt.entries.insert(
                sig,
                Entry {
                    source,
                    handler: None,
                    waiters: Vec::new(),
                },
            );
        }
        let entry = self
            .runtimes
            .get_mut(&k)
            .and_then(|rt| rt.entries.get_mut(&sig))
            .expect("present: found or inserted above");
        Ok((entry, !exists))
    }

    /// Drops the entry of `sig` of runtime `k` if nothing uses it, and the runtime's
    /// record if that was its last.
    fn release_if_unused(&mut self, k: usize, sig: c_int, garbage: &mut Garbage) {
        let Some(rt) = self.runtimes.get_mut(&k) else {
            return;
        };
        if !rt.entries.get(&sig).is_some_and(Entry::is_unused) {
            return;
        }
        let entry = rt.entries.remove(&sig).expect("checked above");
        if rt.entries.is_empty() {
            self.runtimes.remove(&k);
        }
        self.release_process(sig);
        garbage.entries.push(entry);
    }

    /// One runtime stopped listening to `sig`.
    fn release_process(&mut self, sig: c_int) {
        if let Some(process) = self.process.get_mut(&sig) {
            process.listeners -= 1;
            if process.listeners == 0 {
                if let Some(flag) = &process.emulate_default {
                    flag.store(true, Ordering::SeqCst);
                }
            }
        }
    }

    /// The signals of `dispatcher`'s runtime, if they are still there: not torn down,
    /// and the key not reused by another runtime since.
    fn runtime_of(&mut self, dispatcher: &StdArc<Dispatcher>) -> Option<&mut RuntimeSignals> {
        self.runtimes
            .get_mut(&dispatcher.key)
            .filter(|rt| StdArc::ptr_eq(&rt.dispatcher, dispatcher))
    }

    /// `dispatcher`'s runtime shut down: everything of it goes.
    fn tear_down(&mut self, dispatcher: &StdArc<Dispatcher>, garbage: &mut Garbage) {
        if self.runtime_of(dispatcher).is_none() {
            return;
        }
        let rt = self
            .runtimes
            .remove(&dispatcher.key)
            .expect("checked above");
        for (sig, entry) in rt.entries {
            self.release_process(sig);
            garbage.entries.push(entry);
        }
    }
}

/// The first time `sig` is listened to in this process: with the default disposition,
/// registers signal-hook's conditional default action (armed until a listener exists;
/// the caller disarms it once its own action is in place). Kept for the process's life.
fn first_touch(sig: c_int, default_disposition: bool) -> Option<StdArc<AtomicBool>> {
    if !default_disposition {
        return None;
    }
    let flag = StdArc::new(AtomicBool::new(true));
    // Fails only for signals signal-hook has no default for (real-time ones): those are
    // ignored once nobody listens (documented in the module docs).
    signal_hook::flag::register_conditional_default(sig, flag.clone()).ok()?;
    Some(flag)
}

// ---- the source ----------------------------------------------------------------------

/// signal-hook's `Signals` behind a lock, since reading it takes `&mut` and an
/// `IoSource` lends `&` (only the drain reads it, under the table's lock anyway).
struct SignalSource(Mutex<Signals>);

impl SignalSource {
    /// Empties the pipe and takes the pending flags: `true` if the signal arrived.
    fn take_pending(&self) -> bool {
        self.0.lock().pending().count() > 0
    }
}

impl Source for SignalSource {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        self.0.lock().register(registry, token, interest)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        self.0.lock().reregister(registry, token, interest)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.0.lock().deregister(registry)
    }
}

// ---- the dispatcher ------------------------------------------------------------------

/// A runtime's dispatcher: the waker in each of its signal sources (see the module docs).
struct Dispatcher {
    key: usize,
    shared: Weak<Shared>,
    /// A drain callback is queued and has not started.
    scheduled: AtomicBool,
}

impl Wake for Dispatcher {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        if shared.is_closed() {
            self.tear_down();
            return;
        }
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let drain = Drain(self.clone());
        // On a runtime closing meanwhile the callback is dropped unrun: `Drain`'s drop
        // tears down then.
        Handle { shared }.call_soon(move || drain.run());
    }
}

impl Dispatcher {
    fn tear_down(self: &StdArc<Self>) {
        let mut garbage = Garbage::default();
        global().lock().tear_down(self, &mut garbage);
        drop(garbage);
    }

    /// Reads every source of the runtime; queues the handlers and wakes the `ctrl_c`
    /// waiters of the signals that arrived.
    fn drain(self: &StdArc<Self>) {
        self.scheduled.store(false, Ordering::Release);
        let mut garbage = Garbage::default();
        let mut calls: Vec<Callback> = Vec::new();
        let mut handle = None;
        {
            let mut global = global().lock();
            let Some(rt) = global.runtime_of(self) else {
                return;
            };
            let waker = Waker::from(self.clone());
            let mut cx = Context::from_waker(&waker);
            let mut shut_down = rt.handle.is_closed();
            for entry in rt.entries.values_mut() {
                if shut_down {
                    break;
                }
                let mut fired = false;
                loop {
                    match entry.source.poll_ready(&mut cx, Direction::Read) {
                        Poll::Ready(Ok(event)) => {
                            // Cleared first: a byte written after this sets it again.
                            entry.source.clear_readiness(event);
                            fired |= entry.source.get_ref().take_pending();
                        }
                        Poll::Ready(Err(_)) => {
                            shut_down = true;
                            break;
                        }
                        Poll::Pending => break,
                    }
                }
                if fired {
                    calls.extend(entry.handler.clone());
                    for waiter in &mut entry.waiters {
                        waiter.fired = true;
                        garbage.wakers.extend(waiter.waker.take());
                    }
                }
            }
            if shut_down {
                calls.clear();
                global.tear_down(self, &mut garbage);
            } else {
                handle = Some(rt.handle.clone());
            }
        }
        if let Some(handle) = handle {
            for call in calls {
                handle.call_soon(move || call());
            }
        }
        drop(garbage);
    }
}

/// The queued drain: runs it, or tears the runtime's signals down if dropped unrun on a
/// closed runtime.
struct Drain(StdArc<Dispatcher>);

impl Drain {
    fn run(self) {
        self.0.drain();
    }
}

impl Drop for Drain {
    fn drop(&mut self) {
        if self.0.shared.upgrade().is_some_and(|s| s.is_closed()) {
            self.0.tear_down();
        }
    }
}

// ---- listeners (ctrl_c) --------------------------------------------------------------

/// A `ctrl_c` future's registration.
struct Listener {
    key: usize,
    dispatcher: StdArc<Dispatcher>,
    sig: c_int,
    id: u64,
}

impl Listener {
    fn new(sig: c_int) -> Result<Listener, Option<io::Error>> {
        let shared = context::current_shared().ok_or_else(no_runtime_error)?;
        let disposition = check_signal(sig)?;
        if shared.is_closed() {
            return Err(Some(shut_down_error()));
        }
        let (listener, created) = {
            let mut global = global().lock();
            global.next_waiter += 1;
            let id = global.next_waiter;
            let (entry, created) = global.entry(&shared, sig, disposition)?;
            entry.waiters.push(Waiter {
                id,
                fired: false,
                waker: None,
            });
            let k = key(&shared);
            let listener = Listener {
                key: k,
                dispatcher: global.runtimes[&k].dispatcher.clone(),
                sig,
                id,
            };
            (listener, created)
        };
        if created {
            listener.dispatcher.wake_by_ref();
        }
        Ok(listener)
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A replaced waker is dropped after the lock (it may hold the last reference to
        // a task).
        let mut replaced = None;
        let result = {
            let mut global = global().lock();
            let waiter = global
                .runtime_of(&self.dispatcher)
                .and_then(|rt| rt.entries.get_mut(&self.sig))
                .and_then(|entry| entry.waiters.iter_mut().find(|w| w.id == self.id));
            match waiter {
                // Torn down: the runtime shut down.
                None => Poll::Ready(Err(shut_down_error())),
                Some(w) if w.fired => {
                    w.fired = false;
                    Poll::Ready(Ok(()))
                }
                Some(w) => {
                    if !w
                        .waker
                        .as_ref()
                        .is_some_and(|old| old.will_wake(cx.waker()))
                    {
                        replaced = w.waker.replace(cx.waker().clone());
                    }
                    Poll::Pending
                }
            }
        };
        drop(replaced);
        result
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let mut garbage = Garbage::default();
        {
            let mut global = global().lock();
            let Some(rt) = global.runtime_of(&self.dispatcher) else {
                return;
            };
            if let Some(entry) = rt.entries.get_mut(&self.sig) {
                entry.waiters.retain(|w| w.id != self.id);
            }
            global.release_if_unused(self.key, self.sig, &mut garbage);
        }
        drop(garbage);
    }
}
