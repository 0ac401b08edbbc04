//! A panic in user code that the runtime calls never escapes it (the model suites are
//! async-task's `tests/panic.rs` and `tests/waker_panic.rs`).
//!
//! One test per source of panic — a foreign waker's `wake`, a done callback, the
//! exception handler, the destructor of a future, of an output or of what a task awaited,
//! an eager first step — each on 1 and 2 workers. After each: the task is complete, its
//! awaiters were woken, `all_tasks()` is sound, the panic reached the exception handler,
//! every worker is alive (they all meet at a barrier) and the idle bookkeeping settles at
//! "nobody up, nobody searching", and once the runtime is dropped every task cell is
//! freed (the live-cell counter is back to zero).
//!
//! Then the `UnhandledPanic::ShutdownRuntime` policy, and the default handler with a
//! failing stderr (in a child process).

mod util;

use std::future::Future;
use std::future::IntoFuture;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use asyncio::test_util::HandleTestExt;
use asyncio::{Builder, Event, Handle, Runtime, UnhandledPanic};
use util::{panic_message, DropCount, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);
const IN_A_WAKER: &str = "Exception in a waker woken by the runtime";
const IN_A_DESTRUCTOR: &str = "Exception in a destructor run by the runtime";

/// One report of the exception handler: `(message, panic message)`.
type Report = (String, String);

/// What the exception handler saw.
#[derive(Clone, Default)]
struct Reports(Arc<(Mutex<Vec<Report>>, Condvar)>);

impl Reports {
    fn push(&self, report: Report) {
        self.0 .0.lock().unwrap().push(report);
        self.0 .1.notify_all();
    }

    fn get(&self) -> Vec<Report> {
        self.0 .0.lock().unwrap().clone()
    }

    fn contains(&self, message: &str, panic: &str) -> bool {
        self.get().iter().any(|(m, p)| m == message && p == panic)
    }

    /// Waits for the report (it may come from another worker after the code that
    /// triggered it returned); the test's deadline bounds the wait.
    fn wait_for(&self, message: &str, panic: &str) {
        let mut seen = self.0 .0.lock().unwrap();
        while !seen.iter().any(|(m, p)| m == message && p == panic) {
            seen = self.0 .1.wait(seen).unwrap();
        }
    }
}

/// Waits until `count` reached `n` (it is bumped by a worker); bounded by the deadline.
fn wait_count(count: &DropCount, n: usize) {
    while count.get() < n {
        std::thread::yield_now();
    }
}

/// A runtime whose exception handler records into the returned `Reports`.
fn recording_runtime(workers: usize) -> (Runtime, Reports) {
    let reports = Reports::default();
    let log = reports.clone();
    let rt = Builder::new()
        .worker_threads(workers)
        .exception_handler(move |ctx| {
            let panic = ctx
                .exception
                .as_ref()
                .map(|e| match e {
                    asyncio::TaskError::Panicked(p) => p.message().to_owned(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            log.push((ctx.message.clone(), panic));
        })
        .build()
        .unwrap();
    (rt, reports)
}

/// A waker whose `wake` panics (a misbehaving foreign executor). Counts its drops.
struct PanicOnWake {
    drops: DropCount,
    _token: util::DropToken,
}

impl PanicOnWake {
    fn waker(drops: &DropCount) -> Waker {
        Waker::from(Arc::new(PanicOnWake {
            drops: drops.clone(),
            _token: drops.token(),
        }))
    }
}

impl Wake for PanicOnWake {
    fn wake(self: Arc<Self>) {
        let _ = &self.drops;
        panic!("waker panicked");
    }
    fn wake_by_ref(self: &Arc<Self>) {
        panic!("waker panicked");
    }
}

/// A value whose destructor panics.
#[derive(Debug)]
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

/// Every worker is alive and runs tasks: `n` tasks block at a barrier of `n`, which only
/// opens if `n` workers run them at once. Then the idle bookkeeping settles: once nothing
/// is left to do, every worker parks and nobody is counted as up or searching.
fn assert_workers_alive(rt: &Runtime, n: usize) {
    let barrier = Arc::new(std::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let b = barrier.clone();
            rt.handle().create_task(async move {
                b.wait();
            })
        })
        .collect();
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    // The workers park once they find nothing: wait for the counts they publish there.
    while rt.handle().idle_counts() != (0, 0) {
        std::thread::yield_now();
    }
}

/// Drops the runtime and checks that every task cell was freed.
fn assert_no_cell_leaked(rt: Runtime) {
    let handle: Handle = rt.handle().clone();
    drop(rt);
    assert_eq!(handle.live_cells().unwrap_or(0), 0, "task cells leaked");
}

/// As [`assert_no_cell_leaked`], with `kept` the one cell still referenced.
fn assert_no_cell_leaked_but(rt: Runtime, kept: &asyncio::TaskRef) {
    let handle: Handle = rt.handle().clone();
    drop(rt);
    assert!(kept.done());
    assert_eq!(handle.live_cells().unwrap_or(0), 1, "task cells leaked");
}

fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    Waker::from(Arc::new(Noop))
}

/// A task awaited by a foreign executor whose waker panics when the task completes: the
/// output is still there, the waker is dropped once, the panic is reported.
#[test]
fn foreign_join_waker_panicking_in_wake() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, reports) = recording_runtime(n);
            let go = Arc::new(Event::new());
            let g = go.clone();
            let mut task = rt.handle().create_task(async move {
                g.wait().await.unwrap();
                7
            });
            let waker_drops = DropCount::default();
            let waker = PanicOnWake::waker(&waker_drops);
            let mut cx = Context::from_waker(&waker);
            assert!(Pin::new(&mut (&mut task).into_future())
                .poll(&mut cx)
                .is_pending());
            drop(waker);
            // Completing the task wakes the panicking join waker on a worker.
            go_and_wait(&rt, go, &task);
            let waker = noop_waker();
            let out =
                Pin::new(&mut (&mut task).into_future()).poll(&mut Context::from_waker(&waker));
            assert!(matches!(out, Poll::Ready(Ok(7))), "workers={n}");
            drop(task);
            reports.wait_for(IN_A_WAKER, "waker panicked");
            // Dropped by the completing worker or by the handle, whichever is last.
            wait_count(&waker_drops, 1);
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

