//! Loom models of the scheduler: injector vs park, stealing, the LIFO slot, shutdown,
//! timers and callbacks.
//!
//! Compiled only with `RUSTFLAGS="--cfg loom"` for `cargo test --lib`: see
//! `loom-tests/README.md`. Helpers: `crate::loom_model`.

mod loom_callback_cancel_vs_run;
mod loom_injector_push_vs_park;
mod loom_lifo_slot_handoff;
mod loom_steal_vs_pop_vs_overflow;
mod loom_threadsafe_vs_shutdown;
mod loom_timer_cancel_vs_fire;
mod loom_wake_vs_shutdown;
