//! Model-checking your own asyncio program with [loom](https://docs.rs/loom)
//! (`cfg(loom)` only).
//!
//! ## The protocol
//! Built with `RUSTFLAGS="--cfg loom"`, the whole runtime runs inside `loom::model`:
//!
//! 1. Each **execution** of the model builds a real [`Runtime`](crate::Runtime) with
//!    [`Builder::worker_threads`] workers. The workers are loom threads, the model's own
//!    thread is the `block_on` thread: it creates the **main task** from your closure's
//!    future and blocks until it finishes, then drops the runtime (shutdown cancels what
//!    is left).
//! 2. Every synchronisation primitive of the runtime and of `asyncio`'s `Lock`,
//!    `Semaphore`, `Queue`, `Event`, ... comes from the crate's sync facade, which maps it
//!    to loom: loom explores the interleavings of the workers (up to the
//!    [preemption bound](Builder::preemption_bound)), so a task that runs on one worker
//!    while another runs on the second is checked in every order loom reaches.
//! 3. **Time is virtual**: `sleep`, `timeout`, `wait_for` and `call_later` read a clock
//!    that starts at the same instant in every execution and only moves when every
//!    worker is parked and no task is queued: it then jumps to the earliest deadline,
//!    which fires. Timers fire in deadline order and only when nothing else can run, so
//!    programs with timeouts are checked without waiting (and without timing flakiness).
//! 4. An execution **fails** when the main task panics (your `assert!`s), raises (returns
//!    `Err`), or is cancelled; when an exception nobody retrieved reaches the runtime's
//!    exception handler (a panic in a task nobody awaited: asyncio's "Task exception was
//!    never retrieved"); when loom finds a deadlock (every task waits on another and no
//!    timer is pending: reported as an asyncio deadlock), a data race or a leak. The
//!    first failing execution stops the model with a panic that says what broke and how
//!    to replay that interleaving (see the guide, `docs/testing-under-loom.md`).
//!
//! What cannot run inside a model fails clearly instead of hanging: `to_thread` /
//! `run_in_executor` resolve to a [`RuntimeError`](crate::RuntimeError) naming the
//! feature; sockets, streams and signals (`asyncio::net`, `asyncio::streams`,
//! `asyncio::signal`) are not compiled under `cfg(loom)`, since the OS they wait on is
//! outside the model.
//!
//! ```
//! // In a test of your crate, run with RUSTFLAGS="--cfg loom" cargo test --release:
//! use std::sync::Arc;
//!
//! asyncio::testing::model(|| async {
//!     let lock = Arc::new(asyncio::Lock::new());
//!     let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
//!     let task = {
//!         let (lock, count) = (lock.clone(), count.clone());
//!         asyncio::create_task(async move {
//!             let _held = lock.acquire().await?;
//!             count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
//!             Ok::<_, asyncio::CancelledError>(())
//!         })
//!     };
//!     task.await.unwrap();
//!     assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
//! });
//! ```
//!
//! The examples here are doc tests that only exist under `cfg(loom)`
//! (`RUSTDOCFLAGS="--cfg loom"`); `loom-tests/tests/` holds complete programs with bugs
//! the model finds (see the guide).

mod builder;

pub use builder::{model, Builder, Report};
