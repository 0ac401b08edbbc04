//! `Builder`: configures and starts a runtime.

use crate::loom::StdArc;
use crate::runtime::hooks::RuntimeHooks;
use crate::task::TaskRef;
use std::fmt;
use std::io;
use std::time::Duration;

use crate::loom::deque::Worker;
use crate::loom::parker::Parker;
use crate::loom::sync::atomic::AtomicBool;
use crate::loom::sync::Arc;
use crate::runtime::blocking::BlockingConfig;
use crate::runtime::exception::{ExceptionContext, ExceptionHandler, UnhandledPanic};
use crate::runtime::handle::{Handle, TaskFactory};
use crate::runtime::scheduler::worker::WorkerCore;
use crate::runtime::scheduler::{Config, Shared};
use crate::runtime::{context, Runtime};
use crate::task::notified::Notified;

/// Builds a [`Runtime`].
///
/// ```
/// let rt = asyncio::Builder::new()
///     .worker_threads(2)
///     .thread_name("app-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[must_use = "a builder does nothing until build() is called"]
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: String,
    stack_size: Option<usize>,
    factory: TaskFactory,
    exception_handler: Option<ExceptionHandler>,
    unhandled_panic: UnhandledPanic,
    blocking: BlockingConfig,
    hooks: RuntimeHooks,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Defaults: one worker per CPU (`num_cpus::get()`), queued task start, exceptions
    /// written to stderr.
    pub fn new() -> Builder {
        Builder {
            worker_threads: None,
            thread_name: "asyncio-worker".to_owned(),
            stack_size: None,
            factory: TaskFactory::Default,
            exception_handler: None,
            unhandled_panic: UnhandledPanic::Report,
            blocking: BlockingConfig::default(),
            hooks: RuntimeHooks::default(),
        }
    }

    /// Number of worker threads. `1` is the deterministic mode: no LIFO slot, tasks and
    /// callbacks run in asyncio's FIFO order. `0` is rejected by [`build`](Self::build).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// Prefix of the worker threads' names (`{prefix}-{index}`).
    pub fn thread_name(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name = prefix.into();
        self
    }

    /// Stack size of the runtime's threads: the workers and the blocking pool's threads
    /// (`to_thread`). Default: the standard library's (2 MiB, or `RUST_MIN_STACK`).
    ///
    /// ```
    /// let rt = asyncio::Builder::new().thread_stack_size(8 << 20).build().unwrap();
    /// rt.block_on(async { asyncio::to_thread(|| ()).await.unwrap() });
    /// ```
    pub fn thread_stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// `true` installs asyncio's `eager_task_factory`: tasks created on a worker run their
    /// first step inline.
    pub fn eager_tasks(mut self, eager: bool) -> Self {
        self.factory = if eager {
            TaskFactory::Eager
        } else {
            TaskFactory::Default
        };
        self
    }

    /// Sets the task factory (see [`TaskFactory`]).
    pub fn task_factory(mut self, factory: TaskFactory) -> Self {
        self.factory = factory;
        self
    }

    /// Handles exceptions nobody else sees: panics in callbacks, task panics that were
    /// never retrieved, panics in wakers or destructors the runtime runs (asyncio's
    /// `loop.set_exception_handler`). The handler runs on whatever thread found the
    /// exception; a panic inside it is swallowed.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let rt = asyncio::Builder::new()
    ///     .exception_handler(move |ctx| log.lock().unwrap().push(ctx.message.clone()))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     asyncio::call_soon(|| panic!("in a callback"));
    ///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
    /// });
    /// drop(rt);
    /// assert_eq!(seen.lock().unwrap()[0], "Exception in callback");
    /// ```
    pub fn exception_handler<F>(mut self, handler: F) -> Self
    where
        F: Fn(&ExceptionContext) + Send + Sync + 'static,
    {
        self.exception_handler = Some(StdArc::new(handler));
        self
    }

    /// What a panic in a task or a callback does to the runtime (see [`UnhandledPanic`]):
    /// by default it is the task's exception (asyncio); `ShutdownRuntime` shuts the runtime
    /// down (tokio's `unhandled_panic`).
    ///
    /// ```
    /// let rt = asyncio::Builder::new()
    ///     .unhandled_panic(asyncio::UnhandledPanic::ShutdownRuntime)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(async { 1 }), 1);
    /// ```
    pub fn unhandled_panic(mut self, policy: UnhandledPanic) -> Self {
        self.unhandled_panic = policy;
        self
    }

    /// Runs `f` first thing on every thread the runtime starts: its workers and the
    /// threads of its blocking pool (tokio's `on_thread_start`). A panic in it goes to the
    /// exception handler. See `runtime/hooks.rs`.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let s = started.clone();
    /// let rt = asyncio::Builder::new()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || {
    ///         s.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { asyncio::to_thread(|| ()).await.unwrap() });
    /// drop(rt); // joins the workers
    /// assert!(started.load(Ordering::SeqCst) >= 3); // 2 workers + 1 blocking thread
    /// ```
    pub fn on_thread_start<F>(mut self, f: F) -> Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.hooks.on_thread_start = Some(StdArc::new(f));
        self
    }

    /// Runs `f` last thing on every thread the runtime started, before it ends (tokio's
    /// `on_thread_stop`).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let stopped = Arc::new(AtomicUsize::new(0));
    /// let s = stopped.clone();
    /// let rt = asyncio::Builder::new()
    ///     .worker_threads(2)
    ///     .on_thread_stop(move || {
    ///         s.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// drop(rt); // joins the workers
    /// assert_eq!(stopped.load(Ordering::SeqCst), 2);
    /// ```
    pub fn on_thread_stop<F>(mut self, f: F) -> Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.hooks.on_thread_stop = Some(StdArc::new(f));
        self
    }

    /// Runs `f` with every task created on the runtime, in the call that creates it
    /// (before an eager first step or the task being queued): its id, its name, ...
    /// (tokio's `on_task_spawn`).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let names = Arc::new(Mutex::new(Vec::new()));
    /// let n = names.clone();
    /// let rt = asyncio::Builder::new()
    ///     .on_task_spawn(move |task| n.lock().unwrap().push(task.get_name()))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     asyncio::Task::builder().name("fetch").create_task(async {}).await.unwrap();
    /// });
    /// assert!(names.lock().unwrap().contains(&"fetch".to_owned()));
    /// ```
    pub fn on_task_spawn<F>(mut self, f: F) -> Self
    where
        F: Fn(&TaskRef) + Send + Sync + 'static,
    {
        self.hooks.on_task_spawn = Some(StdArc::new(f));
        self
    }

    /// Runs `f` with every task of the runtime once it is done (`done()` is `true`, its
    /// outcome set), on the thread that completed it, before its done callbacks run
    /// (tokio's `on_task_terminate`).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let ended = Arc::new(Mutex::new(Vec::new()));
    /// let e = ended.clone();
    /// let rt = asyncio::Builder::new()
    ///     .on_task_terminate(move |task| e.lock().unwrap().push((task.id(), task.cancelled())))
    ///     .build()
    ///     .unwrap();
    /// let id = rt.block_on(async {
    ///     let t = asyncio::create_task(asyncio::sleep(std::time::Duration::from_secs(60)));
    ///     t.cancel(None);
    ///     let id = t.id();
    ///     let _ = t.await;
    ///     id
    /// });
    /// drop(rt);
    /// assert!(ended.lock().unwrap().contains(&(id, true)));
    /// ```
    pub fn on_task_terminate<F>(mut self, f: F) -> Self
    where
        F: Fn(&TaskRef) + Send + Sync + 'static,
    {
        self.hooks.on_task_terminate = Some(StdArc::new(f));
        self
    }

    /// Maximum number of threads of the blocking pool that runs
    /// [`to_thread`](crate::to_thread) / [`Handle::run_in_executor`] jobs (default:
    /// asyncio's `min(32, cpus + 4)`; at least 1). Jobs beyond it wait in FIFO order.
    ///
    /// ```
    /// let rt = asyncio::Builder::new().max_blocking_threads(2).build().unwrap();
    /// assert_eq!(rt.block_on(async { asyncio::to_thread(|| 1).await.unwrap() }), 1);
    /// ```
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        self.blocking.max_threads = n.max(1);
        self
    }

    /// How long an idle blocking thread waits for work before it exits (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = asyncio::Builder::new()
    ///     .blocking_keep_alive(Duration::from_millis(100))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Self {
        self.blocking.keep_alive = keep_alive;
        self
    }

    /// How long dropping the runtime waits for blocking jobs still running (default
    /// 10 s); after that they are left to finish on their own. Jobs not started are
    /// dropped at shutdown without waiting.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = asyncio::Builder::new()
    ///     .blocking_shutdown_timeout(Duration::from_secs(1))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn blocking_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.blocking.shutdown_timeout = timeout;
        self
    }

    /// Starts the worker threads.
    pub fn build(self) -> io::Result<Runtime> {
        let n = self.worker_threads.unwrap_or_else(num_cpus::get);
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "worker_threads must be at least 1",
            ));
        }
        if n > u16::MAX as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "worker_threads must be below 65536",
            ));
        }
        let locals: Vec<Worker<Notified>> = (0..n).map(|_| Worker::new_fifo()).collect();
        let parkers: Vec<Parker> = (0..n).map(|_| Parker::new()).collect();
        let config = Config {
            num_workers: n,
            lifo_enabled: n > 1,
            eager_tasks: AtomicBool::new(self.factory == TaskFactory::Eager),
            exception_handler: self.exception_handler.clone(),
            unhandled_panic: self.unhandled_panic,
            hooks: self.hooks.clone(),
        };
        let shared = Arc::new(Shared::new(
            config,
            locals.iter().map(|w| w.stealer()).collect(),
            parkers.iter().map(|p| p.unparker().clone()).collect(),
            #[cfg(not(loom))]
            crate::io::driver::IoDriver::new(n)?,
        ));
        let mut blocking = self.blocking;
        blocking.stack_size = self.stack_size;
        blocking.exception_handler = self.exception_handler.clone();
        blocking.on_thread_start = self.hooks.on_thread_start.clone();
        blocking.on_thread_stop = self.hooks.on_thread_stop.clone();
        shared.blocking.configure(blocking);
        let mut threads = Vec::with_capacity(n);
        for (index, (local, parker)) in locals.into_iter().zip(parkers).enumerate() {
            let shared2 = shared.clone();
            let mut builder =
                crate::loom::thread::Builder::new().name(format!("{}-{index}", self.thread_name));
            if let Some(size) = self.stack_size {
                builder = builder.stack_size(size);
            }
            let spawned = builder.spawn(move || worker_main(shared2, index, local, parker));
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => {
                    // Workers that never started count as exited.
                    for _ in index..n {
                        let _ = shared.worker_exited();
                    }
                    drop(Runtime::from_parts(Handle { shared }, threads));
                    return Err(e);
                }
            }
        }
        crate::trace::runtime_started(n);
        Ok(Runtime::from_parts(Handle { shared }, threads))
    }
}

