//! loom models of the asyncio runtime that use only its **public** API: see `tests/` and
//! `README.md`. The models that need the runtime's internals live inside the crate, next
//! to the code they check (`src/*/tests/loom_*.rs`, run with `cargo test -p asyncio
//! --lib`).
//!
//! This library holds the few helpers those models share. Everything is `cfg(loom)`:
//! without `RUSTFLAGS="--cfg loom"` the crate is empty.
//!
//! Bookkeeping counters (how many times a future was dropped, ...) are plain `std`
//! atomics on purpose: loom runs all model threads on one OS thread, one at a time, so a
//! `std` atomic always holds the latest value of the explored schedule, and it adds no
//! interleaving points (the state space stays that of the runtime's own
//! synchronisation). They are only read for assertions after the threads that wrote them
//! were joined.

#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs a loom model. `LOOM_MAX_PREEMPTIONS` (and the other `LOOM_*` variables) apply;
/// without it the preemption bound defaults to 2 (unbounded exploration of the real
/// runtime code would not finish).
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let n = executions.clone();
    builder.check(move || {
        n.fetch_add(1, Ordering::Relaxed);
        f();
    });
    // Visible with `--nocapture`: how much of the state space the bound let loom explore.
    println!(
        "loom explored {} executions (preemption bound {:?})",
        executions.load(Ordering::Relaxed),
        builder.preemption_bound
    );
}

/// A shared bookkeeping counter (see the crate docs for why it is a `std` atomic).
#[derive(Clone, Default)]
pub struct Counter(std::sync::Arc<AtomicUsize>);

impl Counter {
    pub fn new() -> Counter {
        Counter::default()
    }

    pub fn inc(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// Increments its counter when dropped: put one in a future or an output to count drops.
pub struct DropCount(pub Counter);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.inc();
    }
}
