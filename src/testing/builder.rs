//! `asyncio::testing::Builder`: runs a program's main task in every interleaving loom
//! explores (see the module docs of `testing` for the protocol).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use std::task::{Context, Poll, Wake, Waker};

use crate::loom::parker::{Parker, Unparker};
use crate::loom::StdArc;
use crate::runtime::scheduler::worker::nothing_queued;
use crate::runtime::scheduler::Shared;
use crate::task::error::TaskError;
use crate::task::output::IntoOutcome;

/// The most workers a model can have: loom runs at most 5 threads, one of them the
/// model's own (the `block_on` thread).
const MAX_WORKERS: usize = 4;

/// The preemption bound when neither [`Builder::preemption_bound`] nor
/// `LOOM_MAX_PREEMPTIONS` gives one. Unbounded exploration of a real runtime does not
/// finish, and with 2 workers bound 2 is already costly: an empty program (`|| async {}`)
/// takes 589,150 executions (60 s), a program of three tasks did not finish within 60 s. Bound
/// 1 explores a 2-worker program of three tasks in seconds (docs/testing-under-loom.md).
const DEFAULT_PREEMPTION_BOUND: usize = 1;

/// Checks `program` under loom with the default settings: 2 workers, preemption bound 1
/// (or `LOOM_MAX_PREEMPTIONS`). See [`Builder::check`].
///
/// # Panics
/// On the first execution that fails, with what broke (see [`Builder::check`]).
///
/// ```
/// asyncio::testing::model(|| async {
///     let t = asyncio::create_task(async { 6 * 7 });
///     assert_eq!(t.await.unwrap(), 42);
/// });
/// ```
pub fn model<F, Fut>(program: F) -> Report
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    Builder::new().check(program)
}

/// How a model runs: the runtime's worker count and loom's preemption bound.
///
/// ```
/// use std::time::Duration;
///
/// let report = asyncio::testing::Builder::new()
///     .worker_threads(1)
///     .preemption_bound(2)
///     .check(|| async {
///         // Virtual time: the timeout fires at once, with no real waiting.
///         let r = asyncio::wait_for(asyncio::sleep(Duration::from_secs(3600)),
///                                   Some(Duration::from_secs(1))).await;
///         assert!(r.is_err());
///     });
/// assert!(report.executions() >= 1);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    worker_threads: usize,
    preemption_bound: Option<usize>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// 2 workers (the interesting case: two tasks really run at once), preemption bound
    /// `LOOM_MAX_PREEMPTIONS` or 1.
    ///
    /// ```
    /// let b = asyncio::testing::Builder::new();
    /// # drop(b);
    /// ```
    pub fn new() -> Builder {
        Builder {
            worker_threads: 2,
            preemption_bound: None,
        }
    }

    /// The runtime's worker threads, 1 to 4 (loom runs at most 5 threads, one of them the
    /// model's). 1 is asyncio's deterministic FIFO order: loom then only explores the
    /// interleavings of the worker with the `block_on` thread; other orders of the tasks need 2.
    ///
    /// ```
    /// let b = asyncio::testing::Builder::new().worker_threads(1);
    /// # drop(b);
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Builder {
        self.worker_threads = n;
        self
    }

    /// The preemption bound: how many times loom may switch away from a thread that could
    /// go on, per execution. Without it: `LOOM_MAX_PREEMPTIONS`, else 1. The cost grows
    /// fast with it and with the worker count (see the guide for measured figures).
    ///
    /// ```
    /// let b = asyncio::testing::Builder::new().preemption_bound(3);
    /// # drop(b);
    /// ```
    pub fn preemption_bound(mut self, bound: usize) -> Builder {
        self.preemption_bound = Some(bound);
        self
    }

    /// Runs `program` in every interleaving loom explores: each execution builds a
    /// runtime, runs `program()` as its main task, waits for it on the model's thread and
    /// drops the runtime. Prints and returns how many executions were explored.
    ///
    /// # Panics
    /// If `worker_threads` is not 1 to 4. On the first failing execution (see the module
    /// docs for what fails one): the main task's own panic is resumed as it was (so
    /// `#[should_panic(expected = ..)]` and `catch_unwind` see your message); the other
    /// failures panic with a message starting `asyncio::testing:`. Before panicking it
    /// prints (stderr) which execution failed and how to replay it.
    ///
    /// ```
    /// let report = asyncio::testing::Builder::new().check(|| async {
    ///     let q = std::sync::Arc::new(asyncio::Queue::new(1));
    ///     let producer = asyncio::create_task({
    ///         let q = q.clone();
    ///         async move { q.put(1).await.map_err(|e| e.without_item()) }
    ///     });
    ///     assert_eq!(q.get().await.unwrap(), 1);
    ///     producer.await.unwrap();
    /// });
    /// println!("{report}");
    /// ```
    pub fn check<F, Fut>(&self, program: F) -> Report
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        let workers = self.worker_threads;
        assert!(
            (1..=MAX_WORKERS).contains(&workers),
            "asyncio::testing: worker_threads must be 1 to {MAX_WORKERS} under loom, got {workers}"
        );
        // `new` reads the `LOOM_*` variables; a bound set in code wins, as with loom.
        let mut loom_builder = loom::model::Builder::new();
        if let Some(bound) = self.preemption_bound {
            loom_builder.preemption_bound = Some(bound);
        }
        if loom_builder.preemption_bound.is_none() {
            loom_builder.preemption_bound = Some(DEFAULT_PREEMPTION_BOUND);
        }
        let bound = loom_builder.preemption_bound;
        let executions = StdArc::new(AtomicUsize::new(0));
        let counter = executions.clone();
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            with_loom_log(|| {
                loom_builder.check(move || {
                    counter.fetch_add(1, Ordering::Relaxed);
                    run_once(workers, &program);
                })
            })
        }));
        let report = Report {
            executions: executions.load(Ordering::Relaxed),
            preemption_bound: bound,
            worker_threads: workers,
            elapsed: start.elapsed(),
        };
        match outcome {
            Ok(()) => {
                // Visible with `--nocapture`.
                println!("{report}");
                report
            }
            Err(payload) => fail(&report, payload),
        }
    }
}

