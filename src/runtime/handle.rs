//! `Handle`: a cheap, thread-safe reference to a runtime (what asyncio code reaches as
//! "the loop").

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;
use crate::runtime::callbacks::{
    call_at_on, new_callback, CallbackHandle, CallbackStart, TimerHandle,
};
use crate::runtime::context;
use crate::runtime::scheduler::Shared;
use crate::runtime::time::clock::{self, IntoDeadline};
use crate::task::error::RuntimeError;
use crate::task::output::IntoOutcome;
use crate::task::spawn::{spawn, SpawnOptions};
use crate::task::{Task, TaskRef};

/// A handle to a runtime: `Send + Sync + Clone`, usable from any thread.
///
/// Inside the runtime, [`get_running_loop`](crate::get_running_loop) returns it; outside,
/// take it from [`Runtime::handle`](crate::Runtime::handle).
///
/// ```
/// let rt = asyncio::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let out = std::thread::spawn(move || {
///     asyncio::run_coroutine_threadsafe(async { 6 * 7 }, &handle).wait()
/// })
/// .join()
/// .unwrap();
/// assert_eq!(out.unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// The task factory of a runtime (asyncio's `loop.set_task_factory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskFactory {
    /// Tasks are queued when created (asyncio's default).
    #[default]
    Default,
    /// Tasks run their first step inline when created on a worker
    /// (asyncio's `eager_task_factory`).
    Eager,
}

/// asyncio's `eager_task_factory`, for [`Handle::set_task_factory`] and
/// [`Builder::task_factory`](crate::Builder::task_factory).
pub const EAGER_TASK_FACTORY: TaskFactory = TaskFactory::Eager;

impl Handle {
    /// The runtime running the current task (or owning this worker thread).
    pub fn try_current() -> Result<Handle, RuntimeError> {
        context::current_shared()
            .map(|shared| Handle { shared })
            .ok_or(RuntimeError::NO_RUNNING_LOOP)
    }

    /// Like [`try_current`](Self::try_current).
    ///
    /// # Panics
    /// Outside a runtime.
    pub fn current() -> Handle {
        Handle::current_or_panic("Handle::current")
    }

    pub(crate) fn current_or_panic(what: &str) -> Handle {
        match Handle::try_current() {
            Ok(h) => h,
            Err(e) => panic!("{what}: {e}"),
        }
    }

    /// Creates a task on this runtime, from any thread (asyncio's `loop.create_task`).
    pub fn create_task<F>(&self, future: F) -> Task<<F::Output as IntoOutcome>::Value>
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        spawn(&self.shared, future, SpawnOptions::DEFAULT)
    }

    /// Schedules `f` to run on the runtime as soon as possible, from any thread (asyncio's
    /// `loop.call_soon_threadsafe`). Enters through the scheduler's injection queue when
    /// called off the workers.
    pub fn call_soon_threadsafe<F>(&self, f: F) -> CallbackHandle
    where
        F: FnOnce() + Send + 'static,
    {
        new_callback(&self.shared, f, CallbackStart::Soon).0
    }

    /// Same as [`call_soon_threadsafe`](Self::call_soon_threadsafe): every handle method is
    /// thread-safe.
    pub fn call_soon<F>(&self, f: F) -> CallbackHandle
    where
        F: FnOnce() + Send + 'static,
    {
        self.call_soon_threadsafe(f)
    }

    /// Schedules `f` after `delay` (millisecond resolution, never early).
    pub fn call_later<F>(&self, delay: Duration, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let now = clock::now();
        let when = now
            .checked_add(delay)
            .unwrap_or_else(|| now + Duration::from_secs(86400 * 365 * 100));
        call_at_on(&self.shared, when, f)
    }

    /// Schedules `f` at `when`: an `Instant`, or seconds on the [`time`](Self::time) scale.
    pub fn call_at<F>(&self, when: impl IntoDeadline, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        call_at_on(&self.shared, when.into_instant(), f)
    }

    /// The runtime's clock in seconds (asyncio's `loop.time()`), monotonic and shared by
    /// all runtimes of the process.
    pub fn time(&self) -> f64 {
        clock::seconds_now()
    }

    /// Every task of this runtime that is not done, from any thread (asyncio's
    /// `all_tasks(loop)`). See [`all_tasks`](crate::all_tasks) for the guarantees.
    pub fn all_tasks(&self) -> Vec<TaskRef> {
        let mut out = Vec::new();
        for remote in self.shared.remotes.iter() {
            remote.eager.not_done(&mut out);
        }
        let eager_ids: Vec<u64> = out.iter().map(|t| t.id().as_u64()).collect();
        out.extend(self.shared.registry.scheduled_not_done(&eager_ids));
        out
    }

    /// Every live task of this runtime as a tree of who awaits whom, from any thread
    /// (`python -m asyncio pstree`); print it with `{}`. A snapshot taken while the
    /// workers run, see [`TaskTree`](crate::TaskTree) and
    /// [`capture_call_graph`](crate::capture_call_graph).
    ///
    /// ```
    /// let rt = asyncio::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let t = rt.block_on(async {
    ///     asyncio::Task::builder()
    ///         .name("sleeper")
    ///         .create_task(asyncio::sleep(std::time::Duration::from_secs(3600)))
    /// });
    /// // From this (non-worker) thread, while the runtime runs:
    /// let tree = handle.task_tree();
    /// assert!(tree.to_string().contains("(T) sleeper [id="));
    /// t.cancel(None);
    /// ```
    pub fn task_tree(&self) -> crate::TaskTree {
        crate::TaskTree::capture(&self.shared)
    }

    /// Sets the task factory (asyncio's `loop.set_task_factory(eager_task_factory)`).
    pub fn set_task_factory(&self, factory: TaskFactory) {
        self.shared
            .config
            .eager_tasks
            .store(factory == TaskFactory::Eager, Ordering::Relaxed);
    }

    /// The current task factory.
    pub fn get_task_factory(&self) -> TaskFactory {
        if self.shared.config.eager_tasks.load(Ordering::Relaxed) {
            TaskFactory::Eager
        } else {
            TaskFactory::Default
        }
    }

    /// Number of worker threads.
    pub fn num_workers(&self) -> usize {
        self.shared.config.num_workers
    }

    /// The runtime's metrics: worker counters (polls, steals, parks, LIFO hits), live
    /// tasks, queue depths, blocking threads, pending timers. A cheap handle; see
    /// [`RuntimeMetrics`](crate::RuntimeMetrics) for how fresh each number is.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
    /// let metrics = rt.handle().metrics();
    /// assert_eq!(metrics.num_workers(), 1);
    /// assert_eq!(metrics.num_alive_tasks(), 0);
    /// ```
    pub fn metrics(&self) -> crate::RuntimeMetrics {
        crate::RuntimeMetrics::new(self.shared.clone())
    }

    /// `true` once the runtime shut down (or started to).
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// `true` if both handles refer to the same runtime.
    pub fn same_runtime(&self, other: &Handle) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.num_workers())
            .field("closed", &self.is_closed())
            .finish()
    }
}
