//! The runtime: `Runtime`, `Builder`, `Handle`, `run()`, and shutdown.
//!
//! ## Shutdown
//! Dropping a [`Runtime`] (and the end of [`run`]) closes it: the injector stops
//! accepting work (late pushes drop their task), every worker is woken and leaves its
//! loop after its current poll, cancelling by force the tasks left in its own queues.
//! Then, on the dropping thread, the LIFO slots, the injector and the scheduled registry
//! are drained and every task still pending is cancelled by force: its future is dropped
//! exactly once and it ends cancelled. Timers are dropped last. Tasks parked on foreign
//! never-ready futures are found through the registry, so nothing leaks and nothing
//! hangs. Handles, wakers and `TaskRef`s that outlive the runtime stay valid (their cell
//! is freed with its last reference); waking such a task does nothing.

pub(crate) mod blocking;
pub(crate) mod builder;
pub(crate) mod callbacks;
pub(crate) mod context;
pub(crate) mod exception;
pub(crate) mod handle;
pub(crate) mod hooks;
pub(crate) mod metrics;
pub(crate) mod scheduler;
#[cfg(all(test, loom))]
mod tests;
pub(crate) mod time;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::compose::awaitable::IntoAwaited;
use crate::loom::thread::JoinHandle;
use crate::task::error::TaskError;
use crate::task::output::{IntoOutcome, Value};
use crate::task::Task;

pub use builder::Builder;
pub use handle::Handle;
pub use metrics::RuntimeMetrics;

/// A multi-threaded, work-stealing asyncio runtime.
///
/// ```
/// let rt = asyncio::Runtime::new().unwrap();
/// let t = rt.handle().create_task(async { "from a worker" });
/// assert_eq!(rt.block_on(t).unwrap(), "from a worker");
/// ```
pub struct Runtime {
    handle: Handle,
    threads: Vec<JoinHandle<()>>,
}

impl Runtime {
    /// A runtime with the default [`Builder`] settings.
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new().build()
    }

    pub(crate) fn from_parts(handle: Handle, threads: Vec<JoinHandle<()>>) -> Runtime {
        Runtime { handle, threads }
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Creates a task (see [`Handle::create_task`]).
    pub fn create_task<F>(&self, future: F) -> Task<<F::Output as IntoOutcome>::Value>
    where
        F: Future + Send + 'static,
        F::Output: IntoOutcome,
    {
        self.handle.create_task(future)
    }

    /// Runs `future` as a task (the main task: `current_task()` inside it is that task)
    /// and blocks this thread until it finishes.
    ///
    /// # Panics
    /// If the task panics, the panic resumes here. If it is cancelled, this panics with
    /// the `CancelledError` (asyncio raises it out of `run_until_complete`); if the runtime
    /// was shut down by a panic (`UnhandledPanic::ShutdownRuntime`), with that panic's
    /// message. Calling it
    /// from a worker thread of any runtime panics, since it would block that worker
    /// (asyncio: "cannot be called from a running event loop").
    pub fn block_on<A>(&self, awaitable: A) -> <A::Future as Future>::Output
    where
        A: IntoAwaited,
        A::Future: Send + 'static,
        <A::Future as Future>::Output: Send + 'static,
    {
        let future = awaitable.into_awaited();
        if context::is_worker_thread() {
            panic!(
                "Runtime::block_on cannot be called from a running event loop: \
                 await the future instead"
            );
        }
        // The output goes back as it is: a `Result` is the caller's, not an exception.
        let main = self.handle.create_task(async move { Value(future.await) });
        match main.wait_blocking() {
            Ok(Value(v)) => v,
            Err(TaskError::Panicked(p)) => p.resume_unwind(),
            Err(TaskError::Exception(e)) => unreachable!("a `Value` output raises nothing: {e}"),
            Err(TaskError::Cancelled(c)) => match self.handle.shared.panic_shutdown_cause() {
                Some(cause) => {
                    // The sweep that cancelled the main task may still be cancelling the
                    // others: let it finish (or do it), so that every pending task is
                    // gone when the panic surfaces.
                    self.handle.shared.finish_shutdown();
                    panic!("{cause}")
                }
                None => panic!("the main task was cancelled: {c}"),
            },
        }
    }

    /// Shuts down, waiting at most `timeout` for workers busy in a poll; a worker still
    /// busy after that is left to finish on its own (its task is cancelled when the poll
    /// returns). Blocking jobs still running are waited for at most `timeout` too.
    /// Returns `false` if something was left running.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> bool {
        self.shutdown(Some(timeout))
    }

    fn shutdown(&mut self, timeout: Option<Duration>) -> bool {
        let shared = &self.handle.shared;
        if self.threads.is_empty() && shared.is_closed() {
            return true;
        }
        shared.close();
        // Blocking pool: no new jobs; jobs not started are dropped (runtime/blocking.rs).
        shared.blocking.close();
        // Dropped from one of its own workers (inside a task): that worker cannot be
        // joined from here; it leaves its loop when this poll returns.
        let own_worker =
            context::with_worker(|w| w.is_some_and(|w| std::ptr::eq(&*w.shared, &**shared)));
        let all_exited = shared.wait_workers_exited(usize::from(own_worker), timeout);
        for t in std::mem::take(&mut self.threads) {
            if all_exited && !own_worker {
                let _ = t.join();
            }
            // Otherwise detached.
        }
        shared.finish_shutdown();
        // Running blocking jobs: waited for at most a bound, then left detached.
        let bound = timeout.unwrap_or_else(|| shared.blocking.shutdown_timeout());
        let blocking_exited = shared.blocking.wait_exited(bound);
        crate::trace::runtime_stopped();
        all_exited && blocking_exited
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish()
    }
}

/// Returns the handle of the running runtime (asyncio's `get_running_loop`).
///
/// ```
/// asyncio::run(async {
///     let handle = asyncio::get_running_loop().unwrap();
///     assert!(handle.num_workers() >= 1);
/// });
/// assert!(asyncio::get_running_loop().is_err());
/// ```
pub fn get_running_loop() -> Result<Handle, crate::RuntimeError> {
    Handle::try_current()
}
