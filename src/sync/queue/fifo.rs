//! [`Queue`]: first in, first out (asyncio's `asyncio.Queue`), its items in a `VecDeque`.

use std::collections::VecDeque;
use std::fmt;

use super::methods::queue_methods;
use super::protocol::Core;
use super::store::Store;

impl<T: Send> Store<T> for VecDeque<T> {
    fn push(&mut self, item: T) {
        self.push_back(item)
    }
    fn pop(&mut self) -> Option<T> {
        self.pop_front()
    }
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
    fn drain_all(&mut self) -> Vec<T> {
        self.drain(..).collect()
    }
}

/// A FIFO queue for tasks (asyncio's `asyncio.Queue`), shared between threads.
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let q = Arc::new(asyncio::Queue::new(2));
///     let producer = {
///         let q = q.clone();
///         asyncio::create_task(async move {
///             for i in 0..5 {
///                 q.put(i).await.unwrap(); // waits while 2 items are queued
///             }
///         })
///     };
///     let mut got = Vec::new();
///     for _ in 0..5 {
///         got.push(q.get().await.unwrap());
///         q.task_done().unwrap();
///     }
///     producer.await.unwrap();
///     q.join().await.unwrap();
///     assert_eq!(got, [0, 1, 2, 3, 4]);
/// });
/// ```
pub struct Queue<T: Send + 'static> {
    core: Core<T>,
}

impl<T: Send + 'static> Queue<T> {
    /// A queue holding at most `maxsize` items (0: unbounded).
    ///
    /// ```
    /// let q = asyncio::Queue::<String>::new(0);
    /// assert!(!q.full());
    /// ```
    pub fn new(maxsize: usize) -> Queue<T> {
        Queue {
            core: Core::new(maxsize, Box::new(VecDeque::new())),
        }
    }

    queue_methods!("Queue", "[1, 3, 2]", "[1, 3, 2]");
}

impl<T: Send + 'static> Default for Queue<T> {
    /// An unbounded queue.
    fn default() -> Self {
        Queue::new(0)
    }
}

impl<T: Send + 'static> fmt::Debug for Queue<T> {
    /// asyncio's `repr` shape: `<Queue maxsize=0 qsize=1 _getters[1] tasks=1>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt("Queue", f)
    }
}