/// `wait_done()` polled by a foreign executor whose waker panics (a completion waker,
/// woken directly by the completing worker).
#[test]
fn foreign_completion_waker_panicking_in_wake() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, reports) = recording_runtime(n);
            let go = Arc::new(Event::new());
            let g = go.clone();
            let task = rt.handle().create_task(async move {
                g.wait().await.unwrap();
                "done"
            });
            let waker_drops = DropCount::default();
            let waker = PanicOnWake::waker(&waker_drops);
            let mut wait = task.wait_done();
            assert!(Pin::new(&mut wait)
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
            drop(waker);
            go_and_wait(&rt, go, &task);
            // The task's awaiter still gets the output.
            assert_eq!(rt.block_on(task).unwrap(), "done");
            drop(wait);
            reports.wait_for(IN_A_WAKER, "waker panicked");
            wait_count(&waker_drops, 1);
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

fn go_and_wait<T>(rt: &Runtime, go: Arc<Event>, task: &asyncio::Task<T>) {
    let done = task.task_ref();
    rt.block_on(async move {
        go.set();
        done.wait_done().await.unwrap();
    });
}

/// A timer whose waker panics when a worker fires it.
#[test]
fn timer_waker_panicking_in_wake() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, reports) = recording_runtime(n);
            let waker_drops = DropCount::default();
            let drops = waker_drops.clone();
            // Registered from inside a task (the timer needs the runtime), with the
            // panicking waker; kept alive until it fired.
            let sleep = rt.block_on(async move {
                let mut sleep = asyncio::sleep(Duration::from_millis(1));
                let waker = PanicOnWake::waker(&drops);
                assert!(Pin::new(&mut sleep)
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending());
                (sleep,)
            });
            // A worker fires the timer: the panicking waker is consumed by `wake`.
            reports.wait_for(IN_A_WAKER, "waker panicked");
            wait_count(&waker_drops, 1);
            drop(sleep.0);
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

/// A done callback that panics: reported as asyncio reports an exception in a callback;
/// the callbacks after it still run and the awaiter gets the result.
#[test]
fn done_callback_panicking() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, reports) = recording_runtime(n);
            let ran = Arc::new(AtomicUsize::new(0));
            let r = ran.clone();
            let out = rt.block_on(async move {
                let go = Arc::new(Event::new());
                let g = go.clone();
                let t = asyncio::create_task(async move {
                    g.wait().await.unwrap();
                    5
                });
                t.add_done_callback(|_| panic!("callback panicked"));
                let r2 = r.clone();
                t.add_done_callback(move |_| {
                    r2.fetch_add(1, Ordering::SeqCst);
                });
                go.set();
                let v = t.await.unwrap();
                // The callbacks were queued before the awaiter was woken.
                asyncio::sleep(Duration::ZERO).await.unwrap();
                v
            });
            assert_eq!(out, 5);
            assert_eq!(ran.load(Ordering::SeqCst), 1);
            reports.wait_for("Exception in callback", "callback panicked");
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

