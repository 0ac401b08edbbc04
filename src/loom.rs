//! The sync facade: every synchronisation primitive the runtime uses comes from here.
//!
//! Normally this re-exports `std::sync`, `std::thread`, `crossbeam-deque` and
//! `crossbeam-utils`. Built with `RUSTFLAGS="--cfg loom"` it switches to
//! [`loom`](https://docs.rs/loom) so that the loom models — inside the crate, next to the
//! code they check (`src/*/tests/loom_*.rs`, helpers in `loom_model.rs`), and in
//! `loom-tests/` for those that only use the public API — explore every interleaving of
//! the runtime's real code:
//!
//! * atomics, `Arc`, `Mutex`, `Condvar`, threads and thread-locals come from `loom`
//!   (normally the [`Mutex`]/[`Condvar`] are `parking_lot`'s, the rest `std`'s);
//! * [`UnsafeCell`](cell::UnsafeCell) has loom's closure API (`with`/`with_mut`) in both
//!   builds, so loom can check every access to task cells;
//! * `crossbeam-deque` is invisible to loom, so under `cfg(loom)` [`deque`] is a small
//!   `Mutex<VecDeque>` model with the same interface, and the local queue capacity drops
//!   to 4 so the overflow path is explored;
//! * the thread parker (`crossbeam_utils::sync::Parker`) becomes a `Mutex<bool>` +
//!   `Condvar` model; timeouts are ignored under loom (loom has no clock);
//! * [`time::now`] is `Instant::now()` normally and a **virtual clock** under loom: it
//!   starts at the same instant in every execution of a model and only moves when the
//!   timers advance it (`runtime/time/mod.rs`: when every worker is parked and no task
//!   can run, the clock jumps to the earliest deadline), so sleeps and timeouts are
//!   checked without real waiting and every replay of a schedule sees the same times.
//!
//! No other module names `std::sync`, atomics, `UnsafeCell`, threads or
//! `crossbeam_utils::sync`.

#![allow(unused_imports, dead_code)]

pub(crate) use imp::*;

/// The runtime's mutex: `parking_lot::Mutex` normally (it spins briefly before parking,
/// which matters for the short, hot critical sections of queues and task fields shared
/// by two workers: a futex mutex parks at once and costs a context switch per
/// contention), `loom::sync::Mutex` under loom. No poisoning: the runtime catches every
/// user panic at the task boundary, and its critical sections keep their data
/// consistent at every step.
pub(crate) struct Mutex<T: ?Sized> {
    #[cfg(not(loom))]
    inner: parking_lot::Mutex<T>,
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
}

/// Guard of [`Mutex`].
#[cfg(not(loom))]
pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;
/// Guard of [`Mutex`].
#[cfg(loom)]
pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex {
            #[cfg(not(loom))]
            inner: parking_lot::Mutex::new(value),
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(value),
        }
    }
}

impl<T: ?Sized> Mutex<T> {
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(not(loom))]
        {
            self.inner.lock()
        }
        #[cfg(loom)]
        {
            match self.inner.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            }
        }
    }

    /// The value, through exclusive access (no locking).
    pub(crate) fn get_mut(&mut self) -> &mut T {
        #[cfg(not(loom))]
        {
            self.inner.get_mut()
        }
        #[cfg(loom)]
        {
            match self.inner.get_mut() {
                Ok(value) => value,
                Err(poisoned) => poisoned.into_inner(),
            }
        }
    }

    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        #[cfg(not(loom))]
        {
            self.inner.try_lock()
        }
        #[cfg(loom)]
        {
            match self.inner.try_lock() {
                Ok(guard) => Some(guard),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            }
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

/// A condition variable paired with [`Mutex`].
pub(crate) struct Condvar {
    #[cfg(not(loom))]
    inner: parking_lot::Condvar,
    #[cfg(loom)]
    inner: loom::sync::Condvar,
}

impl Condvar {
    pub(crate) fn new() -> Self {
        Condvar {
            #[cfg(not(loom))]
            inner: parking_lot::Condvar::new(),
            #[cfg(loom)]
            inner: loom::sync::Condvar::new(),
        }
    }

    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        #[cfg(not(loom))]
        {
            let mut guard = guard;
            self.inner.wait(&mut guard);
            guard
        }
        #[cfg(loom)]
        {
            match self.inner.wait(guard) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            }
        }
    }

    /// Waits at most `timeout` (under loom: waits like [`Condvar::wait`]).
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: std::time::Duration,
    ) -> MutexGuard<'a, T> {
        #[cfg(not(loom))]
        {
            let mut guard = guard;
            let _ = self.inner.wait_for(&mut guard, timeout);
            guard
        }
        #[cfg(loom)]
        {
            let _ = timeout;
            self.wait(guard)
        }
    }

    pub(crate) fn notify_all(&self) {
        self.inner.notify_all();
    }

    pub(crate) fn notify_one(&self) {
        self.inner.notify_one();
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Condvar::new()
    }
}

