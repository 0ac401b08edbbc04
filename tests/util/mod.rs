//! Helpers shared by the asyncio-semantics test files.
#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, Location};
use std::sync::{mpsc, Arc, Mutex};
use std::task::Waker;
use std::time::Duration;

/// Default deadline of a test body (generous: CI runs the suite in debug on 2 cores).
pub const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `body` on its own thread (named after the calling test) and fails the calling test if it
/// has not finished within [`DEADLINE`]: a lost wake-up or a deadlock then fails the test that
/// lost it, with its name, instead of hanging the run. A panic in `body` is resumed in the
/// caller with its original payload (so `#[should_panic(expected = ..)]` still works). The
/// stuck thread, if any, is left behind (the process exits when the test binary ends).
#[track_caller]
pub fn deadline<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> R {
    deadline_of(DEADLINE, body)
}

/// Same as [`deadline`] with an explicit limit.
#[track_caller]
pub fn deadline_of<R: Send + 'static>(
    limit: Duration,
    body: impl FnOnce() -> R + Send + 'static,
) -> R {
    let caller = Location::caller();
    // libtest runs each test on a thread named after the test's path.
    let name = match std::thread::current().name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => caller.to_string(),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            // The receiver is gone only if the caller already timed out.
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(body)));
        })
        .expect("spawn the test body's thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "test `{name}` did not finish within {limit:?} (deadline at {caller}): \
             lost wake-up or deadlock?"
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            unreachable!("the body's thread sends its result before it ends")
        }
    }
}

/// A 1-worker runtime: the deterministic mode, asyncio's exact FIFO order.
pub fn rt1() -> asyncio::Runtime {
    asyncio::Builder::new().worker_threads(1).build().unwrap()
}

/// A runtime with `n` workers.
pub fn rt(n: usize) -> asyncio::Runtime {
    asyncio::Builder::new().worker_threads(n).build().unwrap()
}

/// Worker counts that tests not depending on ordering run with.
pub const WORKER_COUNTS: [usize; 2] = [1, 2];

/// An ordered log of events, shareable between tasks and threads.
#[derive(Clone, Default)]
pub struct Trace(Arc<Mutex<Vec<String>>>);

impl Trace {
    pub fn new() -> Self {
        Trace::default()
    }

    pub fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }

    pub fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Counts drops of values made with `token()`.
#[derive(Clone, Default)]
pub struct DropCount(Arc<std::sync::atomic::AtomicUsize>);

pub struct DropToken(DropCount);

impl Drop for DropToken {
    fn drop(&mut self) {
        (self.0).0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl DropCount {
    pub fn token(&self) -> DropToken {
        DropToken(self.clone())
    }

    pub fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A foreign future: never ready, knows nothing of the runtime.
pub struct Foreign;

impl std::future::Future for Foreign {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::task::Poll::Pending
    }
}

/// The message of a cancellation error.
pub fn cancel_msg(err: &asyncio::TaskError) -> Option<String> {
    err.as_cancelled()
        .expect("a cancellation")
        .message()
        .map(str::to_owned)
}

/// The message of a panic payload (`&str` or `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string payload>".to_owned()
    }
}

/// A foreign (runtime-unaware) one-shot gate: futures wait on it until `open` is called.
#[derive(Clone, Default)]
pub struct Gate(Arc<Mutex<GateState>>);

#[derive(Default)]
struct GateState {
    open: bool,
    wakers: Vec<Waker>,
}

impl Gate {
    /// Opens the gate and wakes every waiter.
    pub fn open(&self) {
        let wakers = {
            let mut s = self.0.lock().unwrap();
            s.open = true;
            std::mem::take(&mut s.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }

    /// `true` once `open` was called.
    pub fn is_open(&self) -> bool {
        self.0.lock().unwrap().open
    }

    /// `true` while some future is suspended on the gate.
    pub fn has_waiters(&self) -> bool {
        !self.0.lock().unwrap().wakers.is_empty()
    }

    /// A future that completes once the gate is open.
    pub fn wait(&self) -> GateWait {
        GateWait(self.clone())
    }
}

/// Future of [`Gate::wait`].
pub struct GateWait(Gate);

impl std::future::Future for GateWait {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let mut s = (self.0).0.lock().unwrap();
        if s.open {
            std::task::Poll::Ready(())
        } else {
            s.wakers.push(cx.waker().clone());
            std::task::Poll::Pending
        }
    }
}
