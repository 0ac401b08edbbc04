//! Compile-time proof of the auto traits (`Send`, `Sync`, `Unpin`) and of `Clone` for
//! every public type of the crate (everything `src/lib.rs` re-exports) and for the
//! futures its functions return.
//!
//! Nothing here runs: each assertion is a closure that is type-checked and never called,
//! so the file passes by compiling. A positive assertion calls `require_send(&value)`
//! (and so on); a negative one calls `<T as AmbiguousIfSend<_>>::some_item`, which has
//! one candidate impl for every `T` and a second one for `T: Send`, so it only compiles
//! (as a single, unambiguous impl) when `T` is *not* `Send`. This is the static-assertion
//! style of tokio's `tests/async_send_sync.rs`.
//!
//! Generic types are asserted for a `Send + Sync` parameter (`u32`), a `Send + !Sync`
//! one (`Cell<u32>`) and, where the type can be named with it, a `!Send` one
//! (`Rc<u32>`). The most important negative facts are also proven as compile errors
//! with trybuild (`tests/compile_fail.rs`, `tests/ui/`).
//!
//! The rules (an assertion of a state that looks wrong is marked `REPORTED`, with why):
//! * Handles to shared runtime state (`TaskRef`, `Handle`, the sync primitives, their
//!   guards and wait futures, errors) are `Send + Sync` and `Unpin`.
//! * `Task<T>` is `Send` iff `T: Send` (the output moves to whoever awaits or drops the
//!   handle), `Sync` iff `T: Send + Sync` (`&Task<T>` exposes `result()`, which clones
//!   the output through `&T`), always `Unpin`. Whatever holds tasks (`Shield`, `Gather`,
//!   `Wait`, `AsCompleted`, ...) inherits that.
//! * Shared-value handles that only touch `T` under their mutex (`Future<T>`,
//!   `ConcurrentFuture<T>`, `Queue<T>`, `TaskGroup<E>`) are `Send + Sync` for `T: Send`,
//!   like `Mutex<T>`.
//! * Wrappers of a user future (`TimeoutScope<F>`) are `Unpin` only if the future is:
//!   `TimeoutScope::poll` pins its body in place.
//! * Every future a user would spawn is `Send`.

#![allow(clippy::type_complexity)]

use std::cell::Cell;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use asyncio::*;

// ---- the assertion machinery ----------------------------------------------------------

fn require_send<T: Send>(_: &T) {}
fn require_sync<T: Sync>(_: &T) {}
fn require_unpin<T: Unpin>(_: &T) {}
fn require_clone<T: Clone>(_: &T) {}

/// A value of any type, for type-checking only: the closures that call it never run.
fn value_of<T>() -> T {
    unreachable!("assertion closures are type-checked, never called")
}

/// The second impl parameter of the `AmbiguousIf*` traits.
struct Invalid;

