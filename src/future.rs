//! `asyncio::Future<T>`: a result set by hand (asyncio's `asyncio.Future`).
//!
//! A `Future` is a shared handle (`Clone`, `Send + Sync` for `T: Send`): any thread can
//! set it, cancel it or register callbacks, and any number of tasks can await it; each
//! awaiter gets a clone of the value (`T: Clone`).
//!
//! * Setting it twice, or after a cancel, is an [`InvalidStateError`], as in asyncio.
//! * Done callbacks run on the runtime the future belongs to (the one current when it was
//!   created, or the one given to [`Future::new_on`]), in registration order, never inline
//!   inside `set_result`; one added after completion is scheduled too. A future created
//!   outside any runtime schedules its callbacks on the runtime of the thread that
//!   completes it, and runs them inline on that thread only when there is none.
//! * The wake-ups of the awaiting tasks and the done callbacks share one FIFO list, in
//!   registration order: in asyncio a task awaiting a future is itself a done callback
//!   (`Task.__wakeup`, added when the task starts awaiting), so a callback added before a
//!   task awaits runs before that task resumes, and one added after runs after it. A task
//!   polled again while it waits keeps its place (its waker is registered once).
//! * Awaiting it is a runtime-aware await point: a pending cancellation of the awaiting
//!   task is delivered first, and while the task waits, cancelling the task cancels the
//!   future (asyncio forwards `Task.cancel()` to the future the task awaits). A cancelled
//!   future gives its awaiters a `CancelledError` tracked by each awaiting task.
//! * Awaiting it gives `Result<T, TaskError>`, the one error type of the crate: a
//!   cancellation, or the exception set with [`Future::set_exception`] (any error, kept
//!   with its type; a `PanicError` stays a panic).
//! * An exception that nobody retrieved (by awaiting, `result()` or `exception()`) when
//!   the last handle is dropped goes to the exception handler: "Future exception was
//!   never retrieved", as asyncio's `Future.__del__` reports it.

use crate::loom::StdArc;
use std::fmt;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Arc;
use crate::loom::{IdCounter, Mutex};
use crate::runtime::context;
use crate::runtime::exception::call_handler;
use crate::runtime::scheduler::Shared;
use crate::runtime::Handle;
use crate::task::cancel::waiter::{self, CancelTarget, CancelWaiter};
use crate::task::cancel::{
    consume_pending_cancel, deliver_pending_cancel_since_start, CancelledError,
};
use crate::task::current;
use crate::task::error::{InvalidStateError, TaskError};
use crate::task::exception::IntoException;
use crate::task::graph::{AwaitedKind, Awaiting};
use crate::task::hooks::CallbackId;
use crate::task::TaskRef;

type FutureCallback<T> = Box<dyn FnOnce(&Future<T>) + Send + 'static>;

/// What completion runs, in registration order (asyncio's `_callbacks` list, where an
/// awaiting task's wake-up is a callback like the others).
enum Entry<T> {
    /// A done callback and its id (for `remove_done_callback`).
    Callback(u64, FutureCallback<T>),
    /// The waker of a task (or any future) awaiting this one.
    Awaiter(Waker),
}

enum State<T> {
    Pending {
        /// Done callbacks and awaiters' wakers, in registration order.
        entries: Vec<Entry<T>>,
    },
    Done(Done<T>),
}

enum Done<T> {
    Result(T),
    /// Set with `set_exception`: whatever the error stands for (`task/exception.rs`).
    Exception(TaskError),
    Cancelled(Option<StdArc<str>>),
}

struct Inner<T> {
    state: Mutex<State<T>>,
    /// An exception was set and nobody has looked at it yet (asyncio's
    /// `__log_traceback`): reported when the last handle goes. Written under `state`'s
    /// lock.
    unretrieved: AtomicBool,
    /// The runtime that runs the done callbacks.
    runtime: Option<Arc<Shared>>,
    /// Where the future was created (`#[track_caller]`), for the call graph: several
    /// tasks may await one future, so this is where the graph says it comes from.
    created_at: &'static Location<'static>,
}