/// Hasher for task ids: ids are unique sequential integers, so a multiplicative mix
/// (Fibonacci hashing) spreads them over shards and buckets at a fraction of SipHash's
/// cost.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Declares a thread-local: `std::thread_local!` with a `const` initialiser normally,
/// `loom::thread_local!` under loom (each model execution gets fresh values).
macro_rules! thread_local_const {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(loom))]
        std::thread_local! {
            $(#[$attr])* static $name: $t = const { $init };
        }
        #[cfg(loom)]
        loom::thread_local! {
            $(#[$attr])* static $name: $t = $init;
        }
    };
}
pub(crate) use thread_local_const;

/// `std::sync::Arc`, for shared data whose sharing is not part of a protocol loom must
/// check: trait objects (`Arc<dyn ..>` needs unsizing, which loom's `Arc` lacks), wakers
/// built with `std::task::Wake` (which requires std's `Arc`), immutable strings (cancel
/// messages, names). Reference counts of task cells and of the runtime's shared state,
/// which protocols depend on, use [`sync::Arc`] (loom's under `cfg(loom)`).
pub(crate) use std::sync::Arc as StdArc;
/// One-time initialisation of process-wide constants (the clock's epoch): not shared
/// mutable state, so loom need not see it.
pub(crate) use std::sync::OnceLock;
/// `std::sync::Weak`, the weak side of [`StdArc`].
pub(crate) use std::sync::Weak as StdWeak;

/// The atomics of the runtime metrics (`runtime/metrics.rs`): std's, **also under loom**.
///
/// Each metrics counter has a single writer (its worker, publishing with `Relaxed`
/// stores) and no protocol reads it: nothing is ordered by these atomics, a reader only
/// wants some recent value. Modelled by loom they would only multiply the interleavings
/// every model explores (each publish is a store loom would schedule around) without
/// checking anything, so they are kept out of its sight, like [`IdCounter`].
pub(crate) mod metrics {
    pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
}

/// A process-wide source of unique numbers (task ids, callback ids).
///
/// Not a synchronisation primitive: nothing is ordered by it, only uniqueness matters,
/// so it stays a plain `std` atomic even under loom (loom atomics cannot be `static`).
pub(crate) struct IdCounter(std::sync::atomic::AtomicU64);

impl IdCounter {
    pub(crate) const fn new() -> Self {
        IdCounter(std::sync::atomic::AtomicU64::new(1))
    }

    pub(crate) fn next(&self) -> u64 {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(not(loom))]
mod imp {
    /// The clock the runtime reads: the real one.
    pub(crate) mod time {
        use std::time::Instant;

        /// `Instant::now()`.
        #[inline(always)]
        pub(crate) fn now() -> Instant {
            Instant::now()
        }
    }

    pub(crate) mod sync {
        pub(crate) use std::sync::{Arc, Weak};

        pub(crate) mod atomic {
            pub(crate) use std::sync::atomic::{
                fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
            };
        }
    }

    pub(crate) mod cell {
        /// `std::cell::UnsafeCell` with loom's closure-based API.
        #[derive(Debug)]
        pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

        impl<T> UnsafeCell<T> {
            pub(crate) const fn new(data: T) -> UnsafeCell<T> {
                UnsafeCell(std::cell::UnsafeCell::new(data))
            }
        }

        impl<T: ?Sized> UnsafeCell<T> {
            #[inline(always)]
            pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
                f(self.0.get())
            }

