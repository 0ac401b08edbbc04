//! `shield`: await a task without letting a cancellation of the awaiter reach it
//! (asyncio's `asyncio.shield`).
//!
//! asyncio's `shield(inner)` returns an *outer* future: the inner's done callback copies
//! the outcome into the outer, and the outer's done callback wakes the awaiter. The
//! [`Shield`] future plays the outer:
//!
//! * A task already done when the shield is first polled gives its outcome at once
//!   (asyncio's `shield` returns a done inner as is, and awaiting it does not suspend).
//! * Otherwise the shield registers a completion hook on the inner task, woken from a
//!   callback on the runtime (`Notify::Scheduled`): the inner's completion *sets* the
//!   outer one hop later and the awaiter runs one hop after that, two hops in all, as
//!   asyncio's callback chain does (awaiting the task directly is one hop).
//! * The outer is the awaiter's waiter: `cancel()` on the awaiter is forwarded to it and
//!   cancels it at once (the inner task is not asked), waking the awaiter, which gets
//!   `Err(CancelledError)` with the message, tracked by it. Once cancelled the outer stays
//!   cancelled: the inner finishing meanwhile, or an `uncancel()` of the awaiter before
//!   it runs, does not withdraw the cancellation (asyncio's `outer.cancel()` in
//!   `Task.cancel`). A cancel arriving once the outer is set (the inner finished and its
//!   callback ran, the awaiter not resumed yet) is refused by the outer and stays pending
//!   on the awaiter, as for any done awaitable; when the awaiter resumes, the shield
//!   delivers it instead of the inner's outcome, which stays in the inner task (asyncio's
//!   `__step` throws it in at `await outer`). The same holds for the shortcut. Only a
//!   request made *during* the step that reaches the shield (the awaiter cancelling
//!   itself, or another thread while it runs) lets the outcome through: it arrives at the
//!   next await point (`docs/design.md` §4.2).
//! * If the inner task itself ends cancelled, the awaiter sees that cancellation, tracked,
//!   as when awaiting the task directly; it consumes a request pending on the awaiter
//!   (asyncio's `__step(exc)`).
//! * Dropping the shield (or ending cancelled) removes the hook: nothing stays registered
//!   on the inner task, which goes on, detached (asyncio's `_outer_done_callback`).

use crate::compose::awaitable::Awaitable;
use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::Mutex;
use crate::task::cancel::waiter::{self, CancelTarget, CancelWaiter};
use crate::task::cancel::{
    cancelled_error, consume_pending_cancel, deliver_pending_cancel,
    deliver_pending_cancel_since_start, CancelledError,
};
use crate::task::current;
use crate::task::error::TaskError;
use crate::task::graph::{AwaitedKind, Awaiting};
use crate::task::hooks::{self, CallbackId, Notify};
use crate::task::{Task, TaskId, TaskRef};

