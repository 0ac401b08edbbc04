//! Loom models of the I/O readiness protocol (`io/scheduled_io.rs`). The OS (mio,
//! epoll) is outside the models: the driver thread is modelled by its calls into the
//! record. Compiled only with `RUSTFLAGS="--cfg loom"` for `cargo test --lib`.

mod loom_park_state;
mod loom_scheduled_io;

use crate::loom::{Condvar, Mutex};

/// A one-bit event that a waker sets and a thread waits on (loom-visible mutex +
/// condvar): the `mio::Waker`'s eventfd in the park-state model, a task's waker in the
/// readiness models. A lost wake-up leaves the waiter blocked, which loom reports as a
/// deadlock. (Not `thread::park`: a stray unpark that lands while the thread is in
/// `join` trips an assertion inside loom 0.7.)
#[derive(Default)]
pub(crate) struct Signal {
    set: Mutex<bool>,
    cond: Condvar,
}

impl Signal {
    pub(crate) fn set(&self) {
        *self.set.lock() = true;
        self.cond.notify_all();
    }

    /// Waits until set, and resets it.
    pub(crate) fn wait(&self) {
        let mut set = self.set.lock();
        while !*set {
            set = self.cond.wait(set);
        }
        *set = false;
    }
}

impl std::task::Wake for Signal {
    fn wake(self: std::sync::Arc<Self>) {
        self.set();
    }
}
