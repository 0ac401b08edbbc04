//! `TaskRef` (type-erased, cheap `Clone`) and `Task<T>` (typed, awaitable).
//!
//! Both own one ref of the cell. `Task<T>` also holds JOIN_INTEREST: it is the owner of
//! the output, and awaiting it yields `Result<T, TaskError>`. It dereferences to its
//! `TaskRef`, so every asyncio method (`cancel`, `get_name`, `add_done_callback`, ...)
//! is available on both. Dropping either neither cancels nor leaks the task: tasks are
//! owned by the runtime (docs/design.md §4.1).
//!
//! ## One handle, or shared handles
//! A task is a future asyncio code awaits from several places. A lone `Task<T>` moves
//! the output out when awaited (no copy, any `T`). For `T: Clone + Sync` the handle can
//! be cloned; the first clone switches the cell to *shared output* (SHARED_OUTPUT in the
//! state word, set under the task's lock where the extra handles are counted, with the
//! function that clones the output):
//! * no handle moves the output any more: each awaiter, and `result()` after an await,
//!   gets a clone; the last handle dropped drops it (it releases JOIN_INTEREST);
//! * a shared handle waits with a completion waker of its own in the task's FIFO hook
//!   list (the single join-waker slot serves one awaiter only), so awaiters and done
//!   callbacks still wake in registration order;
//! * a handle that had already moved the output out before being cloned leaves nothing
//!   to share: its clones give `InvalidStateError` as the task's exception.

use crate::loom::StdArc as Arc;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

#[cfg(not(loom))]
use crate::loom::thread;

use crate::task::cancel::waiter::{self, CancelTarget};
use crate::task::cancel::{
    consume_pending_cancel, deliver_pending_cancel_since_start, CancelledError,
};
use crate::task::core::{Header, Kind};
use crate::task::current;
use crate::task::error::{InvalidStateError, TaskError};
use crate::task::exception::Exception;
use crate::task::hooks::{self, CallbackId, CompletionWait};
use crate::task::raw::RawTask;
use crate::task::state::Outcome;