/// A done callback whose closure panics when dropped unrun (the task never completes
/// before the runtime is dropped, and the closure dies with the cell).
#[test]
fn done_callback_destructor_panicking() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, reports) = recording_runtime(n);
            let t = rt.handle().create_task(asyncio::sleep(LONG));
            let guard = PanicOnDrop("callback dropped");
            t.add_done_callback(move |_| drop(guard));
            let removed = t.add_done_callback(|_| {});
            assert_eq!(t.remove_done_callback(removed), 1);
            assert_workers_alive(&rt, n);
            drop(t);
            let handle = rt.handle().clone();
            drop(rt);
            assert_eq!(handle.live_cells().unwrap_or(0), 0);
            // Cancelled at shutdown: the callback ran (dropping its guard inside a
            // callback), or the cell was freed with it; either way it was reported.
            assert!(
                reports.contains("Exception in callback", "callback dropped")
                    || reports.contains(IN_A_DESTRUCTOR, "callback dropped"),
                "{:?}",
                reports.get()
            );
        });
    }
}

/// The exception handler itself panics: swallowed, the runtime goes on.
#[test]
fn exception_handler_panicking() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (tx, calls) = std::sync::mpsc::channel::<String>();
            let tx = Mutex::new(tx);
            let rt = Builder::new()
                .worker_threads(n)
                .exception_handler(move |ctx| {
                    let _ = tx.lock().unwrap().send(ctx.message.clone());
                    panic!("handler panicked");
                })
                .build()
                .unwrap();
            rt.block_on(async {
                // A callback's panic goes to the handler at once ...
                asyncio::call_soon(|| panic!("callback"));
                asyncio::sleep(Duration::ZERO).await.unwrap();
                // ... and a task panic nobody retrieves when the task is freed.
                let t = asyncio::create_task(async {
                    if true {
                        panic!("never retrieved")
                    }
                });
                t.wait_done().await.unwrap();
            });
            let mut seen = vec![calls.recv().unwrap(), calls.recv().unwrap()];
            seen.sort();
            assert_eq!(
                seen,
                [
                    "Exception in callback",
                    "Task exception was never retrieved"
                ]
            );
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

/// A future whose destructor panics: when it returned a value, when it is cancelled by
/// force, and when the runtime drops it at shutdown. The panic becomes the task's
/// exception (or is reported), the cell is freed.
#[test]
fn future_destructor_panicking() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, _reports) = recording_runtime(n);
            rt.block_on(async {
                let guard = PanicOnDrop("future dropped");
                let returned = asyncio::create_task(async move {
                    let _g = &guard;
                    1
                });
                let err = returned.await.unwrap_err();
                assert!(err.is_panic());
                assert_eq!(err.to_string(), "task panicked: future dropped");

                let guard = PanicOnDrop("future dropped");
                let aborted = asyncio::create_task(async move {
                    let _g = &guard;
                    std::future::pending::<()>().await;
                });
                asyncio::sleep(Duration::ZERO).await.unwrap();
                aborted.cancel(Some("stop"));
                let err = aborted.await.unwrap_err();
                assert!(err.is_panic(), "{err:?}");
            });
            let guard = PanicOnDrop("future dropped at shutdown");
            let pending = rt.handle().create_task(async move {
                let _g = &guard;
                std::future::pending::<()>().await;
            });
            assert_workers_alive(&rt, n);
            let pending = pending.task_ref();
            assert_no_cell_leaked_but(rt, &pending);
            assert!(pending.exception().unwrap().unwrap().is_panic());
        });
    }
}

/// A future that panics in its poll and again in its destructor: the poll's panic is the
/// task's exception, the destructor's goes to the handler.
#[test]
fn future_panicking_in_poll_then_in_its_destructor() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, reports) = recording_runtime(n);
            /// Panics in `poll`; its field panics again when the runtime drops it.
            struct PanicsTwice(#[allow(dead_code)] PanicOnDrop);
            impl Future for PanicsTwice {
                type Output = ();
                fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
                    panic!("poll panicked");
                }
            }
            let err = rt.block_on(async {
                let guard = PanicOnDrop("destructor after the poll's panic");
                asyncio::create_task(PanicsTwice(guard)).await.unwrap_err()
            });
            assert_eq!(err.to_string(), "task panicked: poll panicked");
            reports.wait_for(IN_A_DESTRUCTOR, "destructor after the poll's panic");
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