/// A result set by hand, awaited by any number of tasks (asyncio's `asyncio.Future`).
///
/// ```
/// asyncio::run(async {
///     let fut = asyncio::Future::<u32>::new();
///     let waiter = {
///         let fut = fut.clone();
///         asyncio::create_task(async move { fut.await.unwrap() + 1 })
///     };
///     fut.set_result(41).unwrap();
///     assert_eq!(waiter.await.unwrap(), 42);
///     assert!(fut.set_result(0).is_err()); // InvalidStateError: already done
/// });
/// ```
pub struct Future<T> {
    inner: StdArc<Inner<T>>,
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Send + 'static> Default for Future<T> {
    #[track_caller]
    fn default() -> Self {
        Future::new()
    }
}

fn next_callback_id() -> u64 {
    static NEXT: IdCounter = IdCounter::new();
    NEXT.next()
}

impl<T: Send + 'static> Future<T> {
    /// A pending future, bound to the current runtime if there is one. The call graph
    /// shows where it was created ([`capture_call_graph`](crate::capture_call_graph)).
    #[track_caller]
    pub fn new() -> Future<T> {
        Future::with_runtime(context::current_shared())
    }

    /// A pending future bound to `handle`'s runtime (for its done callbacks).
    #[track_caller]
    pub fn new_on(handle: &Handle) -> Future<T> {
        Future::with_runtime(Some(handle.shared.clone()))
    }

    #[track_caller]
    fn with_runtime(runtime: Option<Arc<Shared>>) -> Future<T> {
        Future {
            inner: StdArc::new(Inner {
                state: Mutex::new(State::Pending {
                    entries: Vec::new(),
                }),
                runtime,
                unretrieved: AtomicBool::new(false),
                created_at: Location::caller(),
            }),
        }
    }

    /// Marks the future done with `value`. `InvalidStateError` if already done.
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError> {
        self.complete(Done::Result(value))
            .map_err(|_| InvalidStateError::new("invalid state"))
    }

    /// Marks the future done with an exception: any error, or an
    /// [`Exception`](crate::Exception) (awaiters get it as `TaskError::Exception`, or as
    /// what a `TaskError` / `PanicError` / `CancelledError` given here stands for).
    /// `InvalidStateError` if already done.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let fut = asyncio::Future::<u32>::new();
    ///     fut.set_exception(std::fmt::Error).unwrap();
    ///     let err = fut.await.unwrap_err();
    ///     assert!(err.downcast_ref::<std::fmt::Error>().is_some());
    /// });
    /// ```
    pub fn set_exception<E: IntoException>(&self, error: E) -> Result<(), InvalidStateError> {
        let done = match error.into_task_error() {
            TaskError::Cancelled(c) => Done::Exception(TaskError::Cancelled(c.untracked())),
            other => Done::Exception(other),
        };
        self.complete(done)
            .map_err(|_| InvalidStateError::new("invalid state"))
    }

    /// Cancels the future with an optional message; `false` if it is already done.
    pub fn cancel(&self, msg: Option<&str>) -> bool {
        self.inner.clone().cancel_waiter(msg.map(StdArc::from))
    }

    /// `true` once it has a result, an exception, or was cancelled.
    pub fn done(&self) -> bool {
        matches!(*self.inner.state.lock(), State::Done(_))
    }

    /// `true` if it was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(*self.inner.state.lock(), State::Done(Done::Cancelled(_)))
    }

    /// The outcome of a done future (asyncio's `result()`), the value cloned out;
    /// `InvalidStateError` while pending. Counts an exception as retrieved.
    pub fn result(&self) -> Result<Result<T, TaskError>, InvalidStateError>
    where
        T: Clone,
    {
        match &*self.inner.state.lock() {
            State::Pending { .. } => Err(InvalidStateError::new("Result is not set.")),
            State::Done(done) => {
                self.inner.unretrieved.store(false, Ordering::Relaxed);
                Ok(done.to_result(None))
            }
        }
    }

    /// The exception of a done future (`None` if it has a result);
    /// `InvalidStateError` while pending. Counts it as retrieved.
    pub fn exception(&self) -> Result<Option<TaskError>, InvalidStateError> {
        match &*self.inner.state.lock() {
            State::Pending { .. } => Err(InvalidStateError::new("Exception is not set.")),
            State::Done(Done::Result(_)) => Ok(None),
            State::Done(Done::Exception(e)) => {
                self.inner.unretrieved.store(false, Ordering::Relaxed);
                Ok(Some(e.clone()))
            }
            State::Done(Done::Cancelled(msg)) => Ok(Some(TaskError::Cancelled(
                CancelledError::from_shared(msg.clone()),
            ))),
        }
    }

    /// Adds a callback run (on the runtime) once the future is done.
    pub fn add_done_callback<F>(&self, f: F) -> CallbackId
    where
        F: FnOnce(&Future<T>) + Send + 'static,
    {
        // Runs in a copy of the context current here (asyncio's `context=None`).
        let f = crate::contextvars::current::bind(Box::new(f));
        let id = next_callback_id();
        let mut state = self.inner.state.lock();
        match &mut *state {
            State::Pending { entries } => entries.push(Entry::Callback(id, f)),
            State::Done(_) => {
                drop(state);
                self.inner.run_entries(self, vec![Entry::Callback(id, f)]);
            }
        }
        CallbackId::from_raw(id)
    }

    /// Removes a callback added with [`add_done_callback`](Self::add_done_callback);
    /// returns how many were removed.
    pub fn remove_done_callback(&self, id: CallbackId) -> usize {
        match &mut *self.inner.state.lock() {
            State::Pending { entries } => {
                let before = entries.len();
                entries.retain(|e| !matches!(e, Entry::Callback(cid, _) if *cid == id.as_raw()));
                before - entries.len()
            }
            State::Done(_) => 0,
        }
    }

    fn complete(&self, done: Done<T>) -> Result<(), Done<T>> {
        Inner::complete(&self.inner, done)
    }
}