/// A task's id: unique in the process, never reused.
///
/// For a task created without a name, the id is also the `N` of its default name
/// `Task-N`. As in CPython 3.13, that number comes from a counter that only tasks created
/// without a name use up; a task created with a name takes its id from a separate range
/// (from 2^63 up), so ids do not follow creation order between named and unnamed tasks.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::create_task(async {});
///     assert_eq!(t.get_name(), format!("Task-{}", t.id()));
///     // A named task uses up no `Task-N` number.
///     let named = asyncio::Task::builder().name("x").create_task(async {});
///     let next = asyncio::create_task(async {});
///     assert_ne!(named.id(), next.id());
///     assert!(next.id().as_u64() > t.id().as_u64());
///     # named.await.unwrap();
///     # next.await.unwrap();
///     # t.await.unwrap();
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl TaskId {
    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A type-erased handle to a task: what `all_tasks()` and `current_task()` return.
///
/// Cheap to clone, `Send + Sync`, compared and hashed by task id.
///
/// ```
/// asyncio::run(async {
///     let me = asyncio::current_task().unwrap();
///     assert!(!me.done());
///     assert!(asyncio::all_tasks().contains(&me));
/// });
/// ```
pub struct TaskRef {
    raw: RawTask,
}

impl TaskRef {
    /// Takes a new ref of `raw`.
    pub(crate) fn clone_from_raw(raw: RawTask) -> TaskRef {
        debug_assert_eq!(raw.kind(), Kind::Task);
        raw.state().ref_inc();
        TaskRef { raw }
    }

    /// # Safety
    /// The caller transfers one ref.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> TaskRef {
        TaskRef { raw }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        TaskId(self.header().id)
    }

    /// The task's name (asyncio's `get_name()`): the one given at creation or with
    /// [`set_name`](Self::set_name); otherwise `Task-N`, `N` counting the tasks created
    /// without a name (CPython 3.13's `_task_name_counter`; see [`TaskId`]).
    pub fn get_name(&self) -> String {
        match self.name_override() {
            Some(name) => name.to_string(),
            None => {
                // Only a task created without a name has no name here, and its id is `N`.
                debug_assert!(self.header().id < crate::task::spawn::NAMED_ID_BASE);
                format!("Task-{}", self.header().id)
            }
        }
    }

    fn name_override(&self) -> Option<Arc<str>> {
        self.header()
            .asyncio
            .lock()
            .name_and_completion
            .as_ref()
            .and_then(|r| r.name.clone())
    }

    /// Renames the task (asyncio's `set_name()`).
    pub fn set_name(&self, name: impl Into<String>) {
        let name: String = name.into();
        self.header().fields().name_and_completion().name = Some(Arc::from(name));
    }

    /// `true` once the task has ended (returned, cancelled, raised or panicked).
    pub fn done(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// `true` if the task ended cancelled.
    pub fn cancelled(&self) -> bool {
        self.raw.state().load().outcome() == Some(Outcome::Cancelled)
    }

    /// `true` if the task ended with an exception, a panic or a raised `Err` (without
    /// marking it retrieved).
    pub(crate) fn failed(&self) -> bool {
        self.raw.state().load().outcome() == Some(Outcome::Raised)
    }

    /// The task's exception (asyncio's `exception()`): `Ok(None)` if it returned a value,
    /// `Ok(Some(err))` if it raised (an `Err` output), panicked or was cancelled,
    /// `Err(InvalidStateError)` while it is pending. Marks the exception as retrieved.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let t = asyncio::create_task(async { Err::<(), _>(std::fmt::Error) });
    ///     t.task_ref().wait_done().await.unwrap();
    ///     let e = t.exception().unwrap().unwrap();
    ///     assert!(e.downcast_ref::<std::fmt::Error>().is_some());
    /// });
    /// ```
    pub fn exception(&self) -> Result<Option<TaskError>, InvalidStateError> {
        let header = self.header();
        match header.state.load().outcome() {
            None => Err(InvalidStateError::new("Result is not set.")),
            Some(Outcome::Returned) => Ok(None),
            Some(Outcome::Cancelled) => {
                let msg = header.cancel_msg();
                Ok(Some(TaskError::Cancelled(CancelledError::from_shared(msg))))
            }
            Some(Outcome::Raised) => {
                let mut fields = header.fields();
                let details = fields.name_and_completion();
                details.exception_retrieved = true;
                let exception = details
                    .exception
                    .clone()
                    .expect("a task that raised records its exception");
                Ok(Some(exception))
            }
        }
    }

    /// Counts the task's exception (a panic or a raised error, now or later) as
    /// retrieved: it will not be reported as "never retrieved".
    pub(crate) fn mark_exception_retrieved(&self) {
        self.header()
            .asyncio
            .lock()
            .name_and_completion()
            .exception_retrieved = true;
    }

    /// Adds a callback run once the task is done (asyncio's `add_done_callback`).
    ///
    /// Callbacks run on the runtime, never inside the call that completed the task, in
    /// registration order; one added after completion is scheduled, not called inline.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// asyncio::run(async {
    ///     let (tx, rx) = mpsc::channel();
    ///     let t = asyncio::create_task(async { 7 });
    ///     t.add_done_callback(move |task| tx.send(task.done()).unwrap());
    ///     t.await.unwrap();
    ///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
    ///     assert_eq!(rx.recv().unwrap(), true);
    /// });
    /// ```
    pub fn add_done_callback<F>(&self, f: F) -> CallbackId
    where
        F: FnOnce(&TaskRef) + Send + 'static,
    {
        hooks::add_done_callback(self, Box::new(f))
    }

    /// Waits until the task is done, without taking its output or cancelling it
    /// (asyncio's `await asyncio.wait([task])` for one task). A runtime-aware await point:
    /// a cancellation of the awaiting task is delivered as `Err`, the task goes on.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let t = asyncio::create_task(async { 5 });
    ///     let r = t.task_ref();
    ///     r.wait_done().await.unwrap();
    ///     assert!(r.done());
    ///     assert_eq!(t.await.unwrap(), 5); // the output is still there
    /// });
    /// ```
    pub fn wait_done(&self) -> WaitDone {
        WaitDone {
            task: self.clone(),
            wait: CompletionWait::default(),
        }
    }

    /// Removes a callback added with [`add_done_callback`](Self::add_done_callback);
    /// returns how many were removed (0 or 1).
    pub fn remove_done_callback(&self, id: CallbackId) -> usize {
        hooks::remove_done_callback(self, id)
    }
}

impl AsRef<TaskRef> for TaskRef {
    fn as_ref(&self) -> &TaskRef {
        self
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> Self {
        self.raw.state().ref_inc();
        TaskRef { raw: self.raw }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl PartialEq for TaskRef {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Eq for TaskRef {}

impl Hash for TaskRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.header().id.hash(state);
    }
}

impl fmt::Debug for TaskRef {
    /// asyncio's repr: `<Task pending name='Task-3'>`, `<Task cancelled ...>`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.raw.state().load().outcome() {
            None => "pending",
            Some(Outcome::Returned) => "finished",
            Some(Outcome::Cancelled) => "cancelled",
            Some(Outcome::Raised) => "finished (exception)",
        };
        write!(f, "<Task {state} name='{}'>", self.get_name())
    }
}

/// Future returned by [`TaskRef::wait_done`].
#[must_use = "futures do nothing unless awaited"]
pub struct WaitDone {
    task: TaskRef,
    wait: CompletionWait,
}

impl Future for WaitDone {
    type Output = Result<(), CancelledError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // A request pending since the step began first, done or not (asyncio's `wait`
        // is woken by a done callback: a cancel landing before it resumes is thrown in).
        if let Some(err) = deliver_pending_cancel_since_start() {
            this.wait.clear(&this.task);
            return Poll::Ready(Err(err));
        }
        this.wait.poll(&this.task, cx).map(Ok)
    }
}

