//! Loom models of the composition functions.
//!
//! Compiled only with `RUSTFLAGS="--cfg loom"` for `cargo test --lib`: see
//! `loom-tests/README.md`. Helpers: `crate::loom_model`.

mod loom_gather_vs_children_completion;
mod loom_shield_vs_inner_completion;
