//! `timeout` / `timeout_at` scopes and `wait_for` (asyncio's `timeouts.py`, `wait_for`).
//!
//! A scope runs a future inside the current task. On expiry it cancels the *task* (so the
//! cancellation is delivered at the body's await points, and forwarded to whatever the
//! task awaits, as in asyncio), and at the scope's exit turns *that* cancellation into
//! `TimeoutError`:
//!
//! ```text
//! enter: remember task.cancelling() and the task's live cancellation tokens;
//!        schedule on_timeout at `when` (call_soon if already past)
//! on_timeout: task.cancel(); state = EXPIRING
//! exit:  cancel the timer; if EXPIRING: state = EXPIRED, and if
//!        task.uncancel() <= cancelling-at-enter  (no other cancel request is pending)
//!        and the body propagated a cancellation (a tracked token of the task is alive
//!        in its output, or it never got to see it, below): drop the output, TimeoutError
//! ```
//!
//! So nested scopes work: only the scope whose own cancel is the outstanding one converts;
//! an outer cancel (or outer scope) sees its `CancelledError` propagate. A body that
//! catches the cancellation and returns a value returns that value ("the result wins",
//! the 3.12+ `wait_for` rule). `uncancel()` reaching 0 also withdraws a cancel that
//! arrived too late to be delivered (3.13).
//!
//! Decisions beyond asyncio:
//! * A body suspended on a future foreign to this runtime cannot receive the cancel; the
//!   scope sees the request still pending after polling the body and takes it itself:
//!   the body is dropped and the scope returns `TimeoutError` (instead of the task being
//!   cancelled by force). This is what makes `timeout` work on any future.
//! * Several workers: `on_timeout` runs as a callback, possibly while the task runs on
//!   another worker. The scope's state is behind a lock that `on_timeout` and the exit
//!   both take, so a late `on_timeout` after the exit does nothing.
//! * The `TimeoutError` keeps the cancellation it replaced as its `source()` (asyncio's
//!   `raise TimeoutError from exc`), untracked, with the message of the task's latest
//!   cancellation: the body's output, which held the tracked token, is generic and is
//!   dropped whole.
//! * `timeout_at(when)` keeps `when` as given (seconds on the `time()` scale or an
//!   `Instant`), so `when()` / `deadline()` return it exactly, also after `reschedule_at`.
//! * `wait_for(fut, d)` is `timeout(d)` around `fut`, except for a zero `d` (asyncio's
//!   `timeout <= 0`; a `Duration` cannot be negative). asyncio 3.12+ then wraps a coroutine
//!   in a task and cancels it before its first step, so it never starts, while a future or
//!   task that is already done gives its outcome, and a pending one is cancelled and waited
//!   for. Inside `wait_for` a Rust coroutine (`async` block) and a `Task` handle are both
//!   just `F: Future`: without specialization the two cannot be told apart without polling
//!   the future. So the scope cancels the task *as it enters*, before the body's first
//!   poll, instead of a loop iteration later, and the body's first await point receives
//!   the cancellation: a done `Task`/`Future`/`Shield` gives its outcome at once (their
//!   await points read a done outcome before a pending cancellation: the scope then takes
//!   its request back and converts nothing, so a cancelled done task gives its
//!   `CancelledError`, as asyncio's `fut.result()` raises it); a pending one has the
//!   cancellation forwarded to it and is waited for; this runtime's own awaitables
//!   (`sleep`, `Queue::get`, `Lock::acquire`, reads...) deliver it before doing anything,
//!   so they take nothing and end in `TimeoutError`, as if never started; a foreign future
//!   is dropped after one poll. The difference left: the code of an `async` block up to
//!   its first await point runs (an `async` block without any returns its value), as
//!   asyncio's does with the eager task factory.

use crate::compose::awaitable::{AwaitableKind, IntoAwaited};
use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;
use crate::loom::Mutex;
use crate::runtime::callbacks::{
    call_at_on, new_callback, CallbackHandle, CallbackStart, TimerHandle,
};
use crate::runtime::scheduler::Shared;
use crate::runtime::time::clock::{self, IntoDeadline};
use crate::task::cancel::{take_own_pending_cancel, CancelledError};
use crate::task::current;
use crate::task::error::{RuntimeError, TimeoutError};
use crate::task::graph::scopes::{self, ScopeGuard};
use crate::task::graph::ScopeKind;
use crate::task::TaskRef;

