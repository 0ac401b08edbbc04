//! `gather`: await many tasks, results in argument order (asyncio's `asyncio.gather`).
//!
//! * Default: the first child that fails (panics or ends cancelled) makes the gather fail
//!   with that error; the other children keep running (their handles are dropped, which
//!   detaches them). A child's cancellation reaches the awaiter as a `CancelledError`
//!   tracked by the awaiting task, as when awaiting a single task that ended cancelled.
//! * [`return_exceptions`](Gather::return_exceptions): every outcome in place, errors as
//!   untracked values, so returning them does not cancel the collector.
//! * Cancelling the task that awaits a gather cancels every child still running (the
//!   gather is that task's waiter); the gather then ends cancelled once its children
//!   finish, with either mode (asyncio's `_GatheringFuture.cancel`, issue 32684).
//! * A cancel request pending for the awaiting task since its step began is delivered at
//!   the gather (`Err`) before anything is registered (asyncio throws it in where the
//!   coroutine resumes, before it reaches `gather`). One made during the step that
//!   reaches the gather (the task cancelling itself, or another thread meanwhile) is
//!   forwarded to the children when the step ends, as asyncio's `Task.__step` cancels the
//!   future the coroutine yields while `_must_cancel` is set (`docs/design.md` §4.2).
//! * Empty input: an empty `Vec` at once.
//! * The awaiter is woken once, when the gather completes (asyncio's `_done_callback` of
//!   the child that finishes the gather sets the outer future, whose done callback wakes
//!   the awaiter: two hops after that child finished), not at each child's completion:
//!   the children's completion callbacks count in the `WatchSet` and only the one that
//!   finishes it (the last child; by default also the first that fails) wakes the
//!   awaiter (`WakeOn::WhenFinished`).
//! * Children already done when the gather is first polled are taken in at that poll, in
//!   argument order, as 3.12+ `gather` runs their done callbacks before returning: if they
//!   finish the gather (all done, or by default one failed), awaiting it completes
//!   without a loop iteration. (A `Gather` is a lazy future: it registers when first
//!   polled, where asyncio's `gather()` registers when called.)
//!
//! Children are [`Task`]s; wrap plain futures with [`create_task`](crate::create_task) or
//! [`ensure_future`](crate::ensure_future) first.

use crate::compose::awaitable::Awaitable;
use crate::loom::StdArc;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::compose::watch::{WakeOn, WatchSet};
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::Mutex;
use crate::task::cancel::waiter::{self, CancelFanOut, CancelTarget};
use crate::task::cancel::{deliver_pending_cancel, CancelledError};
use crate::task::current;
use crate::task::error::TaskError;
use crate::task::graph::{AwaitedKind, Awaiting};
use crate::task::state::Outcome;
use crate::task::{Task, TaskRef};

mod sealed {
    pub trait Sealed {}
}

/// The children of a gather: a `Vec` of tasks or a tuple of 2 to 8 tasks.
pub trait GatherChildren: sealed::Sealed + Send + 'static {
    /// The results when every child returned a value.
    type Output;
    /// Every outcome in place (`return_exceptions`).
    type AllOutput;
    #[doc(hidden)]
    fn refs(&self) -> Vec<TaskRef>;
    /// Takes the outcome of child `i` (done) into its slot; returns its error, if any.
    #[doc(hidden)]
    fn collect(&mut self, i: usize) -> Result<(), TaskError>;
    #[doc(hidden)]
    fn into_output(self) -> Self::Output;
    #[doc(hidden)]
    fn into_all(self) -> Self::AllOutput;
}

/// Reads the outcome of a task known to be done.
fn take_done<T>(task: &mut Task<T>) -> Result<T, TaskError> {
    match task.poll_join(&mut Context::from_waker(std::task::Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => unreachable!("reported complete by its completion hook"),
    }
}

fn slot_error<T>(slot: &Option<Result<T, TaskError>>) -> Result<(), TaskError> {
    match slot {
        Some(Err(e)) => Err(e.clone()),
        _ => Ok(()),
    }
}

/// The children of [`gather`]: any number of tasks with one output type.
pub struct VecOf<T> {
    tasks: Vec<Task<T>>,
    slots: Vec<Option<Result<T, TaskError>>>,
}

impl<T> sealed::Sealed for VecOf<T> {}

impl<T: Send + 'static> GatherChildren for VecOf<T> {
    type Output = Vec<T>;
    type AllOutput = Vec<Result<T, TaskError>>;

    fn refs(&self) -> Vec<TaskRef> {
        self.tasks.iter().map(|t| t.task_ref()).collect()
    }

    fn collect(&mut self, i: usize) -> Result<(), TaskError> {
        self.slots[i] = Some(take_done(&mut self.tasks[i]));
        slot_error(&self.slots[i])
    }

    fn into_output(self) -> Vec<T> {
        self.slots
            .into_iter()
            .map(|s| match s {
                Some(Ok(v)) => v,
                _ => unreachable!("into_output is called when every child returned"),
            })
            .collect()
    }

    fn into_all(self) -> Vec<Result<T, TaskError>> {
        self.slots
            .into_iter()
            .map(|s| s.expect("into_all is called when every child is done"))
            .collect()
    }
}

