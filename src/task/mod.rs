//! Tasks: the cell, its state word, the handles, cancellation, and the registries.
//!
//! Read in this order: `state.rs` (the bits and transitions), `core.rs` (what a cell
//! holds), `raw.rs` (the type-erased pointer and vtable), `harness.rs` (the poll
//! protocol and completion), `handle.rs` (`Task<T>`, `TaskRef`), `cancel/` (cancellation
//! as a value: the protocol is stated at its top), `hooks.rs` (done callbacks),
//! `completion.rs`, `registry.rs` (scheduled + eager registries), `spawn.rs` (creating
//! tasks, eager start), `graph/` (the call graph: who awaits whom).

pub(crate) mod builder;
pub(crate) mod cancel;
pub(crate) mod completion;
pub(crate) mod core;
pub(crate) mod current;
pub(crate) mod error;
pub(crate) mod exception;
pub(crate) mod graph;
pub(crate) mod handle;
pub(crate) mod harness;
pub(crate) mod hooks;
pub(crate) mod lazy_fields;
pub(crate) mod notified;
pub(crate) mod output;
pub(crate) mod raw;
pub(crate) mod registry;
pub(crate) mod spawn;
pub(crate) mod state;
#[cfg(all(test, loom))]
mod tests;
pub(crate) mod waker;

pub use handle::{Task, TaskId, TaskRef};