            #[inline(always)]
            pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
                f(self.0.get())
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use std::thread::{
            current, panicking, park, spawn, yield_now, Builder, JoinHandle, Thread,
        };
    }

    pub(crate) mod deque {
        pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};

        /// Local run queue length at which half of it moves to the injector.
        pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 256;
    }

    pub(crate) mod parker {
        pub(crate) use crossbeam_utils::sync::{Parker, Unparker};
    }

    pub(crate) mod backoff {
        pub(crate) use crossbeam_utils::Backoff;
    }

    /// The sharded map behind the scheduled-task registry: `dashmap`.
    pub(crate) mod map {
        use std::hash::BuildHasherDefault;

        use dashmap::mapref::entry::Entry;
        use dashmap::DashMap;

        use super::super::IdHasher;

        pub(crate) struct ShardedMap<V> {
            inner: DashMap<u64, V, BuildHasherDefault<IdHasher>>,
        }

        impl<V> ShardedMap<V> {
            pub(crate) fn new() -> Self {
                ShardedMap {
                    inner: DashMap::with_hasher(BuildHasherDefault::default()),
                }
            }

            /// Inserts `value` if `admit()`, evaluated under the shard's write lock, says so.
            pub(crate) fn insert_if(
                &self,
                key: u64,
                value: V,
                admit: impl FnOnce() -> bool,
            ) -> Result<(), V> {
                match self.inner.entry(key) {
                    Entry::Vacant(v) if admit() => {
                        v.insert(value);
                        Ok(())
                    }
                    _ => Err(value),
                }
            }

            pub(crate) fn remove(&self, key: u64) -> Option<V> {
                self.inner.remove(&key).map(|(_, v)| v)
            }

            /// Maps every value under its shard's read lock, one shard at a time.
            pub(crate) fn collect<R>(&self, mut f: impl FnMut(&V) -> Option<R>) -> Vec<R> {
                let mut out = Vec::with_capacity(self.inner.len());
                for entry in self.inner.iter() {
                    if let Some(r) = f(entry.value()) {
                        out.push(r);
                    }
                }
                out
            }

            /// Removes and returns every value.
            pub(crate) fn drain(&self) -> Vec<V> {
                let keys: Vec<u64> = self.inner.iter().map(|e| *e.key()).collect();
                keys.into_iter().filter_map(|k| self.remove(k)).collect()
            }

            pub(crate) fn len(&self) -> usize {
                self.inner.len()
            }
        }
    }
}

#[cfg(loom)]
mod imp {
    /// The virtual clock of a loom model.
    ///
    /// `now()` is a fixed origin (the first real `Instant` this process read) plus the
    /// virtual time elapsed in the current execution. The elapsed time lives in a
    /// `loom::lazy_static`, so every execution starts it at zero (loom drops its lazy
    /// statics at the end of each execution) and every replay of a schedule reads the
    /// same times. It is a plain `std` atomic inside: loom runs all of a model's threads
    /// on one OS thread, one at a time, and the clock orders nothing (the timers' lock
    /// does), so it adds no interleavings.
    pub(crate) mod time {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::OnceLock;
        use std::time::{Duration, Instant};

        loom::lazy_static! {
            /// Virtual nanoseconds elapsed in this execution.
            static ref ELAPSED_NANOS: AtomicU64 = AtomicU64::new(0);
        }

        fn origin() -> Instant {
            static ORIGIN: OnceLock<Instant> = OnceLock::new();
            *ORIGIN.get_or_init(Instant::now)
        }

        /// The virtual now.
        pub(crate) fn now() -> Instant {
            origin() + Duration::from_nanos(ELAPSED_NANOS.load(Ordering::Relaxed))
        }

        /// Moves the virtual clock forward to `t` (never backwards).
        pub(crate) fn advance_to(t: Instant) {
            let nanos = t.saturating_duration_since(origin()).as_nanos();
            let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
            ELAPSED_NANOS.fetch_max(nanos, Ordering::Relaxed);
        }
    }