/// `AmbiguousIfSend::some_item(&v)` compiles only if `v` is not `Send`: for a `Send`
/// type both impls apply and the call is ambiguous.
trait AmbiguousIfSend<A> {
    fn some_item(&self) {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<Invalid> for T {}

/// See [`AmbiguousIfSend`].
trait AmbiguousIfSync<A> {
    fn some_item(&self) {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<Invalid> for T {}

/// See [`AmbiguousIfSend`].
trait AmbiguousIfUnpin<A> {
    fn some_item(&self) {}
}
impl<T: ?Sized> AmbiguousIfUnpin<()> for T {}
impl<T: ?Sized + Unpin> AmbiguousIfUnpin<Invalid> for T {}

/// See [`AmbiguousIfSend`].
trait AmbiguousIfClone<A> {
    fn some_item(&self) {}
}
impl<T: ?Sized> AmbiguousIfClone<()> for T {}
impl<T: Clone> AmbiguousIfClone<Invalid> for T {}

/// `check!(value: Send & !Sync & Unpin & Clone)`: one assertion per listed trait.
macro_rules! check {
    ($v:ident:) => {};
    ($v:ident: & $($rest:tt)*) => { check!($v: $($rest)*) };
    ($v:ident: Send $($rest:tt)*) => { require_send(&$v); check!($v: $($rest)*) };
    ($v:ident: Sync $($rest:tt)*) => { require_sync(&$v); check!($v: $($rest)*) };
    ($v:ident: Unpin $($rest:tt)*) => { require_unpin(&$v); check!($v: $($rest)*) };
    ($v:ident: Clone $($rest:tt)*) => { require_clone(&$v); check!($v: $($rest)*) };
    ($v:ident: !Send $($rest:tt)*) => { AmbiguousIfSend::some_item(&$v); check!($v: $($rest)*) };
    ($v:ident: !Sync $($rest:tt)*) => { AmbiguousIfSync::some_item(&$v); check!($v: $($rest)*) };
    ($v:ident: !Unpin $($rest:tt)*) => { AmbiguousIfUnpin::some_item(&$v); check!($v: $($rest)*) };
    ($v:ident: !Clone $($rest:tt)*) => { AmbiguousIfClone::some_item(&$v); check!($v: $($rest)*) };
}

/// `assert_value!(Type: Send & Sync & Unpin)`: the traits of a type.
macro_rules! assert_value {
    ($ty:ty: $($traits:tt)+) => {
        const _: fn() = || {
            let value = value_of::<$ty>();
            check!(value: $($traits)+);
        };
    };
}

/// `assert_fn!(path::to::function(ArgType, ...): Send & Sync & !Unpin)`: the traits of
/// what the function returns (a future, mostly) for arguments of those types.
macro_rules! assert_fn {
    ($($f:ident $(::<$($generic:ty),+>)?)::+ ($($arg:ty),*): $($traits:tt)+) => {
        const _: fn() = || {
            let value = $($f $(::<$($generic),+>)?)::+($(value_of::<$arg>()),*);
            check!(value: $($traits)+);
        };
    };
}

/// A future that is `Send + Sync` but `!Unpin`.
struct PinnedFuture(PhantomPinned);

impl std::future::Future for PinnedFuture {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

/// The `Send + Sync` / `Send + !Sync` / `!Send` futures a `TimeoutScope` is asserted on.
type ReadyYY = std::future::Ready<u32>;
type ReadyYN = std::future::Ready<Cell<u32>>;
type ReadyNN = std::future::Ready<Rc<u32>>;

// ---- tasks ----------------------------------------------------------------------------

mod tasks {
    use super::*;

    // Decided: Send iff T: Send; Sync iff T: Send + Sync (`result()` clones through
    // `&T`); always Unpin. Clone iff T: Clone + Send + Sync (the handles share one stored
    // output, read through `&T` from several threads): not for `Cell` or a `!Clone` T.
    assert_value!(Task<u32>: Send & Sync & Unpin & Clone);
    assert_value!(Task<String>: Send & Sync & Unpin & Clone);
    assert_value!(Task<Cell<u32>>: Send & !Sync & Unpin & !Clone);
    assert_value!(Task<Rc<u32>>: !Send & !Sync & Unpin & !Clone);
    assert_value!(Task<PhantomPinned>: Send & Sync & Unpin);
    // Awaiting a task: what its `IntoFuture` gives follows the task.
    assert_value!(TaskJoin<u32>: Send & Sync & Unpin & !Clone);
    assert_value!(TaskJoin<Rc<u32>>: !Send & !Sync & Unpin);
    assert_value!(TaskJoinMut<'static, u32>: Send & Sync & Unpin);
    assert_value!(FutureWait<u32>: Send & Sync & Unpin & !Clone);
    assert_value!(Task<()>: Send & Sync & Unpin);

    assert_value!(TaskRef: Send & Sync & Unpin & Clone);
    assert_value!(TaskId: Send & Sync & Unpin & Clone);
    assert_value!(WaitDone: Send & Sync & Unpin);
    assert_value!(TaskBuilder: Send & Sync & Unpin & Clone);
    assert_value!(CallbackId: Send & Sync & Unpin & Clone);

    assert_value!(CancelledError: Send & Sync & Unpin & Clone);
    assert_value!(TaskError: Send & Sync & Unpin & Clone);
    assert_value!(PanicError: Send & Sync & Unpin & Clone);
    assert_value!(InvalidStateError: Send & Sync & Unpin & Clone);
    assert_value!(RuntimeError: Send & Sync & Unpin & Clone);

    assert_fn!(asyncio::TaskRef::wait_done(&TaskRef): Send & Sync & Unpin);
    assert_fn!(asyncio::checkpoint(): Send & Sync & Unpin);
    assert_value!(Checkpoint: Send & Sync & Unpin);
}

// ---- runtime --------------------------------------------------------------------------

mod runtime {
    use super::*;

    assert_value!(Handle: Send & Sync & Unpin & Clone);
    assert_value!(RuntimeMetrics: Send & Sync & Unpin & Clone);
    assert_value!(Runtime: Send & Sync & Unpin);
    assert_value!(Builder: Send & Sync & Unpin);
    assert_value!(Runner: Send & Sync & Unpin);
    assert_value!(TaskFactory: Send & Sync & Unpin & Clone);
    assert_value!(ExceptionContext: Send & Sync & Unpin & Clone);

    assert_value!(CallbackHandle: Send & Sync & Unpin);
    assert_value!(TimerHandle: Send & Sync & Unpin);

    assert_value!(Sleep: Send & Sync & Unpin);
    assert_fn!(asyncio::sleep(Duration): Send & Sync & Unpin);
    assert_fn!(asyncio::sleep_until(Instant): Send & Sync & Unpin);
    assert_fn!(asyncio::yield_now(): Send & Sync & Unpin);
    assert_fn!(asyncio::sleep_with::<u32>(Duration, u32): Send & Sync & !Unpin);
    assert_fn!(asyncio::sleep_with::<Cell<u32>>(Duration, Cell<u32>): Send & !Sync & !Unpin);
    assert_fn!(asyncio::sleep_with::<Rc<u32>>(Duration, Rc<u32>): !Send & !Sync & !Unpin);

    // `&ToThread<T>` reaches only its result slot, behind a lock: `Sync` for `T: Send`
    // (as tokio's `JoinHandle`), though the job closure it submits is only `Send`.
    assert_value!(ToThread<u32>: Send & Sync & Unpin);
    assert_value!(ToThread<Cell<u32>>: Send & Sync & Unpin);
    assert_value!(ToThread<PhantomPinned>: Send & Unpin);
    assert_fn!(asyncio::to_thread::<fn() -> u32, u32>(fn() -> u32): Send & Sync & Unpin);
    assert_fn!(
        asyncio::Handle::run_in_executor::<fn() -> u32, u32>(&Handle, fn() -> u32):
            Send & Sync & Unpin
    );
}

// ---- asyncio::Future and the thread-safe entry ------------------------------------------

mod futures {
    use super::*;

    // `T` is only touched under the future's mutex (set, cloned out, dropped), so it is
    // shared like `Mutex<T>`: Send + Sync for `T: Send`, even `!Sync` ones.
    assert_value!(asyncio::Future<u32>: Send & Sync & Unpin & Clone);
    assert_value!(asyncio::Future<Cell<u32>>: Send & Sync & Unpin & Clone);
    assert_value!(asyncio::Future<Rc<u32>>: !Send & !Sync & Unpin & Clone);
    assert_value!(asyncio::Future<PhantomPinned>: Send & Sync & Unpin);
    assert_value!(TaskError: Send & Sync & Unpin & Clone);
    // Shared (`Arc`) and type-erased: the error inside is `Send + Sync` by construction.
    assert_value!(Exception: Send & Sync & Unpin & Clone);

    // Same as `Future<T>`: the outcome lives under a mutex. `wait(self)` moves the value
    // out, so it is not `Clone` (share it with an `Arc`).
    assert_value!(ConcurrentFuture<u32>: Send & Sync & Unpin & !Clone);
    assert_value!(ConcurrentFuture<Cell<u32>>: Send & Sync & Unpin & !Clone);
    assert_value!(ConcurrentFuture<Rc<u32>>: !Send & !Sync & Unpin);
    assert_value!(ConcurrentError: Send & Sync & Unpin & Clone);
    assert_value!(TimeoutError: Send & Sync & Unpin & Clone);
}

// ---- composition: gather, shield, wait, as_completed ----------------------------------

mod compose {
    use super::*;

    // The children hold `Task`s: their traits follow `Task<T>`'s.
    assert_value!(VecOf<u32>: Send & Sync & Unpin);
    assert_value!(VecOf<Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(VecOf<Rc<u32>>: !Send & !Sync & Unpin);
    assert_value!(Tuple2<u32, u32>: Send & Sync & Unpin);
    assert_value!(Tuple2<u32, Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(Tuple2<Rc<u32>, u32>: !Send & !Sync & Unpin);
    assert_value!(Tuple3<u32, u32, u32>: Send & Sync & Unpin);
    assert_value!(Tuple3<u32, u32, Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(Tuple4<u32, u32, u32, u32>: Send & Sync & Unpin);
    assert_value!(Tuple4<u32, u32, u32, Rc<u32>>: !Send & !Sync & Unpin);
    assert_value!(Tuple5<u32, u32, u32, u32, u32>: Send & Sync & Unpin);
    assert_value!(Tuple5<Cell<u32>, u32, u32, u32, u32>: Send & !Sync & Unpin);
    assert_value!(Tuple6<u32, u32, u32, u32, u32, u32>: Send & Sync & Unpin);
    assert_value!(Tuple6<u32, u32, u32, u32, u32, Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(Tuple7<u32, u32, u32, u32, u32, u32, u32>: Send & Sync & Unpin);
    assert_value!(Tuple7<u32, u32, u32, u32, u32, u32, Rc<u32>>: !Send & !Sync & Unpin);
    assert_value!(Tuple8<u32, u32, u32, u32, u32, u32, u32, u32>: Send & Sync & Unpin);
    assert_value!(Tuple8<u32, u32, u32, u32, u32, u32, u32, Cell<u32>>: Send & !Sync & Unpin);

    assert_value!(Gather<VecOf<u32>>: Send & Sync & Unpin);
    assert_value!(Gather<VecOf<Cell<u32>>>: Send & !Sync & Unpin);
    assert_value!(Gather<VecOf<Rc<u32>>>: !Send & !Sync & Unpin);
    assert_value!(Gather<VecOf<PhantomPinned>>: Send & Sync & Unpin);
    assert_value!(Gather<Tuple2<u32, Cell<u32>>>: Send & !Sync & Unpin);
    assert_value!(GatherAll<VecOf<u32>>: Send & Sync & Unpin);
    assert_value!(GatherAll<VecOf<Cell<u32>>>: Send & !Sync & Unpin);
    assert_value!(GatherAll<VecOf<Rc<u32>>>: !Send & !Sync & Unpin);
    assert_value!(GatherAll<Tuple8<u32, u32, u32, u32, u32, u32, u32, u32>>: Send & Sync & Unpin);

    assert_fn!(asyncio::gather::<Task<u32>, Vec<Task<u32>>>(Vec<Task<u32>>): Send & Sync & Unpin);
    assert_fn!(
        asyncio::gather::<Task<Cell<u32>>, Vec<Task<Cell<u32>>>>(Vec<Task<Cell<u32>>>):
            Send & !Sync & Unpin
    );
    assert_fn!(asyncio::gather2::<Task<u32>, Task<u32>>(Task<u32>, Task<u32>): Send & Sync & Unpin);
    assert_fn!(
        asyncio::gather8::<
            Task<u32>, Task<u32>, Task<u32>, Task<u32>,
            Task<u32>, Task<u32>, Task<u32>, Task<u32>
        >(
            Task<u32>, Task<u32>, Task<u32>, Task<u32>,
            Task<u32>, Task<u32>, Task<u32>, Task<u32>
        ): Send & Sync & Unpin
    );
    assert_fn!(
        asyncio::Gather::<VecOf<u32>>::return_exceptions(Gather<VecOf<u32>>):
            Send & Sync & Unpin
    );

    assert_value!(Shield<u32>: Send & Sync & Unpin);
    assert_value!(Shield<Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(Shield<Rc<u32>>: !Send & !Sync & Unpin);
    assert_value!(Shield<PhantomPinned>: Send & Sync & Unpin);
    assert_fn!(asyncio::shield::<Task<u32>>(Task<u32>): Send & Sync & Unpin);

    assert_value!(Wait<TaskRef>: Send & Sync & Unpin);
    assert_value!(Wait<Task<u32>>: Send & Sync & Unpin);
    assert_value!(Wait<Task<Cell<u32>>>: Send & !Sync & Unpin);
    assert_value!(Wait<Task<Rc<u32>>>: !Send & !Sync & Unpin);
    assert_value!(WaitError: Send & Sync & Unpin & Clone);
    assert_value!(ReturnWhen: Send & Sync & Unpin & Clone);
    assert_fn!(
        asyncio::wait::<Task<u32>, Vec<Task<u32>>>(Vec<Task<u32>>, Option<Duration>, ReturnWhen):
            Send & Sync & Unpin
    );
    assert_fn!(
        asyncio::wait::<TaskRef, Vec<TaskRef>>(Vec<TaskRef>, Option<Duration>, ReturnWhen):
            Send & Sync & Unpin
    );

    assert_value!(AsCompleted<u32>: Send & Sync & Unpin);
    assert_value!(AsCompleted<Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(AsCompleted<Rc<u32>>: !Send & !Sync & Unpin);
    assert_value!(AsCompleted<PhantomPinned>: Send & Sync & Unpin);
    assert_value!(AsCompletedError: Send & Sync & Unpin & Clone);
    assert_value!(Next<'_, u32>: Send & Sync & Unpin);
    assert_value!(Next<'_, Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(Next<'_, Rc<u32>>: !Send & !Sync & Unpin);
    assert_value!(NextTask<'_, u32>: Send & Sync & Unpin);
    assert_value!(NextTask<'_, Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(NextTask<'_, Rc<u32>>: !Send & !Sync & Unpin);
    assert_fn!(
        asyncio::as_completed::<Task<u32>, Vec<Task<u32>>>(Vec<Task<u32>>, Option<Duration>):
            Send & Sync & Unpin
    );
    assert_fn!(asyncio::AsCompleted::<u32>::next(&mut AsCompleted<u32>): Send & Sync & Unpin);
    assert_fn!(
        asyncio::AsCompleted::<u32>::next_task(&mut AsCompleted<u32>): Send & Sync & Unpin
    );
}

// ---- TaskGroup ------------------------------------------------------------------------

mod taskgroup {
    use super::*;

    // A shared handle: the failures are `TaskError`s (Send + Sync) under a mutex.
    assert_value!(TaskGroup: Send & Sync & Unpin & Clone);
    assert_value!(TaskGroupError: Send & Sync & Unpin & Clone);
    assert_value!(ExceptionGroup: Send & Sync & Unpin & Clone);

    // The future of `run` follows the body's future.
    type Body = fn(TaskGroup) -> std::future::Ready<Result<u32, std::fmt::Error>>;
    assert_fn!(
        asyncio::TaskGroup::run::<Body, std::future::Ready<Result<u32, std::fmt::Error>>>(Body):
            Send & Sync & !Unpin
    );
    type BodyYN = fn(TaskGroup) -> ReadyYN;
    assert_fn!(asyncio::TaskGroup::run::<BodyYN, ReadyYN>(BodyYN): Send & !Sync & !Unpin);
}

// ---- timeouts -------------------------------------------------------------------------

mod timeouts {
    use super::*;

    assert_value!(Timeout: Send & Sync & Unpin & !Clone);
    assert_value!(TimeoutHandle: Send & Sync & Unpin & Clone);

    // Follows the body; `Unpin` only if the body is (`poll` pins it in place).
    assert_value!(TimeoutScope<ReadyYY>: Send & Sync & Unpin);
    assert_value!(TimeoutScope<ReadyYN>: Send & !Sync & Unpin);
    assert_value!(TimeoutScope<ReadyNN>: !Send & !Sync & Unpin);
    assert_value!(TimeoutScope<PinnedFuture>: Send & Sync & !Unpin);
    assert_value!(TimeoutScope<Sleep>: Send & Sync & Unpin);

    assert_fn!(asyncio::timeout(Option<Duration>): Send & Sync & Unpin);
    assert_fn!(asyncio::timeout_at(Instant): Send & Sync & Unpin);
    assert_fn!(asyncio::timeout_at(f64): Send & Sync & Unpin);
    assert_fn!(asyncio::Timeout::run::<Sleep>(Timeout, Sleep): Send & Sync & Unpin);
    assert_fn!(asyncio::Timeout::run::<PinnedFuture>(Timeout, PinnedFuture): Send & Sync & !Unpin);
    assert_fn!(asyncio::wait_for::<Sleep>(Sleep, Option<Duration>): Send & Sync & Unpin);
    assert_fn!(asyncio::wait_for::<ReadyYN>(ReadyYN, Option<Duration>): Send & !Sync & Unpin);
}

// ---- the task call graph --------------------------------------------------------------

mod call_graph {
    use super::*;

    // Snapshots: owned strings, ids and `&'static Location`s, no task refs.
    assert_value!(TaskTree: Send & Sync & Unpin & Clone);
    assert_value!(CallGraph: Send & Sync & Unpin & Clone);
    assert_value!(TaskNode: Send & Sync & Unpin & Clone);
    assert_value!(Awaiting: Send & Sync & Unpin & Clone);
    assert_value!(AwaitedKind: Send & Sync & Unpin & Clone);
    assert_value!(TaskScope: Send & Sync & Unpin & Clone);
    assert_value!(ScopeKind: Send & Sync & Unpin & Clone);
    assert_value!(TaskStatus: Send & Sync & Unpin & Clone);
    assert_fn!(asyncio::capture_call_graph(&TaskRef): Send & Sync & Unpin);
    assert_fn!(asyncio::Handle::task_tree(&Handle): Send & Sync & Unpin);
}

// ---- sync primitives ------------------------------------------------------------------

mod sync {
    use super::*;

    // Not `Clone`: share them with an `Arc` (as tokio's); `acquire_owned` takes one.
    assert_value!(Lock: Send & Sync & Unpin & !Clone);
    // An asyncio lock has no owning thread: a guard may be released anywhere. A clone
    // would release twice.
    assert_value!(LockGuard<'_>: Send & Sync & Unpin & !Clone);
    assert_value!(OwnedLockGuard: Send & Sync & Unpin & !Clone);
    assert_value!(Acquire<'_>: Send & Sync & Unpin);
    assert_value!(AcquireOwned: Send & Sync & Unpin);
    assert_fn!(asyncio::Lock::acquire(&Lock): Send & Sync & Unpin);
    assert_fn!(asyncio::Lock::acquire_owned(Arc<Lock>): Send & Sync & Unpin);

    assert_value!(Semaphore: Send & Sync & Unpin & !Clone);
    assert_value!(BoundedSemaphore: Send & Sync & Unpin & !Clone);
    assert_value!(SemaphorePermit<'_>: Send & Sync & Unpin & !Clone);
    assert_value!(OwnedSemaphorePermit: Send & Sync & Unpin & !Clone);
    assert_value!(SemaphoreAcquire<'_>: Send & Sync & Unpin);
    assert_value!(SemaphoreAcquireOwned: Send & Sync & Unpin);
    assert_fn!(asyncio::Semaphore::acquire(&Semaphore): Send & Sync & Unpin);
    assert_fn!(asyncio::Semaphore::acquire_owned(Arc<Semaphore>): Send & Sync & Unpin);
    assert_fn!(asyncio::BoundedSemaphore::acquire(&BoundedSemaphore): Send & Sync & Unpin);
    assert_fn!(
        asyncio::BoundedSemaphore::acquire_owned(Arc<BoundedSemaphore>): Send & Sync & Unpin
    );

    assert_value!(Event: Send & Sync & Unpin & !Clone);
    assert_value!(EventWait<'_>: Send & Sync & Unpin);
    assert_fn!(asyncio::Event::wait(&Event): Send & Sync & Unpin);

    assert_value!(Condition: Send & Sync & Unpin & !Clone);
    assert_value!(ConditionWait<'_>: Send & Sync & Unpin);
    assert_value!(ConditionError: Send & Sync & Unpin & Clone);
    assert_fn!(asyncio::Condition::acquire(&Condition): Send & Sync & Unpin);
    assert_fn!(asyncio::Condition::wait(&Condition): Send & Sync & Unpin);
    assert_fn!(
        asyncio::Condition::wait_for::<fn() -> bool>(&Condition, fn() -> bool):
            Send & Sync & !Unpin
    );

    assert_value!(Barrier: Send & Sync & Unpin & !Clone);
    assert_value!(BarrierError: Send & Sync & Unpin & Clone);
    assert_value!(BrokenBarrierError: Send & Sync & Unpin & Clone);
    assert_fn!(asyncio::Barrier::wait(&Barrier): Send & Sync & !Unpin);
    assert_fn!(asyncio::Barrier::reset(&Barrier): Send & Sync & !Unpin);
    assert_fn!(asyncio::Barrier::abort(&Barrier): Send & Sync & !Unpin);

    // Items are moved in and out under the queue's mutex, never shared: Send + Sync for
    // `T: Send`, like `Mutex<T>`. (`T: Send` is a bound of the types themselves, so
    // `Queue<Rc<_>>` cannot even be named.)
    assert_value!(Queue<u32>: Send & Sync & Unpin & !Clone);
    assert_value!(Queue<Cell<u32>>: Send & Sync & Unpin);
    assert_value!(LifoQueue<u32>: Send & Sync & Unpin & !Clone);
    assert_value!(LifoQueue<Cell<u32>>: Send & Sync & Unpin);
    assert_value!(PriorityQueue<u32>: Send & Sync & Unpin & !Clone);
    assert_value!(Get<'_, u32>: Send & Sync & Unpin);
    assert_value!(Get<'_, Cell<u32>>: Send & Sync & Unpin);
    // `Put` carries the item until it is queued.
    assert_value!(Put<'_, u32>: Send & Sync & Unpin);
    assert_value!(Put<'_, Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(Put<'_, PhantomPinned>: Send & Sync & Unpin);
    assert_value!(Join<'_, u32>: Send & Sync & Unpin);
    assert_value!(Join<'_, Cell<u32>>: Send & Sync & Unpin);
    assert_fn!(asyncio::Queue::<u32>::get(&Queue<u32>): Send & Sync & Unpin);
    assert_fn!(asyncio::Queue::<u32>::put(&Queue<u32>, u32): Send & Sync & Unpin);
    assert_fn!(asyncio::Queue::<u32>::join(&Queue<u32>): Send & Sync & Unpin);
    assert_fn!(asyncio::Queue::<Cell<u32>>::get(&Queue<Cell<u32>>): Send & Sync & Unpin);
    assert_fn!(
        asyncio::Queue::<Cell<u32>>::put(&Queue<Cell<u32>>, Cell<u32>): Send & !Sync & Unpin
    );
    assert_fn!(asyncio::LifoQueue::<u32>::get(&LifoQueue<u32>): Send & Sync & Unpin);
    assert_fn!(asyncio::LifoQueue::<u32>::put(&LifoQueue<u32>, u32): Send & Sync & Unpin);
    assert_fn!(asyncio::PriorityQueue::<u32>::get(&PriorityQueue<u32>): Send & Sync & Unpin);
    assert_fn!(
        asyncio::PriorityQueue::<u32>::put(&PriorityQueue<u32>, u32): Send & Sync & Unpin
    );

    assert_value!(GetError: Send & Sync & Unpin & Clone);
    assert_value!(PutError<u32>: Send & Sync & Unpin & Clone);
    assert_value!(PutError<Cell<u32>>: Send & !Sync & Unpin & Clone);
    assert_value!(PutError<Rc<u32>>: !Send & !Sync & Unpin & Clone);
    assert_value!(QueueEmpty: Send & Sync & Unpin & Clone);
    assert_value!(QueueFull: Send & Sync & Unpin & Clone);
    assert_value!(QueueShutDown: Send & Sync & Unpin & Clone);
    assert_value!(ValueError: Send & Sync & Unpin & Clone);
}

// ---- spawning: what the task-creating functions return --------------------------------

mod spawning {
    use super::*;

    type Fut = std::future::Ready<u32>;
    assert_fn!(asyncio::create_task::<Fut>(Fut): Send & Sync & Unpin);
    assert_fn!(asyncio::create_eager_task::<Fut>(Fut): Send & Sync & Unpin);
    assert_fn!(asyncio::ensure_future::<Fut>(Fut): Send & Sync & Unpin);
    assert_fn!(asyncio::Handle::create_task::<Fut>(&Handle, Fut): Send & Sync & Unpin);
    assert_fn!(asyncio::Runtime::create_task::<Fut>(&Runtime, Fut): Send & Sync & Unpin);
    assert_fn!(asyncio::TaskBuilder::create_task::<Fut>(TaskBuilder, Fut): Send & Sync & Unpin);
    assert_fn!(
        asyncio::run_coroutine_threadsafe::<Fut>(Fut, &Handle): Send & Sync & Unpin & !Clone
    );
    assert_fn!(asyncio::current_task(): Send & Sync & Unpin & Clone);
    assert_fn!(asyncio::all_tasks(): Send & Sync & Unpin & Clone);
    assert_fn!(asyncio::get_running_loop(): Send & Sync & Unpin & Clone);
}

// ---- net ------------------------------------------------------------------------------

mod net {
    use super::*;
    use asyncio::net::{
        tcp, unix, TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
    };
    use std::net::SocketAddr;

    // Sockets: methods take `&self`, so one socket is shared between tasks with an
    // `Arc` (Send + Sync); one owner of the descriptor: not Clone.
    assert_value!(TcpListener: Send & Sync & Unpin & !Clone);
    assert_value!(TcpStream: Send & Sync & Unpin & !Clone);
    assert_value!(UdpSocket: Send & Sync & Unpin & !Clone);
    assert_value!(UnixListener: Send & Sync & Unpin & !Clone);
    assert_value!(UnixStream: Send & Sync & Unpin & !Clone);
    assert_value!(UnixDatagram: Send & Sync & Unpin & !Clone);

    // The halves move to the task that uses them.
    assert_value!(tcp::OwnedReadHalf: Send & Sync & Unpin & !Clone);
    assert_value!(tcp::OwnedWriteHalf: Send & Sync & Unpin & !Clone);
    assert_value!(tcp::ReuniteError: Send & Sync & Unpin & !Clone);
    assert_value!(unix::OwnedReadHalf: Send & Sync & Unpin & !Clone);
    assert_value!(unix::OwnedWriteHalf: Send & Sync & Unpin & !Clone);
    assert_value!(unix::ReuniteError: Send & Sync & Unpin & !Clone);

    // The futures of the async methods: spawnable (Send), and Sync since they hold only
    // shared references to the socket and the caller's buffer.
    assert_fn!(asyncio::net::TcpListener::bind(&str): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::TcpStream::connect(&str): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::lookup_host(&str): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::UdpSocket::bind(&str): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::UdpSocket::connect(&UdpSocket, SocketAddr): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::UdpSocket::send(&UdpSocket, &[u8]): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::UdpSocket::recv(&UdpSocket, &mut [u8]): Send & Sync & !Unpin);
    assert_fn!(
        asyncio::net::UdpSocket::send_to(&UdpSocket, &[u8], &str): Send & Sync & !Unpin
    );
    assert_fn!(asyncio::net::UdpSocket::recv_from(&UdpSocket, &mut [u8]): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::UdpSocket::peek_from(&UdpSocket, &mut [u8]): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::UdpSocket::readable(&UdpSocket): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::UdpSocket::writable(&UdpSocket): Send & Sync & !Unpin);
    assert_fn!(
        asyncio::net::UnixDatagram::send_to(&UnixDatagram, &[u8], &str): Send & Sync & !Unpin
    );
    assert_fn!(
        asyncio::net::UnixDatagram::recv_from(&UnixDatagram, &mut [u8]): Send & Sync & !Unpin
    );
    assert_fn!(asyncio::net::UnixDatagram::send(&UnixDatagram, &[u8]): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::UnixDatagram::recv(&UnixDatagram, &mut [u8]): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::TcpStream::read(&TcpStream, &mut [u8]): Send & Sync & !Unpin);
    assert_fn!(asyncio::net::TcpStream::write_all(&TcpStream, &[u8]): Send & Sync & !Unpin);
    assert_fn!(
        asyncio::net::tcp::OwnedReadHalf::read(&tcp::OwnedReadHalf, &mut [u8]):
            Send & Sync & !Unpin
    );
    assert_fn!(
        asyncio::net::tcp::OwnedReadHalf::peek(&tcp::OwnedReadHalf, &mut [u8]):
            Send & Sync & !Unpin
    );
    assert_fn!(
        asyncio::net::tcp::OwnedWriteHalf::write_all(&tcp::OwnedWriteHalf, &[u8]):
            Send & Sync & !Unpin
    );
    assert_fn!(
        asyncio::net::unix::OwnedReadHalf::read_exact(&unix::OwnedReadHalf, &mut [u8]):
            Send & Sync & !Unpin
    );
    assert_fn!(
        asyncio::net::unix::OwnedWriteHalf::write(&unix::OwnedWriteHalf, &[u8]):
            Send & Sync & !Unpin
    );
}

// ---- streams and signals ----------------------------------------------------------------

mod streams {
    use super::*;
    use asyncio::streams::{
        Addr, ExtraInfo, IncompleteReadError, LimitOverrunError, StreamError, StreamOptions,
    };
    use asyncio::{Server, StreamReader, StreamWriter};

    // A reader is owned by the task reading (`&mut self` methods); a writer's methods take
    // `&self`, so it can be shared; neither duplicates the connection.
    assert_value!(StreamReader: Send & Sync & Unpin & !Clone);
    assert_value!(StreamWriter: Send & Sync & Unpin & !Clone);
    // A server is a handle (asyncio's `Server` object is shared the same way).
    assert_value!(Server: Send & Sync & Unpin & Clone);
    assert_value!(StreamOptions: Send & Sync & Unpin);
    // Errors and values cross threads and can be kept.
    assert_value!(StreamError: Send & Sync & Unpin);
    assert_value!(IncompleteReadError: Send & Sync & Unpin & Clone);
    assert_value!(LimitOverrunError: Send & Sync & Unpin & Clone);
    assert_value!(Addr: Send & Sync & Unpin & Clone);
    assert_value!(ExtraInfo: Send & Sync & Unpin & Clone);

    // The futures of the entry points and the reader/writer methods are spawnable.
    assert_fn!(asyncio::open_connection(&str, u16): Send & !Unpin);
    assert_fn!(asyncio::StreamReader::readline(&mut StreamReader): Send & !Unpin);
    assert_fn!(asyncio::StreamWriter::drain(&StreamWriter): Send & !Unpin);
    assert_fn!(asyncio::Server::wait_closed(&Server): Send & !Unpin);
}

mod signals {
    use super::*;

    // `ctrl_c()` returns a named future, spawnable and pollable from any task.
    assert_value!(asyncio::signal::CtrlC: Send & Unpin & !Clone);
}

mod contextvars {
    use super::*;
    use asyncio::contextvars::{Context, ContextError, Token};

    // A variable holds its default: Send/Sync as `T` is (a `static` needs `T: Sync`).
    assert_value!(ContextVar<u32>: Send & Sync & Unpin & !Clone);
    assert_value!(ContextVar<Cell<u32>>: Send & !Sync & Unpin);
    assert_value!(ContextVar<Rc<u32>>: !Send & !Sync & Unpin);
    // A token holds a type-erased `Arc<dyn Any + Send + Sync>` (values are `Send + Sync`
    // to be set at all); it is used once, from any thread.
    assert_value!(Token<u32>: Send & Sync & Unpin & !Clone);
    // A context is one object (Python's identity semantics): shared by reference, not
    // cloned; `copy()` makes a new one.
    assert_value!(Context: Send & Sync & Unpin & !Clone);
    assert_value!(ContextError: Send & Sync & Unpin & Clone);
}