impl Drop for WaitDone {
    fn drop(&mut self) {
        self.wait.clear(&self.task);
    }
}

impl fmt::Debug for WaitDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WaitDone").field(&self.task).finish()
    }
}

/// A spawned task: awaiting it yields `Result<T, TaskError>`.
///
/// Returned by [`create_task`](crate::create_task) and friends. It dereferences to
/// [`TaskRef`] for the asyncio methods. Dropping it detaches the task (it keeps running).
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::create_task(async { 1 + 1 });
///     assert_eq!(t.await.unwrap(), 2);
/// });
/// ```
pub struct Task<T> {
    task: ManuallyDrop<TaskRef>,
    /// This handle is registered as the current task's waiter (see `poll`).
    waiting: bool,
    /// Shared output: this handle's completion waker in the task's hook list (boxed: most
    /// handles are never shared).
    shared_wait: Option<Box<CompletionWait>>,
    _output: PhantomData<fn() -> T>,
}

/// Clones a stored outcome (see `NameAndCompletion::clone_output`).
///
/// # Safety
/// `src` points to a live `Result<T, TaskError>`, `dst` to writable, uninitialised
/// memory for one.
unsafe fn clone_output<T: Clone>(src: *const (), dst: *mut ()) {
    // SAFETY: per the contract.
    unsafe {
        let src = &*(src as *const Result<T, TaskError>);
        std::ptr::write(dst as *mut Result<T, TaskError>, src.clone());
    }
}

/// A second handle on the same task (asyncio: one task awaited from several places).
/// Both get the outcome, as clones; so does `result()` after an await. `T: Sync`
/// because the handles may read the one stored output from several threads at once.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::create_task(async { String::from("shared") });
///     let waiter = {
///         let t = t.clone();
///         asyncio::create_task(async move { t.await.unwrap().len() })
///     };
///     assert_eq!(t.clone().await.unwrap(), "shared");
///     assert_eq!(waiter.await.unwrap(), 6);
///     assert_eq!(t.result().unwrap().unwrap(), "shared");
/// });
/// ```
impl<T: Clone + Send + Sync + 'static> Clone for Task<T> {
    fn clone(&self) -> Self {
        let header = self.task.header();
        {
            let mut fields = header.fields();
            let details = fields.name_and_completion();
            details.extra_join_handles += 1;
            details.clone_output.get_or_insert(clone_output::<T>);
            header.state.set_shared_output();
        }
        Task {
            task: ManuallyDrop::new((*self.task).clone()),
            waiting: false,
            shared_wait: None,
            _output: PhantomData,
        }
    }
}

