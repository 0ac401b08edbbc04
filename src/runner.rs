//! `asyncio::run` and `Runner` (asyncio's `runners.py`): the entry point above the
//! runtime and the composition layer (it waits for the cancelled tasks with `wait`).
//!
//! Every `run` of one `Runner` runs its main future in the same context: a copy of the
//! context current at the first `run`, as asyncio's `Runner` does (`self._context`), so
//! what one `run` sets, the next one sees, and the caller's own context is untouched. The
//! runner keeps it as a private context (values and token id) that the main future
//! carries during a run and hands back when it returns (not when it panics or is
//! cancelled): no `Context` object, so the main task creates tasks on the fast path.
//!
//! `close()` cancels every task still pending, waits until they have all finished (so
//! their cleanup runs: `finally`-style code after an await point gets its
//! `CancelledError`), reports their unexpected panics to the exception handler
//! ("unhandled exception during asyncio.run() shutdown"), then shuts the runtime down.
//! As in asyncio, a task that swallows its cancellation and never finishes keeps
//! `close()` waiting; dropping a [`Runtime`] instead never waits for tasks.

use std::fmt;
use std::future::Future;
use std::io;

use crate::compose::wait::{wait, ALL_COMPLETED};
use crate::contextvars::current::{self as contextvars, InContext, TaskContext};
use crate::loom::Mutex;
use crate::runtime::{Builder, Handle, Runtime};

/// Runs `future` as the main task of a new default runtime and returns its output
/// (asyncio's `asyncio.run`). Then, as asyncio does, every task still pending is
/// cancelled and awaited (their cleanup runs), and the runtime is shut down.
///
/// # Panics
/// As [`Runtime::block_on`]; also if the runtime cannot start.
///
/// ```
/// let n = asyncio::run(async {
///     let t = asyncio::create_task(async { 20 });
///     t.await.unwrap() + 1
/// });
/// assert_eq!(n, 21);
/// ```
pub fn run<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runner = Runner::new().expect("asyncio::run: failed to start the runtime");
    let out = runner.run(future);
    runner.close();
    out
}

/// Runs several futures on one runtime, then closes it (asyncio's `asyncio.Runner`).
///
/// ```
/// let runner = asyncio::Runner::new().unwrap();
/// assert_eq!(runner.run(async { 1 }), 1);
/// assert_eq!(runner.run(async { 2 }), 2);
/// runner.close();
/// ```
pub struct Runner {
    rt: Option<Runtime>,
    /// The context every `run` runs in: copied at the first one (`None` before), handed
    /// back by each.
    context: Mutex<Option<TaskContext>>,
}

impl Runner {
    /// A runner on a default runtime.
    pub fn new() -> io::Result<Runner> {
        Runner::with_builder(Builder::new())
    }

    /// A runner on a runtime built by `builder`.
    pub fn with_builder(builder: Builder) -> io::Result<Runner> {
        Ok(Runner {
            rt: Some(builder.build()?),
            context: Mutex::new(None),
        })
    }

    /// Runs `future` as a main task and returns its output (see
    /// [`Runtime::block_on`] for panics and cancellation). Every `run` runs in the
    /// runner's context (see the module docs): context variables set by one are seen by
    /// the next.
    ///
    /// ```
    /// static V: asyncio::ContextVar<u32> = asyncio::ContextVar::new("v");
    /// let runner = asyncio::Runner::new().unwrap();
    /// runner.run(async {
    ///     V.set(1);
    /// });
    /// assert_eq!(runner.run(async { V.get() }), Some(1));
    /// assert_eq!(V.get(), None);
    /// runner.close();
    /// ```
    pub fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let context = self
            .context
            .lock()
            .get_or_insert_with(contextvars::capture)
            .clone();
        let main = async move {
            let out = future.await;
            (out, contextvars::current_private())
        };
        let (out, context) = self.runtime().block_on(InContext::new(context, main));
        if let Some(context) = context {
            *self.context.lock() = Some(context);
        }
        out
    }

    /// The runtime's handle (asyncio's `get_loop()`).
    pub fn handle(&self) -> &Handle {
        self.runtime().handle()
    }

    fn runtime(&self) -> &Runtime {
        self.rt.as_ref().expect("the runner is open until dropped")
    }

    /// Cancels the tasks still pending, waits for them, and shuts the runtime down.
    pub fn close(mut self) {
        self.close_inner();
    }

    fn close_inner(&mut self) {
        if let Some(rt) = self.rt.take() {
            cancel_all_tasks(&rt);
            drop(rt);
        }
    }
}

/// asyncio's `_cancel_all_tasks`.
pub(crate) fn cancel_all_tasks(rt: &Runtime) {
    let to_cancel = rt.handle().all_tasks();
    if to_cancel.is_empty() {
        return;
    }
    for t in &to_cancel {
        t.cancel(None);
    }
    let waiting = to_cancel.clone();
    // Waits for all of them; the waiting task is not among them.
    let _ = rt.block_on(async move { wait(waiting, None, ALL_COMPLETED).await.map(|_| ()) });
    for t in &to_cancel {
        if t.cancelled() {
            continue;
        }
        if let Ok(Some(failure)) = t.exception() {
            rt.handle().shared.report_exception(
                "unhandled exception during asyncio.run() shutdown",
                Some(failure),
                Some(crate::runtime::exception::ReportedTask {
                    id: t.id().as_u64(),
                    name: t.get_name(),
                }),
            );
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.close_inner();
    }
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner").field("runtime", &self.rt).finish()
    }
}
