//! What a task's output means to asyncio: a value, or an exception it raises.
//!
//! Rust has no `raise`; a task raises by ending with `Err(e)` (usually through `?`). So
//! the runtime reads a task's output through [`IntoOutcome`]:
//!
//! * `Result<T, E>` (with `E: std::error::Error + Send + Sync + 'static`, or
//!   [`Exception`](crate::Exception)) is asyncio's "returns `T` or raises `e`": `Ok(v)` is
//!   the task's result `v`, `Err(e)` its exception (sorted as the table in `exception.rs`
//!   says: a `CancelledError` ends the task cancelled).
//! * Every other output is a plain value: its type implements the marker [`TaskOutput`].
//!   The crate implements it for the standard library's types (numbers, strings,
//!   collections, tuples, `Option`, smart pointers, ...) and its own; implement it for
//!   your own types with one line: `impl asyncio::TaskOutput for MyType {}`.
//!
//! So a `Task<T>` is typed by the *value* `T`: `create_task(async { Ok::<u32, E>(1) })`
//! is a `Task<u32>`, and awaiting it gives `Result<u32, TaskError>` with the error as
//! `TaskError::Exception` (downcast it back to `E`). To keep a `Result` as a value
//! rather than an exception, return it inside a value type (`Some(result)`, a tuple, a
//! struct) or as `Ok::<_, std::convert::Infallible>(result)`.
//!
//! Decision: a marker trait rather than one impl for every type, because stable Rust
//! cannot tell "a `Result`" from "anything else" in a generic function (no
//! specialization); the marker keeps that choice at compile time and costs nothing at
//! run time. Its price: a task body that never returns (`async { loop { .. } }`, or one
//! that only panics) has the output type `!`, which stable Rust cannot name in an impl,
//! so the compiler asks for the type: end the body with a value it never reaches
//! (`#[allow(unreachable_code)] ()`) or make it return `Result` (a server loop usually
//! has a `?` anyway).

use crate::task::error::TaskError;
use crate::task::exception::IntoException;

/// A type a task returns as a plain value (not a `Result` whose `Err` is an exception).
///
/// Implemented for the standard library's common types and for this crate's; add it to
/// your own type with `impl asyncio::TaskOutput for MyType {}`.
///
/// ```
/// struct Report {
///     lines: usize,
/// }
/// impl asyncio::TaskOutput for Report {}
///
/// asyncio::run(async {
///     let t = asyncio::create_task(async { Report { lines: 3 } });
///     assert_eq!(t.await.unwrap().lines, 3);
/// });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not known as a task output",
    label = "the output of this task",
    note = "a task returns a plain value, or `Result<T, E>` whose `Err` is its exception \
            (`E`: a `std::error::Error + Send + Sync + 'static`, or `asyncio::Exception`)",
    note = "for your own value type add `impl asyncio::TaskOutput for {Self} {{}}`"
)]
pub trait TaskOutput: Send + 'static {}

/// How a task's output splits into asyncio's result or exception. Implemented for every
/// [`TaskOutput`] (always a result) and for `Result<T, E>` (`Err` is the exception).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not known as a task output",
    label = "the output of this task",
    note = "a task returns a plain value, or `Result<T, E>` whose `Err` is its exception \
            (`E`: a `std::error::Error + Send + Sync + 'static`, or `asyncio::Exception`; \
            `asyncio::Exception::msg(text)` raises a message)",
    note = "for a value type of your own add `impl asyncio::TaskOutput for YourType {{}}`; \
            `asyncio::Value(x)` passes any output through as a plain value"
)]
pub trait IntoOutcome: Send + 'static {
    /// The task's result when it does not raise.
    type Value: Send + 'static;

    /// The result, or the exception raised.
    fn into_outcome(self) -> Result<Self::Value, TaskError>;
}

impl<T: TaskOutput> IntoOutcome for T {
    type Value = T;

    #[inline]
    fn into_outcome(self) -> Result<T, TaskError> {
        Ok(self)
    }
}

impl<T: Send + 'static, E: IntoException> IntoOutcome for Result<T, E> {
    type Value = T;

    #[inline]
    fn into_outcome(self) -> Result<T, TaskError> {
        self.map_err(IntoException::into_task_error)
    }
}

/// Any output, returned as a plain value: a `Result` inside is not split into result and
/// exception. For generic code that spawns futures of any output type (an executor for a
/// library, say), and for a `Result` meant as a value. `block_on`/`run` use it to hand
/// the main future's output back as it is.
///
/// ```
/// fn spawn_any<F>(fut: F) -> asyncio::Task<asyncio::Value<F::Output>>
/// where
///     F: std::future::Future + Send + 'static,
///     F::Output: Send + 'static,
/// {
///     asyncio::create_task(async move { asyncio::Value(fut.await) })
/// }
///
/// asyncio::run(async {
///     let t = spawn_any(async { Err::<u8, String>("kept as a value".into()) });
///     let asyncio::Value(out) = t.await.unwrap();
///     assert_eq!(out.unwrap_err(), "kept as a value");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Value<T>(pub T);

