//! Helpers shared by the asyncio-semantics test files.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::task::Waker;

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