// SAFETY: the output is moved out to whichever thread awaits (or drops) the handle;
// `T: Send` is required for that. Everything else goes through the `TaskRef`, which is
// thread-safe.
unsafe impl<T: Send> Send for Task<T> {}
// SAFETY: what `&Task<T>` exposes of the output is `result()`, which reads it through a
// shared `&T` (to clone it) from whichever thread holds the reference, possibly several
// at once: that needs `T: Sync` (a `Task<Cell<_>>` or `Task<RefCell<_>>` must not be
// shared, see tests/ui). The rest of `&Task<T>` is the thread-safe `TaskRef`.
unsafe impl<T: Send + Sync> Sync for Task<T> {}

impl<T> Unpin for Task<T> {}

impl<T> Task<T> {
    /// # Safety
    /// The caller transfers one ref with JOIN_INTEREST set for it, and `T` is the cell's
    /// output type.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Task<T> {
        Task {
            // SAFETY: forwarded contract.
            task: ManuallyDrop::new(unsafe { TaskRef::from_raw(raw) }),
            waiting: false,
            shared_wait: None,
            _output: PhantomData,
        }
    }

    /// The type-erased handle of this task.
    pub fn task_ref(&self) -> TaskRef {
        (*self.task).clone()
    }

    /// The result of a done task (asyncio's `result()`), cloned out:
    /// `Ok(Ok(value))`, `Ok(Err(TaskError))` for a cancelled, raising or panicked task, and
    /// `Err(InvalidStateError)` if the task is pending or its output was already taken by
    /// `await` (a lone handle moves it out; a cloned one never does, see the module docs).
    pub fn result(&self) -> Result<Result<T, TaskError>, InvalidStateError>
    where
        T: Clone,
    {
        let raw = self.task.raw();
        if !raw.state().load().is_complete() {
            return Err(InvalidStateError::new("Result is not set."));
        }
        let mut out = None;
        // SAFETY: we are a `Task<T>` of a complete task, borrowed shared for the call:
        // the stage is ours (JOIN_INTEREST) and only `poll` of a lone handle (which needs
        // `&mut self`) or the last handle's drop write it. `T` is the cell's output type;
        // the closure only reads and clones.
        unsafe {
            raw.read_output(&mut |ptr| {
                if !ptr.is_null() {
                    let stored = &*(ptr as *const Result<T, TaskError>);
                    out = Some(stored.clone());
                }
            })
        };
        let Some(out) = out else {
            return Err(InvalidStateError::new(
                "the result was already taken by await",
            ));
        };
        if matches!(&out, Err(e) if e.is_failure()) {
            self.task.mark_exception_retrieved();
        }
        Ok(out)
    }
}

/// Handles are equal when they are handles of one task (Python's `is`).
impl<T> PartialEq for Task<T> {
    fn eq(&self, other: &Self) -> bool {
        *self.task == *other.task
    }
}

impl<T> Eq for Task<T> {}

impl<T> Hash for Task<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.task.hash(state);
    }
}

impl<T> PartialEq<TaskRef> for Task<T> {
    fn eq(&self, other: &TaskRef) -> bool {
        *self.task == *other
    }
}

impl<T> AsRef<TaskRef> for Task<T> {
    fn as_ref(&self) -> &TaskRef {
        &self.task
    }
}

impl<T> std::ops::Deref for Task<T> {
    type Target = TaskRef;
    fn deref(&self) -> &TaskRef {
        &self.task
    }
}

impl<T> Task<T> {
    /// Polls for the output without the await-point semantics of `Task<T>: Future`: no
    /// cancellation delivery, no waiter registration, no tracking. For composition
    /// functions that await many tasks on behalf of the current one. An exception read
    /// here counts as retrieved.
    pub(crate) fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        if self.task.raw().state().load().is_shared_output() {
            return self.poll_shared(cx);
        }
        let mut ret: Poll<Result<T, TaskError>> = Poll::Pending;
        // SAFETY: `ret` has the output type of the cell and we are its `Task<T>`.
        unsafe {
            self.task
                .raw()
                .try_read_output(&mut ret as *mut _ as *mut (), cx.waker())
        };
        if matches!(&ret, Poll::Ready(Err(e)) if e.is_failure()) {
            self.task.mark_exception_retrieved();
        }
        ret
    }
}