/// A timeout scope (asyncio's `asyncio.Timeout`), before it runs its body.
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let r = asyncio::timeout(Some(Duration::from_millis(10)))
///         .run(async {
///             asyncio::sleep(Duration::from_secs(60)).await?;
///             Ok::<_, asyncio::CancelledError>("too slow")
///         })
///         .await;
///     assert!(r.is_err()); // TimeoutError
/// });
/// ```
#[must_use = "a timeout does nothing until `run` is awaited"]
pub struct Timeout {
    shared: StdArc<ScopeShared>,
    /// Where `timeout(..)` was called, for the call graph.
    at: &'static Location<'static>,
}

/// Controls a running (or not yet entered) timeout scope from anywhere:
/// [`reschedule`](TimeoutHandle::reschedule), [`when`](TimeoutHandle::when),
/// [`expired`](TimeoutHandle::expired).
#[derive(Clone)]
pub struct TimeoutHandle {
    shared: StdArc<ScopeShared>,
}

/// asyncio's `_State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Created,
    Entered,
    Expiring,
    Expired,
    Exited,
}

enum Handler {
    Timer(TimerHandle),
    Soon(CallbackHandle),
}

impl Handler {
    fn cancel(&self) {
        match self {
            Handler::Timer(t) => t.cancel(),
            Handler::Soon(c) => c.cancel(),
        }
    }
}

/// A deadline as it was given: an `Instant`, or seconds on the [`time()`](crate::time)
/// scale, kept as given so that [`TimeoutHandle::when`] returns exactly them (asyncio's
/// `cm.when() == deadline`); `instant` is what the timer is armed with.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    instant: Instant,
    seconds: Option<f64>,
}

impl Deadline {
    fn of(when: impl IntoDeadline) -> Deadline {
        let seconds = when.loop_time();
        Deadline {
            instant: when.into_instant(),
            seconds,
        }
    }

    fn at(instant: Instant) -> Deadline {
        Deadline {
            instant,
            seconds: None,
        }
    }

    fn seconds(&self) -> f64 {
        self.seconds
            .unwrap_or_else(|| clock::seconds_of_instant(self.instant))
    }
}

struct ScopeState {
    phase: Phase,
    when: Option<Deadline>,
    handler: Option<Handler>,
    task: Option<TaskRef>,
    runtime: Option<Arc<Shared>>,
    cancelling_at_enter: u32,
}

struct ScopeShared {
    state: Mutex<ScopeState>,
}

/// A scope that expires after `delay` (`None`: never, until rescheduled).
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let v = asyncio::timeout(Some(Duration::from_secs(5))).run(async { 7 }).await;
///     assert_eq!(v.unwrap(), 7);
/// });
/// ```
#[track_caller]
pub fn timeout(delay: Option<Duration>) -> Timeout {
    Timeout::new(
        delay.map(|d| Deadline::at(clock::now().checked_add(d).unwrap_or_else(far_future))),
    )
}

/// A scope that expires at `when`: an `Instant`, or seconds on the
/// [`time()`](crate::time) scale (asyncio's `timeout_at(loop.time() + ...)`). For a scope
/// without a deadline use `timeout(None)`. [`TimeoutHandle::when`] returns `when` exactly
/// as given (seconds), [`TimeoutHandle::deadline`] the `Instant` as given.
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let r = asyncio::timeout_at(asyncio::time() + 0.005)
///         .run(asyncio::sleep(Duration::from_secs(60)))
///         .await;
///     assert!(r.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout_at(when: impl IntoDeadline) -> Timeout {
    Timeout::new(Some(Deadline::of(when)))
}

fn far_future() -> Instant {
    clock::now() + Duration::from_secs(86_400 * 365 * 30)
}

impl Timeout {
    #[track_caller]
    fn new(when: Option<Deadline>) -> Timeout {
        Timeout {
            at: Location::caller(),
            shared: StdArc::new(ScopeShared {
                state: Mutex::new(ScopeState {
                    phase: Phase::Created,
                    when,
                    handler: None,
                    task: None,
                    runtime: None,
                    cancelling_at_enter: 0,
                }),
            }),
        }
    }

    /// A handle to reschedule or inspect the scope, also from inside its body.
    pub fn handle(&self) -> TimeoutHandle {
        TimeoutHandle {
            shared: self.shared.clone(),
        }
    }