impl asyncio::TaskOutput for PanicOnDrop {}

/// An output whose destructor panics: dropped by the completing worker (no `Task<T>`
/// left), by the `Task<T>` handle, and when a cancellation replaces it.
#[test]
fn output_destructor_panicking() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, reports) = recording_runtime(n);
            rt.block_on(async {
                // Detached: the worker drops the output at completion.
                let go = Arc::new(Event::new());
                let g = go.clone();
                let detached = asyncio::create_task(async move {
                    g.wait().await.unwrap();
                    PanicOnDrop("detached output")
                });
                let done = detached.task_ref();
                drop(detached);
                go.set();
                done.wait_done().await.unwrap();

                // Dropped with the handle.
                let t = asyncio::create_task(async { PanicOnDrop("handle output") });
                t.wait_done().await.unwrap();
                drop(t);

                // Replaced by the task's own cancellation (a tracked token in it).
                let started = Arc::new(Event::new());
                let s = started.clone();
                let t = asyncio::create_task(async move {
                    s.set();
                    let err = asyncio::sleep(LONG).await.err();
                    (PanicOnDrop("cancelled output"), err)
                });
                started.wait().await.unwrap();
                t.cancel(None);
                assert!(t.await.unwrap_err().is_cancelled());
            });
            for what in ["detached output", "handle output", "cancelled output"] {
                reports.wait_for(IN_A_DESTRUCTOR, what);
            }
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

/// What a task awaited (here an `asyncio::Future` it was registered on as its waiter) is
/// released when the task completes; if that release runs a destructor that panics, the
/// task still completes and nothing else is disturbed. `eager` runs it as an eager first
/// step inside `create_task`, where an escaping panic would unwind into the creator and
/// leave a stale entry in the eager registry.
fn released_waiter_destructor_panicking(eager: bool) {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, reports) = recording_runtime(n);
            rt.block_on(async move {
                let fut: asyncio::Future<Arc<PanicOnDrop>> = asyncio::Future::new();
                let body = async move {
                    // Suspend on it once (registering it as this task's waiter) ...
                    let mut wait = Box::pin(fut.clone().into_future());
                    std::future::poll_fn(|cx| {
                        assert!(wait.as_mut().poll(cx).is_pending());
                        Poll::Ready(())
                    })
                    .await;
                    drop(wait);
                    // ... then complete it and let go: the registration holds the last
                    // reference, released at completion with the value in it.
                    fut.set_result(Arc::new(PanicOnDrop("waiter released")))
                        .unwrap();
                    drop(fut);
                    7
                };
                let t = if eager {
                    asyncio::create_eager_task(body)
                } else {
                    asyncio::create_task(body)
                };
                if eager {
                    assert!(t.done(), "the eager step completed inside create_task");
                }
                let me = asyncio::current_task().unwrap();
                let all = asyncio::all_tasks();
                assert!(all.contains(&me));
                assert!(!all.contains(&t) || !eager);
                assert_eq!(t.await.unwrap(), 7);
            });
            reports.wait_for(IN_A_DESTRUCTOR, "waiter released");
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

#[test]
fn released_waiter_destructor_panicking_in_a_scheduled_task() {
    released_waiter_destructor_panicking(false);
}

#[test]
fn released_waiter_destructor_panicking_in_an_eager_first_step() {
    released_waiter_destructor_panicking(true);
}

/// An eager first step that panics: the panic is the task's exception, the creator goes
/// on, `all_tasks()` holds no stale entry.
#[test]
fn eager_first_step_panicking() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let (rt, _reports) = recording_runtime(n);
            rt.block_on(async {
                let t = asyncio::create_eager_task(async {
                    if true {
                        panic!("eager step")
                    }
                });
                assert!(t.done());
                assert_eq!(asyncio::all_tasks().len(), 1, "only the main task");
                let err = t.await.unwrap_err();
                assert!(err.is_panic());
                // Nested eager steps after it still work (the depth was restored).
                let inner = asyncio::create_eager_task(async {
                    asyncio::create_eager_task(async { 3 }).await.unwrap()
                });
                assert_eq!(inner.await.unwrap(), 3);
            });
            assert_workers_alive(&rt, n);
            assert_no_cell_leaked(rt);
        });
    }
}

// ---- UnhandledPanic::ShutdownRuntime ----------------------------------------------------