fn worker_main(shared: Arc<Shared>, index: usize, local: Worker<Notified>, parker: Parker) {
    /// Counts the worker out, however it leaves. After a panic shutdown
    /// (`UnhandledPanic::ShutdownRuntime`) nobody may be dropping the runtime yet, so the
    /// last worker out cancels what is still pending, which is what `block_on` waits for.
    struct Exit<'a>(&'a Shared);
    impl Drop for Exit<'_> {
        fn drop(&mut self) {
            if self.0.worker_exited() == 0 && self.0.panic_shutdown_cause().is_some() {
                self.0.finish_shutdown();
            }
        }
    }
    let _exit = Exit(&shared);
    shared.run_thread_hook(&shared.config.hooks.on_thread_start);
    /// Runs the stop hook however the worker leaves (declared after `Exit`, so dropped
    /// before it: the hook runs while the worker still counts as alive).
    struct Stop<'a>(&'a Shared);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.run_thread_hook(&self.0.config.hooks.on_thread_stop);
        }
    }
    let _stop = Stop(&shared);
    let core = WorkerCore::new(index, shared.clone(), local, parker);
    {
        let _guard = context::enter_worker(&core);
        core.run();
    }
    core.drain_on_exit();
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("task_factory", &self.factory)
            .field("unhandled_panic", &self.unhandled_panic)
            .finish_non_exhaustive()
    }
}