impl<T: Send + 'static> TaskOutput for Value<T> {}

macro_rules! plain_outputs {
    ($($t:ty),* $(,)?) => {
        $(impl TaskOutput for $t {})*
    };
}

plain_outputs!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    &'static str,
    String,
    std::ffi::OsString,
    std::path::PathBuf,
    std::time::Duration,
    std::time::Instant,
    std::time::SystemTime,
    std::net::SocketAddr,
    std::net::IpAddr,
    std::process::ExitStatus,
    std::process::Output,
    std::thread::ThreadId,
    std::convert::Infallible,
    bytes::Bytes,
    bytes::BytesMut,
    crate::task::TaskRef,
    crate::task::TaskId,
    crate::task::cancel::CancelledError,
    crate::task::error::PanicError,
    crate::task::error::TaskError,
    crate::task::error::TimeoutError,
    crate::task::exception::Exception,
    crate::runtime::Handle,
    crate::runtime::callbacks::CallbackHandle,
    crate::runtime::callbacks::TimerHandle,
    crate::sync::Event,
    crate::sync::Lock,
    crate::sync::Semaphore,
    crate::sync::BoundedSemaphore,
    crate::sync::Barrier,
    crate::sync::Condition,
    crate::sync::OwnedLockGuard,
    crate::sync::OwnedSemaphorePermit,
);

#[cfg(not(loom))]
plain_outputs!(
    crate::net::TcpListener,
    crate::net::TcpStream,
    crate::net::UdpSocket,
    crate::net::UnixListener,
    crate::net::UnixStream,
    crate::net::UnixDatagram,
    crate::net::tcp::OwnedReadHalf,
    crate::net::tcp::OwnedWriteHalf,
    crate::net::unix::OwnedReadHalf,
    crate::net::unix::OwnedWriteHalf,
    crate::streams::StreamReader,
    crate::streams::StreamWriter,
    crate::streams::Server,
    crate::signal::CtrlC,
);

macro_rules! generic_outputs {
    ($($t:ident $(<$($p:ident),+>)? => $ty:ty),* $(,)?) => {
        $(impl<$($($p: Send + 'static),+)?> TaskOutput for $ty {})*
    };
}

generic_outputs!(
    Option<T> => Option<T>,
    Vec<T> => Vec<T>,
    VecDeque<T> => std::collections::VecDeque<T>,
    BTreeSet<T> => std::collections::BTreeSet<T>,
    BTreeMap<K, V> => std::collections::BTreeMap<K, V>,
    HashSet<T, S> => std::collections::HashSet<T, S>,
    HashMap<K, V, S> => std::collections::HashMap<K, V, S>,
    BinaryHeap<T> => std::collections::BinaryHeap<T>,
    PhantomData<T> => std::marker::PhantomData<T>,
    Receiver<T> => std::sync::mpsc::Receiver<T>,
    Sender<T> => std::sync::mpsc::Sender<T>,
    Task<T> => crate::task::Task<T>,
    Future<T> => crate::future::Future<T>,
    Cell<T> => std::cell::Cell<T>,
    RefCell<T> => std::cell::RefCell<T>,
    Queue<T> => crate::sync::Queue<T>,
    LifoQueue<T> => crate::sync::LifoQueue<T>,
    ConcurrentFuture<T> => crate::threadsafe::ConcurrentFuture<T>,
);

impl<T: Ord + Send + 'static> TaskOutput for crate::sync::PriorityQueue<T> {}
impl<T: ?Sized + Send + 'static> TaskOutput for Box<T> {}
impl<T: ?Sized + Send + Sync + 'static> TaskOutput for std::sync::Arc<T> {}
impl<T: ?Sized + Send + 'static> TaskOutput for std::sync::Mutex<T> {}
impl<T: Send + 'static, const N: usize> TaskOutput for [T; N] {}
impl<P: Send + 'static> TaskOutput for std::pin::Pin<P> {}

macro_rules! tuple_outputs {
    ($(($($p:ident),+)),* $(,)?) => {
        $(impl<$($p: Send + 'static),+> TaskOutput for ($($p,)+) {})*
    };
}

tuple_outputs!(
    (A),
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F),
    (A, B, C, D, E, F, G),
    (A, B, C, D, E, F, G, H),
    (A, B, C, D, E, F, G, H, I),
    (A, B, C, D, E, F, G, H, I, J),
    (A, B, C, D, E, F, G, H, I, J, K),
    (A, B, C, D, E, F, G, H, I, J, K, L),
);
