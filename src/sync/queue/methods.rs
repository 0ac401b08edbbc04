//! `queue_methods!`: the public methods every queue type has ([`Queue`](super::Queue),
//! [`LifoQueue`](super::LifoQueue), [`PriorityQueue`](super::PriorityQueue)), written once.
//!
//! Invoked inside `impl<T> XQueue<T> { ... }` of a type with a `core: Core<T>` field, it
//! expands to `qsize`, `maxsize`, `empty`, `full`, `put`, `put_nowait`, `get`,
//! `get_nowait`, `task_done`, `join`, `shutdown`, `is_shutdown` and `unfinished_tasks`,
//! each a one-line delegation to the shared [`Core`](super::Core). A macro, not a generic
//! type or a trait, so that each queue type keeps inherent methods (usable without an
//! import) whose doc examples name that type: its arguments are the type's name and,
//! for the `get_nowait` example, the items put and the order they come out in.

macro_rules! queue_methods {
    ($name:literal, $example_items:literal, $example_out:literal) => {
        /// Number of items in the queue.
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::new(0);")]
        /// q.put_nowait(1).unwrap();
        /// assert_eq!(q.qsize(), 1);
        /// ```
        pub fn qsize(&self) -> usize {
            self.core.qsize()
        }

        /// The capacity given at construction (0: unbounded).
        ///
        /// ```
        #[doc = concat!("assert_eq!(asyncio::", $name, "::<u8>::new(2).maxsize(), 2);")]
        /// ```
        pub fn maxsize(&self) -> usize {
            self.core.maxsize()
        }

        /// `true` if the queue holds no item.
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::new(0);")]
        /// assert!(q.empty());
        /// q.put_nowait(1).unwrap();
        /// assert!(!q.empty());
        /// ```
        pub fn empty(&self) -> bool {
            self.core.empty()
        }

        /// `true` if the queue holds `maxsize` items (never for an unbounded queue).
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::new(1);")]
        /// q.put_nowait(1).unwrap();
        /// assert!(q.full());
        /// ```
        pub fn full(&self) -> bool {
            self.core.full()
        }

        /// Puts an item, waiting for a free slot if the queue is full. The item comes
        /// back in the error: `PutError::ShutDown` if the queue is (or gets) shut down,
        /// `PutError::Cancelled` if the awaiting task is cancelled.
        ///
        /// ```
        /// asyncio::run(async {
        #[doc = concat!("    let q = asyncio::", $name, "::new(0);")]
        ///     q.put(1).await.unwrap();
        ///     assert_eq!(q.get().await.unwrap(), 1);
        /// });
        /// ```
        pub fn put(&self, item: T) -> $crate::sync::queue::Put<'_, T> {
            $crate::sync::queue::Put::new(&self.core, item)
        }

        /// Puts an item without waiting: `PutError::Full` if the queue is full,
        /// `PutError::ShutDown` if it is shut down; the item comes back in the error.
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::new(1);")]
        /// q.put_nowait(1).unwrap();
        /// let err = q.put_nowait(2).unwrap_err();
        /// assert!(err.is_full());
        /// assert_eq!(err.into_item(), 2);
        /// ```
        pub fn put_nowait(&self, item: T) -> Result<(), $crate::sync::queue::PutError<T>> {
            self.core.put_nowait(item)
        }

        /// Removes and returns an item, waiting for one if the queue is empty.
        /// `GetError::ShutDown` once the queue is shut down and empty (or shut down
        /// immediately); `GetError::Cancelled` if the awaiting task is cancelled (no item
        /// is lost: it stays in the queue).
        ///
        /// ```
        /// asyncio::run(async {
        #[doc = concat!("    let q = std::sync::Arc::new(asyncio::", $name, "::new(0));")]
        ///     let getter = {
        ///         let q = q.clone();
        ///         asyncio::create_task(async move { q.get().await })
        ///     };
        ///     q.put(7).await.unwrap();
        ///     assert_eq!(getter.await.unwrap(), 7);
        /// });
        /// ```
        pub fn get(&self) -> $crate::sync::queue::Get<'_, T> {
            $crate::sync::queue::Get::new(&self.core)
        }

        /// Removes and returns an item without waiting: `GetError::Empty` if there is
        /// none, `GetError::ShutDown` if the queue is shut down and empty.
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::new(0);")]
        /// assert!(q.get_nowait().unwrap_err().is_empty());
        #[doc = concat!("for i in ", $example_items, " {")]
        ///     q.put_nowait(i).unwrap();
        /// }
        /// let out: Vec<i32> = (0..3).map(|_| q.get_nowait().unwrap()).collect();
        #[doc = concat!("assert_eq!(out, ", $example_out, ");")]
        /// ```
        pub fn get_nowait(&self) -> Result<T, $crate::sync::queue::GetError> {
            self.core.get_nowait()
        }

        /// Marks one item taken with `get` as processed (see [`join`](Self::join)).
        /// `ValueError("task_done() called too many times")` if called more times than
        /// items were put.
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::new(0);")]
        /// assert!(q.task_done().is_err());
        /// q.put_nowait(1).unwrap();
        /// q.get_nowait().unwrap();
        /// q.task_done().unwrap();
        /// ```
        pub fn task_done(&self) -> Result<(), $crate::sync::ValueError> {
            self.core.task_done()
        }

        /// Waits until every item put has been taken and marked with
        /// [`task_done`](Self::task_done). `Err(CancelledError)` if the awaiting task is
        /// cancelled.
        ///
        /// ```
        /// asyncio::run(async {
        #[doc = concat!("    let q = std::sync::Arc::new(asyncio::", $name, "::new(0));")]
        ///     q.put_nowait(1).unwrap();
        ///     let worker = {
        ///         let q = q.clone();
        ///         asyncio::create_task(async move {
        ///             let _item = q.get().await.unwrap();
        ///             q.task_done().unwrap();
        ///         })
        ///     };
        ///     q.join().await.unwrap();
        ///     worker.await.unwrap();
        /// });
        /// ```
        pub fn join(&self) -> $crate::sync::queue::Join<'_, T> {
            $crate::sync::queue::Join::new(&self.core)
        }

        /// Shuts the queue down (3.13): `put`s fail with `ShutDown` from now on, and so
        /// do `get`s once the queue is empty. With `immediate`, the items left are
        /// dropped (each counted as done for `join`) and `get`s fail at once. Blocked
        /// getters and putters are woken to see it.
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::new(0);")]
        /// q.put_nowait(1).unwrap();
        /// q.shutdown(false);
        /// assert!(q.put_nowait(2).unwrap_err().is_shutdown());
        /// assert_eq!(q.get_nowait().unwrap(), 1);
        /// assert!(q.get_nowait().unwrap_err().is_shutdown());
        /// ```
        pub fn shutdown(&self, immediate: bool) {
            self.core.shutdown(immediate)
        }

        /// `true` once [`shutdown`](Self::shutdown) was called.
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::<u8>::new(0);")]
        /// q.shutdown(true);
        /// assert!(q.is_shutdown());
        /// ```
        pub fn is_shutdown(&self) -> bool {
            self.core.is_shutdown()
        }

        /// Items put and not yet marked done (asyncio's `_unfinished_tasks`).
        ///
        /// ```
        #[doc = concat!("let q = asyncio::", $name, "::new(0);")]
        /// q.put_nowait(1).unwrap();
        /// assert_eq!(q.unfinished_tasks(), 1);
        /// ```
        pub fn unfinished_tasks(&self) -> usize {
            self.core.unfinished()
        }
    };
}

pub(super) use queue_methods;
