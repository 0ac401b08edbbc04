//! `asyncio::signal`: handlers run on the runtime when the process sends itself a signal,
//! replacement, removal, bad signal numbers, `ctrl_c`, runtime shutdown, and the default
//! disposition coming back after the last handler is removed (in a child process).
//!
//! Signals are process-wide and libtest runs tests on parallel threads, so every test
//! here holds `SERIAL` for its whole body: a signal raised by one test never reaches
//! another test's handler, and no test raises a signal nobody listens to (which would
//! run its default action: terminate the test binary). Each test raises a signal only
//! after a handler (or a `ctrl_c` future) for it exists.

mod util;

use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

use asyncio::signal::{
    add_signal_handler, ctrl_c, remove_signal_handler, SIGHUP, SIGINT, SIGUSR1, SIGUSR2,
};
use asyncio::{Builder, Event};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the future `body` makes as the main task of a 1-worker and of a 2-worker runtime,
/// holding `SERIAL`, under the deadline.
fn on_each_runtime<F, Fut>(body: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _serial = serial();
    util::deadline(move || {
        for workers in util::WORKER_COUNTS {
            util::rt(workers).block_on(body());
        }
    });
}

/// Sends `sig` to this process (the signal is delivered to some thread of it).
fn raise(sig: libc::c_int) {
    // SAFETY: `kill` with our own pid only sends a signal; every caller has a handler
    // for `sig` registered first.
    let rc = unsafe { libc::kill(libc::getpid(), sig) };
    assert_eq!(rc, 0, "kill: {}", io::Error::last_os_error());
}

/// Open file descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn handler_runs_when_the_signal_arrives() {
    on_each_runtime(|| async {
        let calls = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = async_channel();
        let c = calls.clone();
        add_signal_handler(SIGUSR1, move || {
            // Runs on a worker, as a callback: no current task.
            if asyncio::current_task().is_none() && asyncio::get_running_loop().is_ok() {
                c.fetch_add(1, Ordering::SeqCst);
            }
            tx.set();
        })
        .unwrap();
        for round in 1..=3 {
            raise(SIGUSR1);
            rx.wait().await.unwrap();
            rx.clear();
            assert_eq!(calls.load(Ordering::SeqCst), round);
        }
        assert!(remove_signal_handler(SIGUSR1).unwrap());
    });
}

/// An `Arc<Event>` cloned into a handler.
fn async_channel() -> (Arc<Event>, Arc<Event>) {
    let ev = Arc::new(Event::new());
    (ev.clone(), ev)
}