macro_rules! tuple_children {
    ($name:ident, $fn_name:ident, $n:literal; $($idx:tt $T:ident $t:ident),+) => {
        /// The children of a typed gather: a tuple of tasks with their own output types.
        pub struct $name<$($T),+> {
            tasks: ($(Task<$T>,)+),
            slots: ($(Option<Result<$T, TaskError>>,)+),
        }

        impl<$($T),+> sealed::Sealed for $name<$($T),+> {}

        impl<$($T: Send + 'static),+> GatherChildren for $name<$($T),+> {
            type Output = ($($T,)+);
            type AllOutput = ($(Result<$T, TaskError>,)+);

            fn refs(&self) -> Vec<TaskRef> {
                vec![$(self.tasks.$idx.task_ref()),+]
            }

            fn collect(&mut self, i: usize) -> Result<(), TaskError> {
                match i {
                    $($idx => {
                        self.slots.$idx = Some(take_done(&mut self.tasks.$idx));
                        slot_error(&self.slots.$idx)
                    })+
                    _ => unreachable!("index out of range"),
                }
            }

            fn into_output(self) -> Self::Output {
                ($(match self.slots.$idx {
                    Some(Ok(v)) => v,
                    _ => unreachable!("into_output is called when every child returned"),
                },)+)
            }

            fn into_all(self) -> Self::AllOutput {
                ($(self.slots.$idx.expect("every child is done"),)+)
            }
        }

        #[doc = concat!("Gathers ", stringify!($n), " awaitables with their own output types \
            (tasks, `asyncio::Future`s or plain futures, see [`gather`]); the results come \
            back as a tuple in argument order.")]
        ///
        /// ```
        /// asyncio::run(async {
        ///     let a = asyncio::create_task(async { 1 });
        ///     let (x, y) = asyncio::gather2(a, async { "two" }).await.unwrap();
        ///     assert_eq!((x, y), (1, "two"));
        /// });
        /// ```
        #[allow(clippy::too_many_arguments)]
        #[track_caller]
        pub fn $fn_name<$($T: Awaitable),+>($($t: $T),+) -> Gather<$name<$($T::Value),+>> {
            Gather::new($name {
                tasks: ($($t.into_task(),)+),
                slots: ($(None::<Result<$T::Value, TaskError>>,)+),
            })
        }
    };
}

tuple_children!(Tuple2, gather2, 2; 0 A a, 1 B b);
tuple_children!(Tuple3, gather3, 3; 0 A a, 1 B b, 2 C c);
tuple_children!(Tuple4, gather4, 4; 0 A a, 1 B b, 2 C c, 3 D d);
tuple_children!(Tuple5, gather5, 5; 0 A a, 1 B b, 2 C c, 3 D d, 4 E e);
tuple_children!(Tuple6, gather6, 6; 0 A a, 1 B b, 2 C c, 3 D d, 4 E e, 5 F f);
tuple_children!(Tuple7, gather7, 7; 0 A a, 1 B b, 2 C c, 3 D d, 4 E e, 5 F f, 6 G g);
tuple_children!(Tuple8, gather8, 8; 0 A a, 1 B b, 2 C c, 3 D d, 4 E e, 5 F f, 6 G g, 7 H h);