    /// Runs `body` inside the scope (asyncio's `async with timeout(...)`). Resolves to the
    /// body's output, or `TimeoutError` if the scope expired and the body propagated the
    /// cancellation (see the module docs).
    ///
    /// While it runs, the scope shows in the task call graph
    /// ([`Handle::task_tree`](crate::Handle::task_tree)) with the line of `timeout(..)`.
    ///
    /// # Panics
    /// When polled outside a task of an asyncio runtime (asyncio: "Timeout should be used
    /// inside a task").
    #[track_caller]
    pub fn run<A: IntoAwaited>(self, body: A) -> TimeoutScope<A::Future> {
        TimeoutScope {
            shared: self.shared,
            at: self.at,
            graph_kind: ScopeKind::Timeout,
            graph: None,
            body: Some(body.into_awaited()),
            never_start: false,
            tokens_at_enter: 0,
            cancel_at_enter: false,
            precancelled: false,
            unseen: false,
        }
    }
}

impl TimeoutHandle {
    /// The deadline on the [`time()`](crate::time) scale, or `None`: exactly the seconds
    /// given to [`timeout_at`] or [`reschedule_at`](Self::reschedule_at), if it was given
    /// that way.
    pub fn when(&self) -> Option<f64> {
        self.shared.state.lock().when.map(|d| d.seconds())
    }

    /// The deadline as an `Instant`, or `None`: exactly the `Instant` given, if it was
    /// given that way.
    pub fn deadline(&self) -> Option<Instant> {
        self.shared.state.lock().when.map(|d| d.instant)
    }

    /// `true` once the scope expired (asyncio's `expired()`).
    pub fn expired(&self) -> bool {
        matches!(
            self.shared.state.lock().phase,
            Phase::Expiring | Phase::Expired
        )
    }

    /// Moves the deadline (`None`: never). An error once the scope expired or exited
    /// (asyncio: "Cannot change state of expiring/expired Timeout").
    pub fn reschedule(&self, when: Option<Instant>) -> Result<(), RuntimeError> {
        self.reschedule_to(when.map(Deadline::at))
    }

    fn reschedule_to(&self, when: Option<Deadline>) -> Result<(), RuntimeError> {
        let mut st = self.shared.state.lock();
        match st.phase {
            Phase::Created => {
                st.when = when;
                Ok(())
            }
            Phase::Entered => {
                if let Some(h) = st.handler.take() {
                    h.cancel();
                }
                st.when = when;
                arm(&self.shared, &mut st);
                Ok(())
            }
            Phase::Expiring | Phase::Expired => Err(RuntimeError::new(
                "Cannot change state of expiring or expired Timeout",
            )),
            Phase::Exited => Err(RuntimeError::new(
                "Cannot change state of a finished Timeout",
            )),
        }
    }

    /// Moves the deadline to `when`: an `Instant` or seconds on the [`time()`](crate::time)
    /// scale (asyncio's `reschedule(loop.time() + ...)`).
    pub fn reschedule_at(&self, when: impl IntoDeadline) -> Result<(), RuntimeError> {
        self.reschedule_to(Some(Deadline::of(when)))
    }

    /// Moves the deadline to `delay` from now (`None`: never).
    pub fn reschedule_after(&self, delay: Option<Duration>) -> Result<(), RuntimeError> {
        self.reschedule(delay.map(|d| clock::now().checked_add(d).unwrap_or_else(far_future)))
    }
}

/// Schedules `on_timeout` for the current `when` (the caller holds the state lock).
fn arm(shared: &StdArc<ScopeShared>, st: &mut ScopeState) {
    let (Some(when), Some(rt)) = (st.when, st.runtime.clone()) else {
        return;
    };
    let when = when.instant;
    let weak = StdArc::downgrade(shared);
    let on_timeout = move || {
        if let Some(shared) = weak.upgrade() {
            on_timeout(&shared);
        }
    };
    st.handler = Some(if when <= clock::now() {
        Handler::Soon(new_callback(&rt, on_timeout, CallbackStart::Soon).0)
    } else {
        Handler::Timer(call_at_on(&rt, when, on_timeout))
    });
}

fn on_timeout(shared: &ScopeShared) {
    let mut st = shared.state.lock();
    if st.phase != Phase::Entered {
        return; // exited (or rescheduled) meanwhile
    }
    st.handler = None;
    if let Some(task) = &st.task {
        task.cancel(None);
    }
    st.phase = Phase::Expiring;
}