impl<T> Done<T> {
    /// The outcome as seen by an awaiter; `tracker` is the awaiting task, which a
    /// cancellation is tracked by.
    fn to_result(&self, tracker: Option<TaskRef>) -> Result<T, TaskError>
    where
        T: Clone,
    {
        match self {
            Done::Result(v) => Ok(v.clone()),
            Done::Exception(e) => Err(e.clone()),
            Done::Cancelled(msg) => Err(TaskError::Cancelled(match tracker {
                Some(task) => CancelledError::tracked(msg.clone(), task),
                None => CancelledError::from_shared(msg.clone()),
            })),
        }
    }
}

impl<T: Send + 'static> Inner<T> {
    fn complete(this: &StdArc<Inner<T>>, done: Done<T>) -> Result<(), Done<T>> {
        let mut state = this.state.lock();
        let entries = match &mut *state {
            State::Pending { entries } => std::mem::take(entries),
            State::Done(_) => return Err(done),
        };
        this.unretrieved
            .store(matches!(done, Done::Exception(_)), Ordering::Relaxed);
        *state = State::Done(done);
        drop(state);
        if !entries.is_empty() {
            let handle = Future {
                inner: this.clone(),
            };
            this.run_entries(&handle, entries);
        }
        Ok(())
    }

    /// Runs what completion owes, in registration order: each callback is scheduled on
    /// the runtime (asyncio's `call_soon`), each awaiter woken (which queues the awaiting
    /// task behind the callbacks scheduled before it, as asyncio's `Task.__wakeup`
    /// callback would be).
    fn run_entries(&self, handle: &Future<T>, entries: Vec<Entry<T>>) {
        let runtime = self
            .runtime
            .clone()
            .filter(|r| !r.is_closed())
            .or_else(context::current_shared);
        for entry in entries {
            match (entry, &runtime) {
                (Entry::Awaiter(w), _) => w.wake(),
                (Entry::Callback(_, cb), Some(rt)) => {
                    let fut = handle.clone();
                    Shared::call_soon(rt, Box::new(move || cb(&fut)));
                }
                (Entry::Callback(_, cb), None) => cb(handle),
            }
        }
    }
}

impl<T: Send + 'static> CancelWaiter for Inner<T> {
    fn cancel_waiter(self: StdArc<Self>, msg: Option<StdArc<str>>) -> bool {
        Inner::complete(&self, Done::Cancelled(msg)).is_ok()
    }

    fn describe(&self) -> Awaiting {
        Awaiting::new(AwaitedKind::Future, Some(self.created_at), Vec::new())
    }
}

