//! [`LifoQueue`]: last in, first out (asyncio's `asyncio.LifoQueue`), its items in a
//! [`Stack`].

use std::fmt;

use super::methods::queue_methods;
use super::protocol::Core;
use super::store::Store;

/// LIFO storage.
struct Stack<T>(Vec<T>);

impl<T: Send> Store<T> for Stack<T> {
    fn push(&mut self, item: T) {
        self.0.push(item)
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn drain_all(&mut self) -> Vec<T> {
        std::mem::take(&mut self.0)
    }
}

/// A LIFO queue for tasks (asyncio's `asyncio.LifoQueue`): the most recent item first.
///
/// ```
/// let q = asyncio::LifoQueue::new(0);
/// q.put_nowait("a").unwrap();
/// q.put_nowait("b").unwrap();
/// assert_eq!(q.get_nowait().unwrap(), "b");
/// ```
pub struct LifoQueue<T: Send + 'static> {
    core: Core<T>,
}

impl<T: Send + 'static> LifoQueue<T> {
    /// A LIFO queue holding at most `maxsize` items (0: unbounded).
    ///
    /// ```
    /// let q = asyncio::LifoQueue::<u32>::new(3);
    /// assert_eq!(q.maxsize(), 3);
    /// ```
    pub fn new(maxsize: usize) -> LifoQueue<T> {
        LifoQueue {
            core: Core::new(maxsize, Box::new(Stack(Vec::new()))),
        }
    }

    queue_methods!("LifoQueue", "[1, 3, 2]", "[2, 3, 1]");
}

impl<T: Send + 'static> Default for LifoQueue<T> {
    /// An unbounded queue.
    fn default() -> Self {
        LifoQueue::new(0)
    }
}

impl<T: Send + 'static> fmt::Debug for LifoQueue<T> {
    /// asyncio's `repr` shape: `<LifoQueue maxsize=0 qsize=1>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt("LifoQueue", f)
    }
}
