//! Loom models of the context protocol (`current.rs`): a task's context follows it
//! across threads through the RUNNING handoff, and every thread's own context is back
//! after each step.
//!
//! Compiled only with `RUSTFLAGS="--cfg loom"` for `cargo test --lib`: see
//! `loom-tests/README.md`. Helpers: `crate::loom_model`.

mod loom_context_follows_task_across_threads;
