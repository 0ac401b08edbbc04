//! Loom models of the synchronisation primitives' hand-offs under cancellation.
//!
//! Compiled only with `RUSTFLAGS="--cfg loom"` for `cargo test --lib`: see
//! `loom-tests/README.md`. Helpers: `crate::loom_model`.

mod loom_lock_handoff;
mod loom_queue_put_get_vs_cancel;
mod loom_semaphore_release_vs_cancelled_waiter;
