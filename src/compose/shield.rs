//! `shield`: await a task without letting a cancellation of the awaiter reach it
//! (asyncio's `asyncio.shield`).
//!
//! The shield is a runtime-aware await point that does *not* register the task as the
//! awaiter's waiter, so `cancel()` on the awaiter is not forwarded: it is delivered to
//! the awaiter as `Err(CancelledError)` at the shield, while the inner task goes on
//! (dropping the shield detaches it). If the inner task itself ends cancelled, the
//! awaiter sees that cancellation, tracked, as when awaiting the task directly.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::cancel::{deliver_pending_cancel, CancelledError};
use crate::task::current;
use crate::task::error::TaskError;
use crate::task::{Task, TaskRef};

/// Protects `task` from the cancellation of whoever awaits the shield.
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let inner = asyncio::create_task(async {
///         asyncio::sleep(Duration::from_millis(20)).await?;
///         Ok::<_, asyncio::CancelledError>("saved")
///     });
///     let inner_ref = inner.task_ref();
///     let outer = asyncio::create_task(async move { asyncio::shield(inner).await });
///     asyncio::sleep(Duration::from_millis(1)).await.unwrap();
///     outer.cancel(None);
///     assert!(outer.await.unwrap_err().is_cancelled()); // the awaiter is cancelled...
///     while !inner_ref.done() {
///         asyncio::sleep(Duration::from_millis(5)).await.unwrap();
///     }
///     assert!(!inner_ref.cancelled()); // ...the shielded task is not
/// });
/// ```
pub fn shield<T>(task: Task<T>) -> Shield<T> {
    Shield { task }
}

/// Future returned by [`shield`].
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Shield<T> {
    /// The shielded task.
    pub fn task(&self) -> &TaskRef {
        &self.task
    }

    /// Gives the shielded task back.
    pub fn into_inner(self) -> Task<T> {
        self.task
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    /// A done task gives its outcome at once (asyncio's `shield` returns a done inner
    /// as is); otherwise a pending cancellation of the awaiter is delivered here.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.task.poll_join(cx) {
            Poll::Pending => match deliver_pending_cancel() {
                Some(err) => Poll::Ready(Err(TaskError::Cancelled(err))),
                None => Poll::Pending,
            },
            Poll::Ready(Err(TaskError::Cancelled(c))) => {
                let c = match current::current_raw() {
                    Some(me) => {
                        CancelledError::tracked(c.shared_message(), TaskRef::clone_from_raw(me))
                    }
                    None => c,
                };
                Poll::Ready(Err(TaskError::Cancelled(c)))
            }
            Poll::Ready(r) => Poll::Ready(r),
        }
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Shield").field(&*self.task).finish()
    }
}