/// tokio's `unhandled_panic = "shutdown_runtime"`: the first task panic shuts the runtime
/// down, every pending task is cancelled (its future dropped once), and `block_on`
/// panics with the task's panic message.
#[test]
fn shutdown_runtime_policy_stops_at_the_first_task_panic() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let rt = Builder::new()
                .worker_threads(n)
                .unhandled_panic(UnhandledPanic::ShutdownRuntime)
                .build()
                .unwrap();
            let dropped = DropCount::default();
            let pending: Vec<_> = (0..10)
                .map(|_| {
                    let token = dropped.token();
                    rt.handle().create_task(async move {
                        let _t = token;
                        asyncio::sleep(LONG).await.ok();
                    })
                })
                .collect();
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rt.block_on(async {
                    asyncio::create_task(async {
                        if true {
                            panic!("boom")
                        }
                    });
                    asyncio::sleep(LONG).await.ok();
                })
            }));
            let msg = panic_message(&*out.unwrap_err());
            assert!(msg.contains("panicked") && msg.contains("boom"), "{msg}");
            assert!(rt.handle().is_closed());
            assert_eq!(dropped.get(), 10, "every pending task was cancelled");
            assert!(pending.iter().all(|t| t.cancelled()));
            drop(pending);
            // Later submissions are refused (cancelled), not hung.
            let late =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(async { 1 })));
            assert!(late.is_err());
            assert_no_cell_leaked(rt);
        });
    }
}

/// The shutdown message names the task as `get_name()` does (a named task's id is no
/// `Task-N` number).
#[test]
fn shutdown_runtime_policy_names_the_task() {
    util::deadline(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .unhandled_panic(UnhandledPanic::ShutdownRuntime)
            .build()
            .unwrap();
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async {
                asyncio::Task::builder()
                    .name("the-worker")
                    .create_task(async {
                        if true {
                            panic!("boom")
                        }
                    });
                asyncio::sleep(LONG).await.ok();
            })
        }));
        let msg = panic_message(&*out.unwrap_err());
        assert!(msg.contains("task the-worker panicked"), "{msg}");
        assert_no_cell_leaked(rt);
    });
}

#[test]
fn shutdown_runtime_policy_applies_to_callbacks() {
    util::deadline(|| {
        let rt = Builder::new()
            .worker_threads(2)
            .unhandled_panic(UnhandledPanic::ShutdownRuntime)
            .build()
            .unwrap();
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async {
                asyncio::call_soon(|| panic!("callback boom"));
                asyncio::sleep(LONG).await.ok();
            })
        }));
        let msg = panic_message(&*out.unwrap_err());
        assert!(msg.contains("callback boom"), "{msg}");
        assert_no_cell_leaked(rt);
    });
}

/// The default policy: a panicking task is just that task's exception.
#[test]
fn report_policy_keeps_the_runtime_running() {
    util::deadline(|| {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let out = rt.block_on(async {
            let t = asyncio::create_task(async {
                if true {
                    panic!("boom")
                }
            });
            let err = t.await.unwrap_err();
            assert!(err.is_panic());
            asyncio::create_task(async { 2 }).await.unwrap()
        });
        assert_eq!(out, 2);
        assert!(!rt.handle().is_closed());
    });
}

// ---- the default handler with a failing stderr -------------------------------------------

const CHILD_ENV: &str = "ASYNCIO_PANICS_CHILD";

/// `eprintln!` panics when writing to stderr fails (a full disk, a pipe nobody reads);
/// the default exception handler must not take the worker down then. Runs in a child
/// process (this test binary, re-run with only this test) whose stderr is `/dev/full`,
/// where every write fails with ENOSPC. (A closed stderr would not do: Rust treats
/// EBADF on stderr as success.)
#[test]
fn default_handler_survives_a_failing_stderr() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child_with_failing_stderr();
        return;
    }
    util::deadline(|| {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "default_handler_survives_a_failing_stderr",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .stderr(full)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}");
        assert!(stdout.contains("child: runtime alive"), "{stdout}");
    });
}

fn child_with_failing_stderr() {
    util::deadline(|| {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        rt.block_on(async {
            for _ in 0..3 {
                asyncio::call_soon(|| panic!("reported to a failing stderr"));
                asyncio::sleep(Duration::ZERO).await.unwrap();
            }
        });
        assert_workers_alive(&rt, 1);
        assert_eq!(rt.block_on(async { 1 }), 1);
        println!("child: runtime alive");
    });
}