/// One execution: a fresh runtime, the main task, the wait, the shutdown. The outcome is
/// looked at after the runtime is dropped, so a failure unwinds through no runtime code.
fn run_once<F, Fut>(workers: usize, program: &F)
where
    F: Fn() -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    // Bookkeeping, not part of any protocol: a `std` mutex (loom runs all of a model's
    // threads on one OS thread, so it adds no interleavings and never blocks).
    let unretrieved = StdArc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = unretrieved.clone();
    let rt = crate::Builder::new()
        .worker_threads(workers)
        .exception_handler(move |ctx| {
            if let Ok(mut log) = log.lock() {
                log.push(ctx.to_string());
            }
        })
        .build()
        .unwrap_or_else(|e| panic!("asyncio::testing: the runtime could not be built: {e}"));
    let parker = Parker::new();
    rt.handle()
        .shared
        .timers
        .set_idle_watcher(parker.unparker().clone());
    let main = rt.handle().create_task(program());
    let outcome = wait_for_main(main, rt.handle(), &parker);
    drop(rt);
    match outcome {
        MainOutcome::Done(Ok(_)) => {}
        MainOutcome::Done(Err(TaskError::Panicked(p))) => p.resume_unwind(),
        MainOutcome::Done(Err(e)) => panic!("asyncio::testing: the main task failed: {e}"),
        MainOutcome::Stuck(pending) => panic!(
            "asyncio::testing: deadlock: no task can run, no timer is pending and the main \
             task has not finished: tasks wait on each other (e.g. two Locks taken in \
             opposite order) or on something nothing will do. Pending tasks: {}",
            pending.join(", ")
        ),
    }
    let unretrieved = std::mem::take(&mut *unretrieved.lock().unwrap_or_else(|p| p.into_inner()));
    if let Some(first) = unretrieved.first() {
        panic!("asyncio::testing: an exception nobody retrieved reached the exception handler: {first}");
    }
}

/// How the wait for the main task ended.
enum MainOutcome<T> {
    Done(Result<T, TaskError>),
    /// The runtime got stuck (every worker parked, nothing queued, no timer): the
    /// pending tasks, as asyncio prints them.
    Stuck(Vec<String>),
}

