//! Loom models of the I/O readiness protocol (`io/scheduled_io.rs`). The OS (mio,
//! epoll) is outside the models: the driver thread is modelled by its calls into the
//! record. Compiled only with `RUSTFLAGS="--cfg loom"` for `cargo test --lib`.

mod loom_park_state;
mod loom_scheduled_io;