impl<T> Task<T> {
    /// [`poll_join`](Self::poll_join) of a shared handle: waits with a completion waker of
    /// its own (FIFO with the done callbacks), then clones the output out.
    fn poll_shared(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        let wait = self.shared_wait.get_or_insert_with(Box::default);
        if wait.poll(&self.task, cx).is_pending() {
            return Poll::Pending;
        }
        let out = self.read_shared();
        if matches!(&out, Err(e) if e.is_failure()) {
            self.task.mark_exception_retrieved();
        }
        Poll::Ready(out)
    }

    /// A clone of the stored outcome of a complete, shared task.
    fn read_shared(&self) -> Result<T, TaskError> {
        let clone = self
            .task
            .header()
            .asyncio
            .lock()
            .name_and_completion
            .as_ref()
            .and_then(|d| d.clone_output)
            .expect("a shared task records how to clone its output");
        let mut out = std::mem::MaybeUninit::<Result<T, TaskError>>::uninit();
        let mut written = false;
        // SAFETY: we are a `Task<T>` of a complete, shared task, borrowed for the call: with
        // SHARED_OUTPUT no handle moves the output and only the last handle's drop (not
        // while we exist) writes the stage. `clone` was made for this `T` by `clone()`;
        // `out` is a fresh slot of the same type.
        unsafe {
            self.task.raw().read_output(&mut |ptr| {
                if !ptr.is_null() {
                    clone(ptr, out.as_mut_ptr() as *mut ());
                    written = true;
                }
            })
        };
        if written {
            // SAFETY: `clone` initialised it.
            unsafe { out.assume_init() }
        } else {
            Err(TaskError::Exception(Exception::new(
                InvalidStateError::new(
                    "the result was taken by await before the task handle was cloned",
                ),
            )))
        }
    }

    fn remove_shared_hook(&mut self) {
        if let Some(wait) = &mut self.shared_wait {
            wait.clear(&self.task);
        }
    }
}

impl<T> Task<T> {
    /// Blocks this thread (not a worker: the caller checks) until the task is done, and
    /// returns its outcome. For `Runtime::block_on`.
    #[cfg(not(loom))]
    pub(crate) fn wait_blocking(mut self) -> Result<T, TaskError> {
        /// Wakes the blocked thread.
        struct Unpark(thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
            fn wake_by_ref(self: &Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = self.poll_join(&mut cx) {
                return out;
            }
            // Spurious returns are fine: the loop polls again.
            thread::park();
        }
    }

    /// `cfg(loom)`: the same wait on the facade's parker (a loom `Mutex<bool>` +
    /// `Condvar`) instead of `thread::park`. loom's `Thread::unpark` also wakes a thread
    /// that is blocked on a loom `Mutex` (here: `poll_join`, or the runtime's drop after
    /// a stale waker fired), which then fails loom's "expected to be able to acquire
    /// lock"; `asyncio::testing` waits the same way for the same reason
    /// (`TimerQueue::idle_watcher`).
    #[cfg(loom)]
    pub(crate) fn wait_blocking(mut self) -> Result<T, TaskError> {
        use crate::loom::parker::{Parker, Unparker};
        /// Wakes the blocked thread.
        struct Unpark(Unparker);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
            fn wake_by_ref(self: &Arc<Self>) {
                self.0.unpark();
            }
        }
        let parker = Parker::new();
        let waker = Waker::from(Arc::new(Unpark(parker.unparker().clone())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = self.poll_join(&mut cx) {
                return out;
            }
            // Spurious returns are fine: the loop polls again.
            parker.park();
        }
    }
}

/// Awaiting a task (`task.await`): the future [`Task`]'s `IntoFuture` gives.
///
/// A task is not itself a Rust `Future`, as an asyncio task is not a coroutine: that is
/// what lets the composition functions take a task as it is and wrap a plain future into
/// a task (`Awaitable`). `task.await` and `(&mut task).await` read as usual.
///
/// It remembers where it was made (the `.await`, through `#[track_caller]`): the task call
/// graph shows that line while the awaiting task is suspended here
/// ([`capture_call_graph`](crate::capture_call_graph)).
#[must_use = "futures do nothing unless awaited"]
pub struct TaskJoin<T>(Task<T>, &'static Location<'static>);

/// Awaiting a task through `&mut` (`(&mut task).await`): the handle stays with the caller.
#[must_use = "futures do nothing unless awaited"]
pub struct TaskJoinMut<'a, T>(&'a mut Task<T>, &'static Location<'static>);

