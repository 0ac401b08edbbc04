//! Helpers shared by the asyncio-semantics test files.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

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