/// Protects an awaitable from the cancellation of whoever awaits the shield (a task as
/// it is; a plain future or an `asyncio::Future` through a task that awaits it, as
/// asyncio's `ensure_future`).
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let inner = asyncio::create_task(async {
///         asyncio::sleep(Duration::from_millis(20)).await?;
///         Ok::<_, asyncio::CancelledError>("saved")
///     });
///     let inner_ref = inner.task_ref();
///     let outer = asyncio::create_task(async move { asyncio::shield(inner).await });
///     asyncio::sleep(Duration::from_millis(1)).await.unwrap();
///     outer.cancel(None);
///     assert!(outer.await.unwrap_err().is_cancelled()); // the awaiter is cancelled...
///     while !inner_ref.done() {
///         asyncio::sleep(Duration::from_millis(5)).await.unwrap();
///     }
///     assert!(!inner_ref.cancelled()); // ...the shielded task is not
/// });
/// ```
#[track_caller]
pub fn shield<A: Awaitable>(awaitable: A) -> Shield<A::Value> {
    Shield {
        task: awaitable.into_task(),
        outer: None,
        at: Location::caller(),
    }
}

/// Future returned by [`shield`].
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T> {
    task: Task<T>,
    /// The outer future, made by the first poll that finds the inner task pending.
    outer: Option<Outer>,
    /// Where `shield(..)` was called, for the call graph.
    at: &'static Location<'static>,
}

// Nothing is pinned: the task is a handle, polled through `&mut`.
impl<T> Unpin for Shield<T> {}

/// What the outer future is.
enum Status {
    Pending,
    /// The inner task finished and its completion callback ran.
    Set,
    /// The awaiter was cancelled while the outer was pending.
    Cancelled(Option<StdArc<str>>),
}

struct OuterState {
    status: Status,
    /// The awaiter, woken when the outer leaves `Pending`.
    waker: Option<Waker>,
}

/// The outer future's shared part: the inner task's completion hook sets it (as a
/// [`Waker`]); a cancel of the awaiter cancels it (as a [`CancelWaiter`]).
struct OuterCell {
    state: Mutex<OuterState>,
    /// The shielded task and where `shield(..)` was called, for the call graph.
    inner: TaskId,
    at: &'static Location<'static>,
}

impl OuterCell {
    /// Leaves `Pending` for `to` and wakes the awaiter; `false` if already settled.
    fn settle(&self, to: Status) -> bool {
        let waker = {
            let mut s = self.state.lock();
            if !matches!(s.status, Status::Pending) {
                return false;
            }
            s.status = to;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }
}

impl Wake for OuterCell {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    /// The inner task's completion callback (asyncio's `_inner_done_callback`).
    fn wake_by_ref(self: &StdArc<Self>) {
        self.settle(Status::Set);
    }
}

impl CancelWaiter for OuterCell {
    fn cancel_waiter(self: StdArc<Self>, msg: Option<StdArc<str>>) -> bool {
        self.settle(Status::Cancelled(msg))
    }

    fn describe(&self) -> Awaiting {
        Awaiting::new(AwaitedKind::Shield, Some(self.at), vec![self.inner])
    }
}

/// The outer future of a shield whose inner task was pending at its first poll.
struct Outer {
    cell: StdArc<OuterCell>,
    inner: TaskRef,
    /// The completion hook on the inner task, until it fired or was removed.
    hook: Option<CallbackId>,
    /// Registered as the awaiting task's waiter.
    waiting: bool,
}

impl Outer {
    fn target(&self) -> CancelTarget {
        let cell: StdArc<dyn CancelWaiter> = self.cell.clone();
        CancelTarget::Other(cell)
    }

    /// The shield is done waiting: nothing stays registered on the inner task or the
    /// awaiter (asyncio's `_outer_done_callback`).
    fn release(&mut self) {
        if let Some(id) = self.hook.take() {
            hooks::remove_completion_waker(&self.inner, id);
        }
        if self.waiting {
            self.waiting = false;
            let ptr = StdArc::as_ptr(&self.cell) as *const ();
            waiter::unregister(|t| t.is_awaitable(ptr));
        }
    }
}

impl Drop for Outer {
    fn drop(&mut self) {
        self.release();
    }
}

impl<T> Shield<T> {
    /// The shielded task.
    pub fn task(&self) -> &TaskRef {
        &self.task
    }

    /// Gives the shielded task back.
    pub fn into_inner(self) -> Task<T> {
        self.task
    }

    /// The outcome of the inner task, known to be done; a cancellation is tracked by the
    /// awaiting task, as when awaiting the task directly.
    fn take_inner(&mut self) -> Result<T, TaskError> {
        let out = match self.task.poll_join(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => out,
            Poll::Pending => unreachable!("the inner task is done"),
        };
        match out {
            Err(TaskError::Cancelled(c)) => match current::current_raw() {
                Some(me) => Err(TaskError::Cancelled(CancelledError::tracked(
                    c.shared_message(),
                    TaskRef::clone_from_raw(me),
                ))),
                None => Err(TaskError::Cancelled(c)),
            },
            out => out,
        }
    }

    /// The await point meeting a done inner task (the shortcut, or the outer set): as
    /// awaiting a done task (`Task::poll`), a request pending since this step began is
    /// delivered instead of the outcome, which stays in the inner task (asyncio's
    /// `__step` throws `CancelledError` into the coroutine at `await outer`); if the
    /// inner ended cancelled, its `CancelledError` consumes the request (`__step(exc)`).
    /// A request made during this step is left pending: it arrives at the next await
    /// point.
    fn take_done_inner(&mut self) -> Result<T, TaskError> {
        if self.task.cancelled() {
            consume_pending_cancel();
        } else if let Some(err) = deliver_pending_cancel_since_start() {
            return Err(TaskError::Cancelled(err));
        }
        self.take_inner()
    }

    /// First poll: the outer future, registered on the inner task; `None` if the inner
    /// task is done (the shortcut).
    fn make_outer(&mut self) -> Option<Outer> {
        if self.task.done() {
            return None;
        }
        let cell = StdArc::new(OuterCell {
            state: Mutex::new(OuterState {
                status: Status::Pending,
                waker: None,
            }),
            inner: self.task.id(),
            at: self.at,
        });
        let hook = Waker::from(cell.clone());
        let id = hooks::add_completion_waker(&self.task, &hook, Notify::Scheduled)?;
        Some(Outer {
            cell,
            inner: (*self.task).clone(),
            hook: Some(id),
            waiting: false,
        })
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.outer.is_none() {
            match this.make_outer() {
                Some(outer) => this.outer = Some(outer),
                None => return Poll::Ready(this.take_done_inner()),
            }
        }
        let outer = this.outer.as_mut().expect("made above");
        {
            let mut s = outer.cell.state.lock();
            match &s.status {
                Status::Pending => match &s.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => s.waker = Some(cx.waker().clone()),
                },
                Status::Set => {
                    drop(s);
                    // The hook fired: nothing to remove.
                    outer.hook = None;
                    outer.release();
                    return Poll::Ready(this.take_done_inner());
                }
                Status::Cancelled(msg) => {
                    let msg = msg.clone();
                    drop(s);
                    outer.release();
                    return Poll::Ready(Err(TaskError::Cancelled(cancelled_error(msg))));
                }
            }
        }
        // A cancellation pending for the awaiter: one that was pending when this step
        // began is delivered here; one made during this step cancels the outer (asyncio's
        // `__step` cancels the future the coroutine yields), which wakes the awaiter to
        // receive it one hop later.
        if let Some(err) = deliver_pending_cancel() {
            outer.release();
            return Poll::Ready(Err(TaskError::Cancelled(err)));
        }
        // Every pending poll re-registers: a registration only counts for the poll that
        // made it (see `waiter.rs`).
        outer.waiting |= waiter::register(outer.target());
        Poll::Pending
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Shield").field(&*self.task).finish()
    }
}