/// Gathers awaitables of one output type; results in argument order (asyncio's
/// `gather`). A task or `asyncio::Future` is taken as it is, a plain future is wrapped
/// into a task (`ensure_future`); pass `task.clone()` to keep a handle.
///
/// Resolves to `Ok(results)`, or the first child's error (see the module docs). Use
/// [`Gather::return_exceptions`] for every outcome in place.
///
/// ```
/// asyncio::run(async {
///     let tasks: Vec<_> = (1..=3).map(|i| asyncio::create_task(async move { i * 10 })).collect();
///     assert_eq!(asyncio::gather(tasks).await.unwrap(), vec![10, 20, 30]);
///     let coros = (1..=2).map(|i| async move { i });
///     assert_eq!(asyncio::gather(coros).await.unwrap(), vec![1, 2]);
///     assert!(asyncio::gather(Vec::<asyncio::Task<()>>::new()).await.unwrap().is_empty());
/// });
/// ```
#[track_caller]
pub fn gather<A, I>(awaitables: I) -> Gather<VecOf<A::Value>>
where
    A: Awaitable,
    I: IntoIterator<Item = A>,
{
    let tasks: Vec<Task<A::Value>> = awaitables.into_iter().map(A::into_task).collect();
    let slots = tasks.iter().map(|_| None).collect();
    Gather::new(VecOf { tasks, slots })
}

/// Forwards a cancellation of the awaiting task to every child.
struct GatherCancel {
    children: Vec<TaskRef>,
    /// Where `gather(..)` was called, for the call graph.
    at: &'static Location<'static>,
    requested: AtomicBool,
    msg: Mutex<Option<StdArc<str>>>,
}

impl CancelFanOut for GatherCancel {
    fn tasks(&self) -> &[TaskRef] {
        &self.children
    }

    fn accepted(&self, msg: Option<StdArc<str>>) {
        *self.msg.lock() = msg;
        self.requested.store(true, Ordering::Release);
    }

    fn describe(&self) -> Awaiting {
        Awaiting::of_tasks(AwaitedKind::Gather, Some(self.at), &self.children)
    }
}

struct Core<C> {
    children: Option<C>,
    watch: WatchSet,
    cancel: StdArc<GatherCancel>,
    waiting: bool,
}

/// What the core saw on a poll.
enum Progress {
    Pending,
    /// A child failed (default mode stops here).
    Failed(TaskError),
    /// Every child is done.
    AllDone,
}

impl<C: GatherChildren> Core<C> {
    #[track_caller]
    fn new(children: C) -> Core<C> {
        let refs = children.refs();
        Core {
            watch: WatchSet::with_wake_on(refs.clone(), WakeOn::WhenFinished { ends: failed }),
            cancel: StdArc::new(GatherCancel {
                children: refs,
                at: Location::caller(),
                requested: AtomicBool::new(false),
                msg: Mutex::new(None),
            }),
            children: Some(children),
            waiting: false,
        }
    }

    fn poll_progress(&mut self, cx: &mut Context<'_>, stop_on_failure: bool) -> Progress {
        let children = self.children.as_mut().expect("polled after completion");
        while self.watch.remaining() > 0 {
            match self.watch.poll_ready(cx) {
                Poll::Pending => {
                    let target: StdArc<dyn CancelFanOut> = self.cancel.clone();
                    self.waiting |= waiter::register(CancelTarget::Tasks(target));
                    return Progress::Pending;
                }
                Poll::Ready(indices) => {
                    for i in indices {
                        if let Err(e) = children.collect(i) {
                            if stop_on_failure {
                                return Progress::Failed(e);
                            }
                        }
                    }
                }
            }
        }
        Progress::AllDone
    }

    /// The cancellation a cancelled gather ends with, tracked by the awaiting task.
    fn cancelled(&self) -> Option<CancelledError> {
        if !self.cancel.requested.load(Ordering::Acquire) {
            return None;
        }
        Some(track(self.cancel.msg.lock().clone()))
    }

    fn finish(&mut self) -> C {
        if self.waiting {
            let ptr = StdArc::as_ptr(&self.cancel) as *const ();
            waiter::unregister(|t| t.is_awaitable(ptr));
            self.waiting = false;
        }
        // Children whose outcome the gather did not report (it failed early or was
        // cancelled): their exceptions count as retrieved, now or when they come, as
        // asyncio's _done_callback marks them once the outer future is done. A flag, not
        // a callback, so nothing is left registered on them.
        for child in &self.cancel.children {
            child.mark_exception_retrieved();
        }
        self.children.take().expect("finished once")
    }
}

/// A child outcome that finishes a gather in the default mode (asyncio's `_done_callback`
/// sets the outer future's exception when the child was cancelled or raised): anything
/// but a returned value. Read from the state word in the child's completion callback,
/// without marking a panic retrieved (the typed outcome is read when the gather is
/// polled).
fn failed(child: &TaskRef) -> bool {
    matches!(child.header().state.load().outcome(), Some(o) if o != Outcome::Returned)
}