/// Blocks the model's thread until the main task finishes or the runtime is stuck (the
/// timers unpark this thread, the idle watcher, when the last worker parks with nothing
/// to do: `runtime/time/mod.rs`).
///
/// The thread blocks on a parker (loom `Mutex` + `Condvar`), not `loom::thread::park`: see
/// `TimerQueue::idle_watcher` for the loom defect that rules out `Thread::unpark`.
fn wait_for_main<T>(
    mut main: crate::Task<T>,
    handle: &crate::Handle,
    parker: &Parker,
) -> MainOutcome<T> {
    let shared: &Shared = &handle.shared;
    /// Wakes the waiting thread.
    struct Unpark(Unparker);
    impl Wake for Unpark {
        fn wake(self: StdArc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &StdArc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(StdArc::new(Unpark(parker.unparker().clone())));
    let mut cx = Context::from_waker(&waker);
    loop {
        // Stuck is read first: the main task may complete and its worker then park with
        // nothing left to do, and that completion must win.
        let stuck = shared.timers.is_stuck(|| nothing_queued(shared));
        if let Poll::Ready(out) = main.poll_join(&mut cx) {
            return MainOutcome::Done(out);
        }
        if stuck {
            let pending = handle
                .all_tasks()
                .iter()
                .map(|t| format!("{t:?}"))
                .collect();
            return MainOutcome::Stuck(pending);
        }
        // Spurious returns are fine: the loop looks again.
        parker.park();
    }
}

/// Reports a failed model and resumes (or rewrites) its panic.
fn fail(report: &Report, payload: Box<dyn Any + Send>) -> ! {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    eprintln!(
        "asyncio::testing: the model failed in execution {} ({} workers, preemption bound \
         {:?}, after {:.2} s). To see that interleaving, run this test alone with \
         LOOM_CHECKPOINT_FILE=failing.json LOOM_CHECKPOINT_INTERVAL=1 (loom's `checkpoint` \
         feature), then again with LOOM_CHECKPOINT_FILE=failing.json LOOM_LOG=trace \
         LOOM_LOCATION=1: it starts at the failing execution and logs every thread switch \
         and synchronisation. See docs/testing-under-loom.md.",
        report.executions,
        report.worker_threads,
        report.preemption_bound,
        report.elapsed.as_secs_f64()
    );
    if message.starts_with("deadlock") {
        panic!(
            "asyncio::testing: deadlock: no task can run, no timer is pending and the main \
             task has not finished: tasks wait on each other (e.g. two Locks taken in \
             opposite order) or on something nothing will do (loom: {message})"
        );
    }
    resume_unwind(payload)
}

/// Runs `f` with loom's log subscriber installed when `LOOM_LOG` is set (as
/// `loom::model` does; `loom::model::Builder::check` alone logs nowhere).
fn with_loom_log<R>(f: impl FnOnce() -> R) -> R {
    if std::env::var_os("LOOM_LOG").is_none() {
        return f();
    }
    let subscriber = tracing_subscriber::fmt::Subscriber::builder()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("LOOM_LOG"))
        .with_test_writer()
        .without_time()
        .finish();
    tracing::subscriber::with_default(subscriber, f)
}

/// What a model explored: returned by [`Builder::check`] and [`model`], printed by them
/// (`--nocapture` shows it).
///
/// ```
/// let report = asyncio::testing::model(|| async {});
/// assert!(report.executions() >= 1);
/// assert_eq!(report.worker_threads(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    executions: usize,
    preemption_bound: Option<usize>,
    worker_threads: usize,
    elapsed: Duration,
}

impl Report {
    /// Executions (interleavings) loom explored.
    ///
    /// ```
    /// assert!(asyncio::testing::model(|| async {}).executions() >= 1);
    /// ```
    pub fn executions(&self) -> usize {
        self.executions
    }

    /// The preemption bound the model ran with.
    ///
    /// ```
    /// let r = asyncio::testing::Builder::new().preemption_bound(1).check(|| async {});
    /// assert!(r.preemption_bound().is_some());
    /// ```
    pub fn preemption_bound(&self) -> Option<usize> {
        self.preemption_bound
    }

    /// The runtime's worker threads.
    ///
    /// ```
    /// let r = asyncio::testing::Builder::new().worker_threads(1).check(|| async {});
    /// assert_eq!(r.worker_threads(), 1);
    /// ```
    pub fn worker_threads(&self) -> usize {
        self.worker_threads
    }

    /// Wall time of the whole exploration.
    ///
    /// ```
    /// let r = asyncio::testing::model(|| async {});
    /// assert!(r.elapsed() > std::time::Duration::ZERO);
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "asyncio::testing: loom explored {} executions ({} workers, preemption bound {:?}) in {:.2} s",
            self.executions,
            self.worker_threads,
            self.preemption_bound,
            self.elapsed.as_secs_f64()
        )
    }
}

// The auto traits of the public types (`tests/auto_traits.rs` is not compiled under
// `cfg(loom)`, where `net`/`streams`/`signal` do not exist): plain settings and results.
const _: () = {
    fn require<T: Send + Sync + Unpin + Clone>() {}
    let _ = require::<Builder>;
    let _ = require::<Report>;
};