/// Future returned by [`Timeout::run`].
#[must_use = "futures do nothing unless awaited"]
pub struct TimeoutScope<F> {
    shared: StdArc<ScopeShared>,
    /// Where the scope was written, its kind, and its entry in the call graph's scope
    /// registry while entered.
    at: &'static Location<'static>,
    graph_kind: ScopeKind,
    graph: Option<ScopeGuard>,
    body: Option<F>,
    tokens_at_enter: u32,
    /// `wait_for` with a zero timeout: the scope cancels the task as it enters, before
    /// the body's first poll (asyncio 3.12+ cancels the awaitable before its first step).
    cancel_at_enter: bool,
    /// The scope cancelled the task as it entered (during the current first poll).
    precancelled: bool,
    /// `wait_for(coroutine, 0)`: the body is dropped unpolled at the first poll (asyncio
    /// never starts the coroutine) and the scope resolves to `TimeoutError`.
    never_start: bool,
    /// The body completed in its first poll without reaching an await point that took
    /// the scope's cancellation (an awaitable that was already done): it is not converted.
    unseen: bool,
}

impl<F> TimeoutScope<F> {
    /// A handle on this scope.
    pub fn handle(&self) -> TimeoutHandle {
        TimeoutHandle {
            shared: self.shared.clone(),
        }
    }

    fn enter(&mut self) {
        let task = current::current_raw()
            .map(TaskRef::clone_from_raw)
            .expect("asyncio::timeout must be awaited inside a task of an asyncio runtime");
        self.tokens_at_enter = task.header().live_tokens.load(Ordering::Acquire);
        self.graph = scopes::enter(self.graph_kind, self.at, None);
        let mut st = self.shared.state.lock();
        debug_assert_eq!(st.phase, Phase::Created);
        st.phase = Phase::Entered;
        st.cancelling_at_enter = task.cancelling();
        st.runtime = Some(task.header().scheduler.clone());
        st.task = Some(task);
        let due = st.when.is_some_and(|d| d.instant <= clock::now());
        if self.cancel_at_enter && due {
            // `on_timeout` now, not at the next loop iteration: the body's first await
            // point receives the cancellation (or forwards it to the task it awaits).
            if let Some(task) = &st.task {
                task.cancel(None);
                crate::task::cancel::arm_for_this_step();
            }
            st.phase = Phase::Expiring;
            self.precancelled = true;
        } else {
            arm(&self.shared, &mut st);
        }
    }

    /// Leaves the scope with the body's output (`None`: the scope took the cancellation
    /// itself, the body is gone). Returns what the scope resolves to.
    fn exit(&mut self, out: Option<F::Output>) -> Result<F::Output, TimeoutError>
    where
        F: Future,
    {
        self.graph = None;
        let mut st = self.shared.state.lock();
        if let Some(h) = st.handler.take() {
            h.cancel();
        }
        let result = match st.phase {
            Phase::Expiring => {
                st.phase = Phase::Expired;
                let task = st.task.as_ref().expect("entered");
                let raised = match &out {
                    None => true,
                    Some(_) if self.unseen => false,
                    Some(_) => {
                        task.header().live_tokens.load(Ordering::Acquire) > self.tokens_at_enter
                    }
                };
                let only_ours = task.uncancel() <= st.cancelling_at_enter;
                match out {
                    Some(v) if !(only_ours && raised) => Ok(v),
                    // Converted. With no body output the scope took its own request
                    // itself; a cancel that arrived after that stays pending for the
                    // task's next await point. The cancellation replaced is the source
                    // (`raise TimeoutError from exc`): the message of the task's latest
                    // cancellation (the token in the output, or the request taken back).
                    _ => {
                        let msg = task.header().cancel_msg();
                        Err(TimeoutError::from_cancelled(&CancelledError::from_shared(
                            msg,
                        )))
                    }
                }
            }
            _ => {
                st.phase = Phase::Exited;
                match out {
                    Some(v) => Ok(v),
                    None => unreachable!("no cancellation to take before expiry"),
                }
            }
        };
        st.task = None;
        st.runtime = None;
        drop(st);
        // A converted body's output (holding its cancellation token) is dropped by the
        // caller only now, outside the lock.
        result
    }
}

