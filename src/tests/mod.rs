//! Loom models of `asyncio::Future` and `ConcurrentFuture` (`future.rs`, `threadsafe.rs`).
//!
//! Compiled only with `RUSTFLAGS="--cfg loom"` for `cargo test --lib`: see
//! `loom-tests/README.md`. Helpers: `crate::loom_model`.

mod loom_concurrent_future_cancel_vs_result;
mod loom_future_set_result_vs_cancel_vs_callback;
