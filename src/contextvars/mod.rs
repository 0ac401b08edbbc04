//! Context variables (Python's `contextvars`, PEP 567, and asyncio's use of them).
//!
//! ```
//! use asyncio::contextvars::{copy_context, ContextVar};
//!
//! static USER: ContextVar<&str> = ContextVar::with_default("user", "nobody");
//!
//! asyncio::run(async {
//!     USER.set("ann");
//!     let ctx = copy_context();
//!     let a = asyncio::create_task(async { USER.get() }); // a copy of this context
//!     let b = asyncio::Task::builder()
//!         .context(&ctx)
//!         .create_task(async {
//!             USER.set("bob");
//!         });
//!     USER.set("eve"); // after `a` was created: `a` does not see it
//!     assert_eq!(a.await.unwrap(), Some("ann"));
//!     b.await.unwrap();
//!     assert_eq!(ctx.get(&USER), Some("bob")); // `b` ran in `ctx` itself
//!     assert_eq!(USER.get(), Some("eve"));
//! });
//! ```
//!
//! ## Protocol
//! * Every thread has a *current context* (a thread-local, `current.rs`). A
//!   [`ContextVar`] reads and writes the current context; [`copy_context`] copies it.
//! * A context's values are one immutable map behind an `Arc` (`vars.rs`): a copy is an
//!   `Arc` clone (O(1), no allocation), a `set` replaces the map with a changed copy
//!   (copy on write), so copies never see each other's later writes.
//! * **Tasks.** `create_task` takes a private copy of the creator's current context
//!   (asyncio: `copy_context()` in `Task.__init__`); `.context(&ctx)` gives the task the
//!   [`Context`] object `ctx` instead (3.11+). The task's future carries its context;
//!   every poll swaps it in as the thread's current context and swaps the previous one
//!   back after, also when the poll panics. So a task's writes persist across its awaits,
//!   stay invisible to its creator and siblings, and follow it to whichever worker polls
//!   it. An eager task's first step runs inline in `create_task`, in its own copy, and
//!   the creator's context is back when it returns.
//! * **Callbacks** (`call_soon`, `call_later`, `call_at`, `call_soon_threadsafe`), done
//!   callbacks of tasks and futures, signal handlers (a fresh copy per signal) and
//!   [`to_thread`](crate::to_thread) run in a copy of
//!   the context current where they were registered or called (asyncio's `context=None`
//!   default), never in the context of whoever completes or runs them.
//! * **`Runner`**: every `run` of one [`Runner`](crate::Runner) runs in the same
//!   context, a copy of the one current at its first `run` (asyncio's
//!   `Runner._context`), kept by the runner between runs; `asyncio::run` therefore runs
//!   its main future in a copy of the caller's context.
//! * **`Context::run`** enters a `Context` object: at most one `run` of an object at a
//!   time ([`ContextError::AlreadyEntered`] otherwise, PEP 567's rule).
//! * **Tokens** ([`Token`]): a `set` returns one; [`ContextVar::reset`] accepts it once,
//!   for the same variable, in the same context (a private context gets an id the first
//!   time something is set in it).
//!
//! ## Cost
//! Every task cell carries one word for its context (`ContextSlot`, next to the future,
//! not in the header). A task created where no variable is set leaves it empty:
//! no allocation, no reference count. Each poll of such a task, on a thread whose own
//! context is empty too, reads one thread-local flag and moves nothing (`current.rs`,
//! "The shortcut"). A task created in a non-empty context costs one `Arc` increment and
//! one small box (three words) for its context; so does a task's first `set`. Its polls
//! then swap the box's contents with the thread's context and back (nothing allocated
//! or dropped). Values are stored once as `Arc<dyn Any>`; `get` clones the value out
//! (use `Arc<T>` for values costly to clone).
//!
//! ## Differences from CPython
//! In CPython only one thread runs a loop, so two tasks sharing a `Context` object never
//! step at the same time; here they can, on two workers. Task steps therefore enter a
//! `Context` object without the exclusive "entered" check (their writes go through the
//! object's lock, so both see all writes); only `Context::run` is exclusive. For the same
//! reason an eager task created with `.context(&ctx)` inside `ctx.run(..)` runs (CPython
//! raises `RuntimeError` there). See docs/asyncio-differences.md.

pub(crate) mod context;
pub(crate) mod current;
pub(crate) mod error;
pub(crate) mod token;
pub(crate) mod var;
pub(crate) mod vars;

/// Loom models of the context protocol.
#[cfg(all(test, loom))]
mod tests;

pub use context::{copy_context, Context};
pub use error::ContextError;
pub use token::Token;
pub use var::ContextVar;