impl<F: Future> Future for TimeoutScope<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `body` is structurally pinned: it is never moved out while `Some`
        // (only dropped in place with `set(None)`-style assignment below), and
        // `TimeoutScope` has no `Unpin`-dependent behaviour or `Drop` that moves it.
        let this = unsafe { self.get_unchecked_mut() };
        if this.shared.state.lock().phase == Phase::Created {
            this.enter();
        }
        let Some(body) = this.body.as_mut() else {
            panic!("TimeoutScope polled after completion");
        };
        // SAFETY: see above; `body` stays in place.
        let body = unsafe { Pin::new_unchecked(body) };
        let precancelled = std::mem::take(&mut this.precancelled);
        if this.never_start && precancelled {
            // Never started: the scope takes its own request back and times out.
            this.body = None;
            let baseline = this.shared.state.lock().cancelling_at_enter;
            take_own_pending_cancel(baseline);
            return Poll::Ready(this.exit(None));
        }
        match body.poll(cx) {
            Poll::Ready(out) => {
                this.body = None;
                if precancelled {
                    // `wait_for(aw, 0)` of an awaitable already done: its outcome, as is
                    // (asyncio: `if fut.done(): return fut.result()`). The cancellation
                    // the scope made is still pending: take it back.
                    let baseline = this.shared.state.lock().cancelling_at_enter;
                    this.unseen = take_own_pending_cancel(baseline);
                }
                Poll::Ready(this.exit(Some(out)))
            }
            Poll::Pending => {
                let (expiring, baseline) = {
                    let st = this.shared.state.lock();
                    (st.phase == Phase::Expiring, st.cancelling_at_enter)
                };
                // The body awaits something foreign that cannot receive our cancel (it
                // was pending when this step began, no await point took it, and it is
                // still there): take it here, if it is ours alone, and end the scope.
                let foreign = current::report().undelivered_since_start()
                    && current::current_raw().is_some_and(|t| t.state().load().is_must_cancel());
                if expiring && foreign && take_own_pending_cancel(baseline) {
                    this.body = None;
                    return Poll::Ready(this.exit(None));
                }
                Poll::Pending
            }
        }
    }
}

impl<F> Drop for TimeoutScope<F> {
    fn drop(&mut self) {
        let mut st = self.shared.state.lock();
        if let Some(h) = st.handler.take() {
            h.cancel();
        }
        if matches!(st.phase, Phase::Entered) {
            st.phase = Phase::Exited;
        }
        st.task = None;
        st.runtime = None;
    }
}

/// Awaits `fut` for at most `timeout` (asyncio's `wait_for`, 3.12+): `timeout` around it.
///
/// On expiry the current task is cancelled, so an awaited task is cancelled too and
/// waited for; `TimeoutError` results unless the future caught the cancellation and
/// produced a value, which then wins.
///
/// A zero `timeout` (asyncio's `timeout <= 0`) cancels before the first poll: an awaitable
/// that is already done gives its outcome, a pending task is cancelled and waited for,
/// and a coroutine gets the cancellation at its first await point (see the module docs).
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let q = asyncio::Queue::new(0);
///     q.put_nowait(1).unwrap();
///     // Never started (asyncio 3.12+): the item stays in the queue.
///     assert!(asyncio::wait_for(q.get(), Some(Duration::ZERO)).await.is_err());
///     assert_eq!(q.qsize(), 1);
///     // Already done: its value.
///     let done = asyncio::create_task(async { 5 });
///     done.task_ref().wait_done().await.unwrap();
///     assert_eq!(asyncio::wait_for(done, Some(Duration::ZERO)).await.unwrap().unwrap(), 5);
/// });
/// ```
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let slow = asyncio::create_task(asyncio::sleep(Duration::from_secs(60)));
///     let slow_ref = slow.task_ref();
///     assert!(asyncio::wait_for(slow, Some(Duration::from_millis(5))).await.is_err());
///     assert!(slow_ref.cancelled(), "the awaited task was cancelled and waited for");
/// });
/// ```
#[track_caller]
pub fn wait_for<A: IntoAwaited>(
    awaitable: A,
    timeout: Option<Duration>,
) -> TimeoutScope<A::Future> {
    let zero = timeout == Some(Duration::ZERO);
    let mut scope = self::timeout(timeout).run(awaitable);
    scope.cancel_at_enter = zero;
    scope.graph_kind = ScopeKind::WaitFor;
    // asyncio 3.12+ wraps a coroutine in a task and cancels it before its first step:
    // the coroutine never runs. A plain future here is that coroutine.
    scope.never_start = zero && A::KIND == AwaitableKind::Coroutine;
    scope
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("phase", &self.shared.state.lock().phase)
            .finish()
    }
}

impl fmt::Debug for TimeoutHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state.lock();
        f.debug_struct("TimeoutHandle")
            .field("phase", &st.phase)
            .field("when", &st.when.map(|d| d.seconds()))
            .finish()
    }
}

impl<F> fmt::Debug for TimeoutScope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutScope")
            .field("phase", &self.shared.state.lock().phase)
            .finish()
    }
}
