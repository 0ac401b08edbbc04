//! Tasks: the cell, its state word, the handles, cancellation, and the registries.
//!
//! Read in this order: `state.rs` (the bits and transitions), `raw.rs` (the cell and the
//! poll protocol), `handle.rs` (`Task<T>`, `TaskRef`), `cancel.rs` (cancellation as a
//! value), `hooks.rs` (done callbacks), `registry.rs` (scheduled + eager registries),
//! `spawn.rs` (creating tasks, eager start).

pub(crate) mod builder;
pub(crate) mod cancel;
pub(crate) mod current;
pub(crate) mod error;
pub(crate) mod extra;
pub(crate) mod handle;
pub(crate) mod hooks;
pub(crate) mod notified;
pub(crate) mod raw;
pub(crate) mod registry;
pub(crate) mod spawn;
pub(crate) mod state;
pub(crate) mod waiter;
pub(crate) mod waker;

pub use handle::{Task, TaskId, TaskRef};