/// A cancellation of the current task (tracked by it) or, outside a task, untracked.
fn track(msg: Option<StdArc<str>>) -> CancelledError {
    match current::current_raw() {
        Some(me) => CancelledError::tracked(msg, TaskRef::clone_from_raw(me)),
        None => CancelledError::from_shared(msg),
    }
}

fn track_error(e: TaskError) -> TaskError {
    match e {
        TaskError::Cancelled(c) => TaskError::Cancelled(track(c.shared_message())),
        other => other,
    }
}

/// Future returned by [`gather`] and `gather2`..`gather8`.
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<C> {
    core: Core<C>,
}

// Nothing is pinned: the children are task handles, polled through `&mut`.
impl<C> Unpin for Gather<C> {}
impl<C> Unpin for GatherAll<C> {}

impl<C: GatherChildren> Gather<C> {
    #[track_caller]
    fn new(children: C) -> Gather<C> {
        Gather {
            core: Core::new(children),
        }
    }

    /// Every outcome in place instead of the first error (asyncio's
    /// `return_exceptions=True`); the gather itself fails only if it was cancelled.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let ok = asyncio::create_task(async { 1 });
    ///     let bad = asyncio::create_task(async { if true { panic!("child failed") } });
    ///     let (a, b) = asyncio::gather2(ok, bad).return_exceptions().await.unwrap();
    ///     assert_eq!(a.unwrap(), 1);
    ///     assert!(b.unwrap_err().is_panic());
    /// });
    /// ```
    pub fn return_exceptions(mut self) -> GatherAll<C> {
        // Only the last completion finishes it.
        self.core
            .watch
            .set_wake_on(WakeOn::WhenFinished { ends: |_| false });
        GatherAll { core: self.core }
    }
}

impl<C: GatherChildren> Future for Gather<C> {
    type Output = Result<C::Output, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.core.poll_progress(cx, true) {
            // A request pending since the step began is delivered here; one made during
            // this step is offered to the gather (the task's waiter) when the step ends,
            // which cancels the children (asyncio's `__step` cancels the yielded future).
            Progress::Pending => match deliver_pending_cancel() {
                Some(err) => {
                    this.core.finish();
                    Poll::Ready(Err(TaskError::Cancelled(err)))
                }
                None => Poll::Pending,
            },
            Progress::Failed(e) => {
                this.core.finish();
                Poll::Ready(Err(track_error(e)))
            }
            Progress::AllDone => {
                let cancelled = this.core.cancelled();
                let children = this.core.finish();
                Poll::Ready(match cancelled {
                    Some(c) => Err(TaskError::Cancelled(c)),
                    None => Ok(children.into_output()),
                })
            }
        }
    }
}

/// Future returned by [`Gather::return_exceptions`].
#[must_use = "futures do nothing unless awaited"]
pub struct GatherAll<C> {
    core: Core<C>,
}

impl<C: GatherChildren> Future for GatherAll<C> {
    type Output = Result<C::AllOutput, CancelledError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.core.poll_progress(cx, false) {
            // A request pending since the step began is delivered here; one made during
            // this step is offered to the gather (the task's waiter) when the step ends,
            // which cancels the children (asyncio's `__step` cancels the yielded future).
            Progress::Pending => match deliver_pending_cancel() {
                Some(err) => {
                    this.core.finish();
                    Poll::Ready(Err(err))
                }
                None => Poll::Pending,
            },
            Progress::Failed(_) => unreachable!("return_exceptions does not stop early"),
            Progress::AllDone => {
                let cancelled = this.core.cancelled();
                let children = this.core.finish();
                Poll::Ready(match cancelled {
                    Some(c) => Err(c),
                    None => Ok(children.into_all()),
                })
            }
        }
    }
}

impl<C> Drop for Core<C> {
    fn drop(&mut self) {
        if self.waiting {
            let ptr = StdArc::as_ptr(&self.cancel) as *const ();
            waiter::unregister(|t| t.is_awaitable(ptr));
        }
    }
}

impl<C> fmt::Debug for Gather<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("children", &self.core.cancel.children.len())
            .finish()
    }
}

impl<C> fmt::Debug for GatherAll<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherAll")
            .field("children", &self.core.cancel.children.len())
            .finish()
    }
}