#[test]
fn a_handler_replaces_the_previous_one() {
    on_each_runtime(|| async {
        let old_calls = Arc::new(AtomicUsize::new(0));
        let c = old_calls.clone();
        add_signal_handler(SIGUSR2, move || {
            c.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        let (tx, rx) = async_channel();
        add_signal_handler(SIGUSR2, move || tx.set()).unwrap();
        raise(SIGUSR2);
        rx.wait().await.unwrap();
        // The drain that ran the new handler read the signal: the old one was
        // replaced before, and never runs.
        assert_eq!(old_calls.load(Ordering::SeqCst), 0);
        // One removal removes the (single) handler.
        assert!(remove_signal_handler(SIGUSR2).unwrap());
        assert!(!remove_signal_handler(SIGUSR2).unwrap());
    });
}

#[test]
fn remove_returns_true_then_false() {
    on_each_runtime(|| async {
        assert!(!remove_signal_handler(SIGHUP).unwrap(), "never registered");
        add_signal_handler(SIGHUP, || {}).unwrap();
        assert!(remove_signal_handler(SIGHUP).unwrap());
        assert!(!remove_signal_handler(SIGHUP).unwrap());
        // And again after re-adding.
        add_signal_handler(SIGHUP, || {}).unwrap();
        assert!(remove_signal_handler(SIGHUP).unwrap());
        assert!(!remove_signal_handler(SIGHUP).unwrap());
    });
}

#[test]
fn invalid_signals_are_input_errors_not_panics() {
    let _serial = serial();
    util::deadline(|| {
        util::rt1().block_on(async {
            for sig in [
                0,
                -1,
                128,
                1000,
                libc::SIGKILL,
                libc::SIGSTOP,
                libc::SIGSEGV,
                libc::SIGILL,
                libc::SIGFPE,
            ] {
                let err = add_signal_handler(sig, || {}).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "add {sig}: {err}");
                let err = remove_signal_handler(sig).unwrap_err();
                assert_eq!(
                    err.kind(),
                    io::ErrorKind::InvalidInput,
                    "remove {sig}: {err}"
                );
            }
            let err = add_signal_handler(libc::SIGKILL, || {}).unwrap_err();
            assert!(err.to_string().contains("cannot be caught"), "{err}");
        });
        // Outside a runtime: an error too (asyncio: no running event loop).
        assert!(add_signal_handler(SIGUSR1, || {}).is_err());
        assert!(remove_signal_handler(SIGUSR1).is_err());
        assert!(futures_block_on_ready(ctrl_c()).unwrap().is_err());
    });
}

/// Polls `fut` once with a no-op waker.
fn futures_block_on_ready<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

#[test]
fn ctrl_c_resolves_on_sigint() {
    on_each_runtime(|| async {
        // Listening from the call on: two waiters, both resolved by one SIGINT,
        // and a SIGINT handler of the runtime runs too.
        let first = ctrl_c();
        let second = asyncio::create_task(ctrl_c());
        let (tx, rx) = async_channel();
        add_signal_handler(SIGINT, move || tx.set()).unwrap();
        raise(SIGINT);
        first.await.unwrap();
        second.await.unwrap();
        rx.wait().await.unwrap();
        assert!(remove_signal_handler(SIGINT).unwrap());
    });
}

#[test]
fn cancelling_a_ctrl_c_wait_delivers_cancelled_error() {
    on_each_runtime(|| async {
        let started = Arc::new(Event::new());
        let s = started.clone();
        let t = asyncio::create_task(async move {
            let wait = ctrl_c();
            s.set();
            wait.await
        });
        started.wait().await.unwrap();
        t.cancel(Some("stop waiting"));
        // The io::Error carrying the cancellation ends the task cancelled.
        match t.await {
            Err(asyncio::TaskError::Cancelled(c)) => {
                assert_eq!(c.message(), Some("stop waiting"))
            }
            other => panic!("no SIGINT was sent, yet: {other:?}"),
        }
    });
}

#[test]
fn several_runtimes_each_get_the_signal() {
    let _serial = serial();
    util::deadline(|| {
        let a = util::rt1();
        let b = util::rt(2);
        let (ta, ra) = mpsc::channel();
        let (tb, rb) = mpsc::channel();
        a.block_on(async move {
            let ta = Mutex::new(ta);
            add_signal_handler(SIGUSR1, move || ta.lock().unwrap().send("a").unwrap()).unwrap();
        });
        b.block_on(async move {
            let tb = Mutex::new(tb);
            add_signal_handler(SIGUSR1, move || tb.lock().unwrap().send("b").unwrap()).unwrap();
        });
        raise(SIGUSR1);
        assert_eq!(ra.recv().unwrap(), "a");
        assert_eq!(rb.recv().unwrap(), "b");
        // Removing a's handler leaves b's in place.
        assert!(a.block_on(async { remove_signal_handler(SIGUSR1).unwrap() }));
        raise(SIGUSR1);
        assert_eq!(rb.recv().unwrap(), "b");
        assert!(ra.try_recv().is_err());
        assert!(b.block_on(async { remove_signal_handler(SIGUSR1).unwrap() }));
    });
}

#[test]
fn no_callback_runs_after_its_runtime_is_dropped_and_nothing_leaks() {
    let _serial = serial();
    util::deadline(|| {
        for workers in util::WORKER_COUNTS {
            // Another runtime keeps SIGHUP handled (else it would end the process) and
            // tells when a SIGHUP has been dispatched.
            let keeper = util::rt1();
            let (tx, rx) = mpsc::channel();
            keeper.block_on(async move {
                let tx = Mutex::new(tx);
                add_signal_handler(SIGHUP, move || tx.lock().unwrap().send(()).unwrap()).unwrap();
            });

            let fds_before = open_fds();
            let dropped = Arc::new(AtomicUsize::new(0));
            let calls = Arc::new(AtomicUsize::new(0));
            {
                let rt = util::rt(workers);
                let token = DropToken(dropped.clone());
                let c = calls.clone();
                rt.block_on(async move {
                    add_signal_handler(SIGHUP, move || {
                        let _ = &token;
                        c.fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                    add_signal_handler(SIGUSR2, || {}).unwrap();
                    // A ctrl_c waiter left behind.
                    let listening = Arc::new(Event::new());
                    let l = listening.clone();
                    drop(asyncio::create_task(async move {
                        let c = ctrl_c();
                        l.set();
                        c.await
                    }));
                    listening.wait().await.unwrap();
                });
            }
            // Shutdown dropped the handler, closed the pipes and deregistered.
            assert_eq!(dropped.load(Ordering::SeqCst), 1, "{workers} workers");
            assert_eq!(open_fds(), fds_before, "{workers} workers: fd leak");

            raise(SIGHUP);
            rx.recv().unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), 0, "{workers} workers");
            assert!(keeper.block_on(async { remove_signal_handler(SIGHUP).unwrap() }));
        }
    });
}

struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_panicking_handler_is_reported_and_signals_keep_coming() {
    let _serial = serial();
    util::deadline(|| {
        for workers in util::WORKER_COUNTS {
            let (tx, rx) = mpsc::channel();
            let tx = Mutex::new(tx);
            let rt = Builder::new()
                .worker_threads(workers)
                .exception_handler(move |ctx| tx.lock().unwrap().send(ctx.message.clone()).unwrap())
                .build()
                .unwrap();
            rt.block_on(async move {
                add_signal_handler(SIGUSR2, || panic!("handler fails")).unwrap();
                raise(SIGUSR2);
                let msg = asyncio::to_thread(move || rx.recv().unwrap())
                    .await
                    .unwrap();
                assert_eq!(msg, "Exception in callback");
                let (done_tx, done_rx) = async_channel();
                add_signal_handler(SIGUSR2, move || done_tx.set()).unwrap();
                raise(SIGUSR2);
                done_rx.wait().await.unwrap();
                assert!(remove_signal_handler(SIGUSR2).unwrap());
            });
        }
    });
}

// ---- the default disposition, in a child process -------------------------------------

const CHILD_ENV: &str = "ASYNCIO_SIGNALS_CHILD";

/// After the last handler of `SIGUSR1` is removed, `SIGUSR1` terminates the process again
/// (signal-hook's handler stays installed; the conditional default action does it). Runs
/// in a child process: this test binary re-run with only this test.
#[test]
fn removing_the_last_handler_restores_the_default_action() {
    if let Some(which) = std::env::var_os(CHILD_ENV) {
        child_restores_default(which.to_str().unwrap());
        return;
    }
    let _serial = serial();
    util::deadline(|| {
        for (which, sig) in [("handler", SIGUSR1), ("ctrl_c", SIGINT)] {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "removing_the_last_handler_restores_the_default_action",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, which)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("child: handled"), "{which}: {stdout}");
            assert!(!stdout.contains("child: survived"), "{which}: {stdout}");
            assert_eq!(out.status.signal(), Some(sig), "{which}: {:?}", out.status);
        }
    });
}

fn child_restores_default(which: &str) {
    let rt = util::rt(2);
    rt.block_on({
        let which = which.to_owned();
        async move {
            if which == "handler" {
                let (tx, rx) = async_channel();
                add_signal_handler(SIGUSR1, move || tx.set()).unwrap();
                raise(SIGUSR1);
                rx.wait().await.unwrap();
                println!("child: handled");
                assert!(remove_signal_handler(SIGUSR1).unwrap());
            } else {
                let c = ctrl_c();
                raise(SIGINT);
                c.await.unwrap();
                println!("child: handled");
            }
        }
    });
    let sig = if which == "handler" { SIGUSR1 } else { SIGINT };
    // The default action: the process ends here, killed by `sig`.
    // SAFETY: `raise` runs the handler (here: the default action) before it returns.
    unsafe { libc::raise(sig) };
    println!("child: survived");
}