    pub(crate) mod sync {
        pub(crate) use loom::sync::Arc;

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::{
                fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
            };
            pub(crate) use std::sync::atomic::Ordering;
        }
    }

    pub(crate) mod cell {
        pub(crate) use loom::cell::UnsafeCell;
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::{current, park, spawn, yield_now, JoinHandle, Thread};
        pub(crate) use std::thread::panicking;

        /// `std::thread::Builder` shape over `loom::thread::spawn` (names are ignored).
        pub(crate) struct Builder {
            _name: Option<String>,
        }

        impl Builder {
            pub(crate) fn new() -> Self {
                Builder { _name: None }
            }

            pub(crate) fn name(mut self, name: String) -> Self {
                self._name = Some(name);
                self
            }

            pub(crate) fn stack_size(self, _size: usize) -> Self {
                self
            }

            pub(crate) fn spawn<F, T>(self, f: F) -> std::io::Result<JoinHandle<T>>
            where
                F: FnOnce() -> T + Send + 'static,
                T: Send + 'static,
            {
                Ok(loom::thread::spawn(f))
            }
        }
    }

    /// A loom-visible model of the `crossbeam-deque` interface the scheduler uses.
    pub(crate) mod deque {
        use loom::sync::{Arc, Mutex};
        use std::collections::VecDeque;

        pub(crate) use crossbeam_deque::Steal;

        /// Small under loom so that the overflow path runs in the models.
        pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 4;

        pub(crate) struct Worker<T> {
            queue: Arc<Mutex<VecDeque<T>>>,
        }

        pub(crate) struct Stealer<T> {
            queue: Arc<Mutex<VecDeque<T>>>,
        }

        pub(crate) struct Injector<T> {
            queue: Mutex<VecDeque<T>>,
        }

        impl<T> Worker<T> {
            pub(crate) fn new_fifo() -> Self {
                Worker {
                    queue: Arc::new(Mutex::new(VecDeque::new())),
                }
            }

            pub(crate) fn stealer(&self) -> Stealer<T> {
                Stealer {
                    queue: self.queue.clone(),
                }
            }

            pub(crate) fn push(&self, task: T) {
                self.queue.lock().unwrap().push_back(task);
            }

            pub(crate) fn pop(&self) -> Option<T> {
                self.queue.lock().unwrap().pop_front()
            }

            pub(crate) fn len(&self) -> usize {
                self.queue.lock().unwrap().len()
            }

            pub(crate) fn is_empty(&self) -> bool {
                self.queue.lock().unwrap().is_empty()
            }
        }

        fn steal_half_into<T>(src: &Mutex<VecDeque<T>>, dest: &Worker<T>) -> Steal<T> {
            let mut src = src.lock().unwrap();
            let first = match src.pop_front() {
                Some(t) => t,
                None => return Steal::Empty,
            };
            let n = src.len().div_ceil(2);
            let batch: Vec<T> = src.drain(..n).collect();
            drop(src);
            let mut dst = dest.queue.lock().unwrap();
            dst.extend(batch);
            Steal::Success(first)
        }

        impl<T> Stealer<T> {
            pub(crate) fn steal(&self) -> Steal<T> {
                match self.queue.lock().unwrap().pop_front() {
                    Some(t) => Steal::Success(t),
                    None => Steal::Empty,
                }
            }

            pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
                steal_half_into(&self.queue, dest)
            }

            pub(crate) fn is_empty(&self) -> bool {
                self.queue.lock().unwrap().is_empty()
            }

            pub(crate) fn len(&self) -> usize {
                self.queue.lock().unwrap().len()
            }
        }

        impl<T> Injector<T> {
            pub(crate) fn new() -> Self {
                Injector {
                    queue: Mutex::new(VecDeque::new()),
                }
            }

            pub(crate) fn push(&self, task: T) {
                self.queue.lock().unwrap().push_back(task);
            }

            pub(crate) fn steal(&self) -> Steal<T> {
                match self.queue.lock().unwrap().pop_front() {
                    Some(t) => Steal::Success(t),
                    None => Steal::Empty,
                }
            }

            pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
                steal_half_into(&self.queue, dest)
            }

            pub(crate) fn is_empty(&self) -> bool {
                self.queue.lock().unwrap().is_empty()
            }

            pub(crate) fn len(&self) -> usize {
                self.queue.lock().unwrap().len()
            }
        }
    }

    /// A loom-visible model of `crossbeam_utils::sync::{Parker, Unparker}`: a token
    /// that `unpark` sets and `park` consumes.
    pub(crate) mod parker {
        use loom::sync::{Arc, Condvar, Mutex};
        use std::time::{Duration, Instant};

        struct Inner {
            token: Mutex<bool>,
            cond: Condvar,
        }

        pub(crate) struct Parker {
            unparker: Unparker,
        }

        #[derive(Clone)]
        pub(crate) struct Unparker {
            inner: Arc<Inner>,
        }

        impl Parker {
            pub(crate) fn new() -> Self {
                Parker {
                    unparker: Unparker {
                        inner: Arc::new(Inner {
                            token: Mutex::new(false),
                            cond: Condvar::new(),
                        }),
                    },
                }
            }

            pub(crate) fn unparker(&self) -> &Unparker {
                &self.unparker
            }

            pub(crate) fn park(&self) {
                let inner = &self.unparker.inner;
                let mut token = inner.token.lock().unwrap();
                while !*token {
                    token = inner.cond.wait(token).unwrap();
                }
                *token = false;
            }

            /// Loom has no clock: a timed park behaves like `park`.
            pub(crate) fn park_timeout(&self, _timeout: Duration) {
                self.park();
            }

            /// Loom has no clock: a timed park behaves like `park`.
            pub(crate) fn park_deadline(&self, _deadline: Instant) {
                self.park();
            }
        }

        impl Unparker {
            pub(crate) fn unpark(&self) {
                *self.inner.token.lock().unwrap() = true;
                self.inner.cond.notify_one();
            }
        }
    }

    /// Loom needs every spin to be a visible yield; one step then "completed".
    pub(crate) mod backoff {
        pub(crate) struct Backoff {
            step: std::cell::Cell<u32>,
        }

        impl Backoff {
            pub(crate) fn new() -> Self {
                Backoff {
                    step: std::cell::Cell::new(0),
                }
            }

            pub(crate) fn snooze(&self) {
                self.step.set(self.step.get() + 1);
                loom::thread::yield_now();
            }

            pub(crate) fn spin(&self) {
                self.snooze();
            }

            pub(crate) fn is_completed(&self) -> bool {
                self.step.get() >= 1
            }
        }
    }

    /// The registry map under loom: one loom-visible `Mutex<BTreeMap>` (dashmap's own
    /// locks are invisible to loom and would spin forever in a model). A `BTreeMap`, not a
    /// `HashMap`: loom replays a schedule and expects the same operations in the same
    /// order, and a `HashMap`'s random iteration order would make `collect`/`drain` touch
    /// the tasks in a different order on each replay (loom then fails inside its own
    /// bookkeeping, e.g. `assertion left != right` in `match_rmw_to_stores`).
    pub(crate) mod map {
        use std::collections::BTreeMap;

        use loom::sync::Mutex;

        pub(crate) struct ShardedMap<V> {
            inner: Mutex<BTreeMap<u64, V>>,
        }

        impl<V> ShardedMap<V> {
            pub(crate) fn new() -> Self {
                ShardedMap {
                    inner: Mutex::new(BTreeMap::new()),
                }
            }

            pub(crate) fn insert_if(
                &self,
                key: u64,
                value: V,
                admit: impl FnOnce() -> bool,
            ) -> Result<(), V> {
                let mut map = self.inner.lock().unwrap();
                if map.contains_key(&key) || !admit() {
                    return Err(value);
                }
                map.insert(key, value);
                Ok(())
            }

            pub(crate) fn remove(&self, key: u64) -> Option<V> {
                self.inner.lock().unwrap().remove(&key)
            }

            pub(crate) fn collect<R>(&self, f: impl FnMut(&V) -> Option<R>) -> Vec<R> {
                self.inner.lock().unwrap().values().filter_map(f).collect()
            }

            pub(crate) fn drain(&self) -> Vec<V> {
                std::mem::take(&mut *self.inner.lock().unwrap())
                    .into_values()
                    .collect()
            }

            pub(crate) fn len(&self) -> usize {
                self.inner.lock().unwrap().len()
            }
        }
    }
}