/// Awaiting an [`asyncio::Future`](Future) (`fut.await`, `(&fut).await`): the future its
/// `IntoFuture` gives, holding a handle on it.
///
/// An `asyncio::Future` is not itself a Rust `Future` (as an asyncio future is not a
/// coroutine): that is what lets `ensure_future` and the composition functions take it as
/// it is, and wrap a plain future into a task.
#[must_use = "futures do nothing unless awaited"]
pub struct FutureWait<T>(Future<T>);

impl<T: Clone + Send + 'static> std::future::IntoFuture for Future<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = FutureWait<T>;
    fn into_future(self) -> FutureWait<T> {
        FutureWait(self)
    }
}

impl<T: Clone + Send + 'static> std::future::IntoFuture for &Future<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = FutureWait<T>;
    fn into_future(self) -> FutureWait<T> {
        FutureWait(self.clone())
    }
}

impl<T> fmt::Debug for FutureWait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FutureWait").field(&self.0).finish()
    }
}

impl<T: Clone + Send + 'static> std::future::Future for FutureWait<T> {
    type Output = Result<T, TaskError>;

    /// A runtime-aware await point. A cancel request of the awaiting task pending since
    /// its step began comes first, done or not (asyncio's `__step` throws it in instead of
    /// sending the result; the value stays in the future): delivered as the error — or,
    /// if this future ended cancelled, consumed by this future's `CancelledError`, which
    /// is what the task gets (asyncio keeps a thrown `CancelledError`). Otherwise a done
    /// future gives its outcome at once; a pending one registers the waker and itself as
    /// the task's waiter, so that cancelling the task cancels it (a request the task made
    /// during this step is offered to it when the step ends, as asyncio's `__step` does).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.0.cancelled() {
            consume_pending_cancel();
        } else if let Some(err) = deliver_pending_cancel_since_start() {
            self.0.unregister();
            return Poll::Ready(Err(TaskError::Cancelled(err)));
        }
        let mut state = self.0.inner.state.lock();
        match &mut *state {
            State::Done(_) => {
                drop(state);
                Poll::Ready(self.0.poll_done().expect("done"))
            }
            State::Pending { entries } => {
                let registered = entries
                    .iter()
                    .any(|e| matches!(e, Entry::Awaiter(w) if w.will_wake(cx.waker())));
                if !registered {
                    entries.push(Entry::Awaiter(cx.waker().clone()));
                }
                drop(state);
                let target: StdArc<dyn CancelWaiter> = self.0.inner.clone();
                waiter::register(CancelTarget::Other(target));
                Poll::Pending
            }
        }
    }
}

impl<T: Clone + Send + 'static> Future<T> {
    /// The outcome as the awaiting task sees it, if done (and unregisters the waiter).
    fn poll_done(&self) -> Option<Result<T, TaskError>> {
        let state = self.inner.state.lock();
        let State::Done(done) = &*state else {
            return None;
        };
        let tracker = current::current_raw().map(TaskRef::clone_from_raw);
        let out = done.to_result(tracker);
        self.inner.unretrieved.store(false, Ordering::Relaxed);
        drop(state);
        self.unregister();
        Some(out)
    }
}

impl<T> Future<T> {
    fn unregister(&self) {
        let ptr = StdArc::as_ptr(&self.inner) as *const ();
        waiter::unregister(|t| t.is_awaitable(ptr));
    }
}

impl<T> Drop for Inner<T> {
    /// The last handle is gone: an exception nobody looked at goes to the exception
    /// handler (asyncio's "Future exception was never retrieved").
    fn drop(&mut self) {
        if !self.unretrieved.load(Ordering::Relaxed) {
            return;
        }
        let exception = match self.state.get_mut() {
            State::Done(Done::Exception(e)) => e.clone(),
            _ => return,
        };
        let runtime = self.runtime.clone().or_else(context::current_shared);
        let message = "Future exception was never retrieved";
        match runtime {
            Some(rt) => rt.report_exception(message, Some(exception), None),
            None => call_handler(None, message, Some(exception), None),
        }
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.inner.state.lock() {
            State::Pending { .. } => "pending",
            State::Done(Done::Result(_)) => "finished",
            State::Done(Done::Exception(_)) => "finished (exception)",
            State::Done(Done::Cancelled(_)) => "cancelled",
        };
        write!(f, "<Future {state}>")
    }
}
