//! [`PriorityQueue`]: smallest item first (asyncio's `asyncio.PriorityQueue`, `heapq`
//! order), its items in a [`MinHeap`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;

use super::methods::queue_methods;
use super::protocol::Core;
use super::store::Store;

/// Smallest-first storage: `BinaryHeap` is a max-heap, so items are kept `Reverse`d.
struct MinHeap<T>(BinaryHeap<Reverse<T>>);

impl<T: Ord + Send> Store<T> for MinHeap<T> {
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item))
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|r| r.0)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn drain_all(&mut self) -> Vec<T> {
        std::mem::take(&mut self.0)
            .into_iter()
            .map(|r| r.0)
            .collect()
    }
}

/// A priority queue for tasks (asyncio's `asyncio.PriorityQueue`): the smallest item
/// first (use `(priority, data)` tuples, or `std::cmp::Reverse` for largest first).
///
/// ```
/// let q = asyncio::PriorityQueue::new(0);
/// q.put_nowait((2, "low")).unwrap();
/// q.put_nowait((1, "high")).unwrap();
/// assert_eq!(q.get_nowait().unwrap(), (1, "high"));
/// ```
pub struct PriorityQueue<T: Ord + Send + 'static> {
    core: Core<T>,
}

impl<T: Ord + Send + 'static> PriorityQueue<T> {
    /// A priority queue holding at most `maxsize` items (0: unbounded).
    ///
    /// ```
    /// let q = asyncio::PriorityQueue::<u32>::new(0);
    /// assert!(q.empty());
    /// ```
    pub fn new(maxsize: usize) -> PriorityQueue<T> {
        PriorityQueue {
            core: Core::new(maxsize, Box::new(MinHeap(BinaryHeap::new()))),
        }
    }

    queue_methods!("PriorityQueue", "[1, 3, 2]", "[1, 2, 3]");
}

impl<T: Ord + Send + 'static> Default for PriorityQueue<T> {
    /// An unbounded queue.
    fn default() -> Self {
        PriorityQueue::new(0)
    }
}

impl<T: Ord + Send + 'static> fmt::Debug for PriorityQueue<T> {
    /// asyncio's `repr` shape: `<PriorityQueue maxsize=0 qsize=1>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt("PriorityQueue", f)
    }
}