impl<T> std::future::IntoFuture for Task<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = TaskJoin<T>;
    #[track_caller]
    fn into_future(self) -> TaskJoin<T> {
        TaskJoin(self, Location::caller())
    }
}

impl<'a, T> std::future::IntoFuture for &'a mut Task<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = TaskJoinMut<'a, T>;
    #[track_caller]
    fn into_future(self) -> TaskJoinMut<'a, T> {
        TaskJoinMut(self, Location::caller())
    }
}

impl<T> Future for TaskJoin<T> {
    type Output = Result<T, TaskError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let at = self.1;
        self.0.poll_await(cx, at)
    }
}

impl<T> Future for TaskJoinMut<'_, T> {
    type Output = Result<T, TaskError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let at = self.1;
        self.0.poll_await(cx, at)
    }
}

impl<T> TaskJoin<T> {
    /// The task being awaited.
    pub fn task(&self) -> &Task<T> {
        &self.0
    }

    /// The task back.
    pub fn into_task(self) -> Task<T> {
        self.0
    }
}

impl<T> Task<T> {
    /// A runtime-aware await point. A cancel request of the current task pending since
    /// its step began comes first, done or not (asyncio's `__step` throws it in instead
    /// of sending the result): delivered as the error, the output staying in this handle
    /// (`result()` gives it) — or, if this task ended cancelled, consumed by that
    /// cancellation, which is what the current task gets (asyncio keeps a thrown
    /// `CancelledError`). Otherwise a done task gives its output at once (asyncio's `await
    /// task` does not suspend then); while pending, this task is registered as the
    /// current task's waiter, so cancelling the current task cancels this one (a request
    /// the current task made during this step is forwarded to it when the step ends). A
    /// cancellation read from a task that ended cancelled is tracked by the current task.
    /// `at` is where the await happened, recorded with the registration for the call
    /// graph.
    pub(crate) fn poll_await(
        &mut self,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Result<T, TaskError>> {
        if self.task.cancelled() {
            consume_pending_cancel();
        } else if let Some(err) = deliver_pending_cancel_since_start() {
            return Poll::Ready(Err(TaskError::Cancelled(err)));
        }
        let mut ret = self.poll_join(cx);
        match &mut ret {
            Poll::Pending => {
                // Every pending poll re-registers: a registration only counts for the
                // poll that made it (see `waiter.rs`).
                let registered = waiter::register(CancelTarget::Task((*self.task).clone(), at));
                self.waiting |= registered;
            }
            Poll::Ready(out) => {
                if self.waiting {
                    self.waiting = false;
                    let me: &TaskRef = &self.task;
                    waiter::unregister(|t| t.is_task(me));
                }
                if let Err(TaskError::Cancelled(c)) = out {
                    // Awaiting a single task that ended cancelled cancels the awaiter too,
                    // unless it catches the error (docs/design.md §4.2).
                    if let Some(me) = current::current_raw() {
                        let msg = c.shared_message();
                        *c = CancelledError::tracked(msg, TaskRef::clone_from_raw(me));
                    }
                }
            }
        }
        ret
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if self.waiting {
            let me: &TaskRef = &self.task;
            waiter::unregister(|t| t.is_task(me));
        }
        self.remove_shared_hook();
        let raw = self.task.raw();
        if raw.state().load().is_shared_output() {
            let others_left = {
                let mut fields = raw.header().fields();
                let details = fields.name_and_completion();
                let others = details.extra_join_handles > 0;
                details.extra_join_handles = details.extra_join_handles.saturating_sub(1);
                others
            };
            if others_left {
                // Another handle still owns the output: only our ref goes.
                raw.drop_reference();
                return;
            }
        }
        // SAFETY: dropped once; the handle's ref and JOIN_INTEREST are released there.
        unsafe { raw.drop_join_handle_slow() };
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.task, f)
    }
}
