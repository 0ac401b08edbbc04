//! The request side: `cancel(msg)`, `cancelling()`, `uncancel()`, `abort()` on a task.

use crate::loom::StdArc as Arc;

use crate::task::cancel::forward::{self, Path, Request};
use crate::task::cancel::state::{CancelState, PendingScope};
use crate::task::cancel::step;
use crate::task::cancel::waiter;
use crate::task::core::Header;
use crate::task::state::InlineCancel;
use crate::task::TaskRef;
use crate::trace::CancelEvent;

impl TaskRef {
    /// Requests cancellation (asyncio's `Task.cancel(msg)`), returning `false` only if the
    /// task is already done.
    ///
    /// The request is counted ([`cancelling`](Self::cancelling)). If the task is suspended
    /// awaiting another task, the request is forwarded to that task (so cancelling an
    /// outer task cancels what it awaits, with the same message), and so on down the
    /// chain, however long, without recursion; a cycle of tasks awaiting each other gets
    /// one request each. Otherwise it is
    /// delivered at the task's next runtime-aware await point as
    /// `Err(CancelledError)`; a task that is woken for it and suspends on something that
    /// knows nothing of this runtime is cancelled by force (its future is dropped).
    /// A task cancelled before its first poll never runs.
    ///
    /// ```
    /// use std::time::Duration;
    /// asyncio::run(async {
    ///     let t = asyncio::create_task(asyncio::sleep(Duration::from_secs(3600)));
    ///     assert!(t.cancel(Some("shutting down")));
    ///     let err = t.await.unwrap_err();
    ///     assert_eq!(err.as_cancelled().unwrap().message(), Some("shutting down"));
    /// });
    /// ```
    pub fn cancel(&self, msg: Option<&str>) -> bool {
        let msg: Option<Arc<str>> = msg.map(Arc::from);
        match self.request_cancel(msg.clone(), &Path::new()) {
            Request::Refused => false,
            Request::Armed => true,
            Request::Forward(target) => {
                forward::forward_from(self, target, msg);
                true
            }
        }
    }

    /// Step 1 of `cancel()`, under the task's lock: refuses if the task is done (or was
    /// already asked on this walk's `path`: a cycle), else counts the request and either
    /// returns the waiter to forward it to, or arms *must_cancel* and wakes the task.
    pub(crate) fn request_cancel(&self, msg: Option<Arc<str>>, path: &Path) -> Request {
        let header = self.header();
        // The common first request, on a task that never used its asyncio fields: counted
        // and armed in the state word, without allocating them (`State::try_inline_cancel`
        // says when that is equivalent to taking the lock).
        if msg.is_none() && !header.asyncio.is_allocated() && !path.contains(self) {
            match header.state.try_inline_cancel() {
                InlineCancel::Armed => {
                    CancelEvent::new(None, header.cancelling()).emit(self.raw().trace(), header.id);
                    self.after_armed();
                    return Request::Armed;
                }
                InlineCancel::Complete => return Request::Refused,
                InlineCancel::UseFields => {}
            }
        }
        let mut fields = header.fields();
        if header.state.load().is_complete() || path.contains(self) {
            return Request::Refused;
        }
        fields.cancel.requests = fields.cancel.requests.saturating_add(1);
        // Emitted after the lock: a subscriber may call into the task.
        let event = CancelEvent::new(msg.as_ref(), fields.cancel.requests);
        if let Some(target) = waiter::current_target(header, &fields.cancel.waiter) {
            drop(fields);
            event.emit(self.raw().trace(), header.id);
            return Request::Forward(target);
        }
        // Nothing to forward to (the common case): arm it in the same critical section.
        arm_must_cancel(header, &mut fields.cancel, msg);
        drop(fields);
        event.emit(self.raw().trace(), header.id);
        self.after_armed();
        Request::Armed
    }

    /// The waiter a counted request was forwarded to refused it: the task receives it
    /// itself (unless it completed meanwhile; asyncio still answered `True`, and so did
    /// `cancel()`).
    pub(crate) fn arm_after_refusal(&self, msg: Option<Arc<str>>) {
        let header = self.header();
        {
            let mut fields = header.fields();
            if header.state.load().is_complete() {
                return;
            }
            arm_must_cancel(header, &mut fields.cancel, msg);
        }
        self.after_armed();
    }

    /// After *must_cancel* is set: make sure the task runs to receive it (or to be
    /// cancelled by force). A task cancelling itself schedules nothing (asyncio's
    /// `cancel()` only records the request): the end of its step handles it.
    fn after_armed(&self) {
        if step::note_cancel_of(self.raw()) {
            return;
        }
        self.raw().wake_by_ref();
    }

    /// Number of pending cancellation requests (asyncio's `cancelling()`): incremented by
    /// [`cancel`](Self::cancel), decremented by [`uncancel`](Self::uncancel).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let t = asyncio::create_task(asyncio::sleep(std::time::Duration::from_secs(60)));
    ///     t.cancel(None);
    ///     t.cancel(None);
    ///     assert_eq!(t.cancelling(), 2);
    /// });
    /// ```
    pub fn cancelling(&self) -> u32 {
        self.header().cancelling()
    }

    /// Decrements [`cancelling`](Self::cancelling) and returns the new count; reaching 0
    /// withdraws a request not yet delivered (Python 3.13).
    ///
    /// ```
    /// asyncio::run(async {
    ///     let t = asyncio::create_task(async { 1 });
    ///     t.cancel(None);
    ///     assert_eq!(t.uncancel(), 0); // withdrawn before it was delivered
    ///     assert_eq!(t.await.unwrap(), 1);
    /// });
    /// ```
    pub fn uncancel(&self) -> u32 {
        let header = self.header();
        let mut fields = header.fields();
        let cancel = &mut fields.cancel;
        let mut requests = cancel.requests;
        if requests > 0 {
            requests -= 1;
            cancel.requests = requests;
            if requests == 0 && !header.state.clear_must_cancel_unless_inline() {
                // A request counted in the state word (`try_inline_cancel`, made without
                // this lock) came after the count was read: it stays armed and counts
                // from now on; this call withdrew the one before it.
                cancel.requests = u32::from(header.state.take_inline_request());
            }
        }
        drop(fields);
        crate::trace::task_uncancel(self.raw().trace(), header.id, requests);
        requests
    }

    /// Force-cancels now, tokio style: no delivery, the future is dropped as soon as no
    /// thread is polling it, and the task ends cancelled.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let t = asyncio::create_task(std::future::pending::<()>());
    ///     t.abort();
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.raw().abort();
    }
}

/// Records the message and sets *must_cancel* (the caller holds the task's `asyncio`
/// lock, whose cancel fields it passes).
fn arm_must_cancel(header: &Header, cancel: &mut CancelState, msg: Option<Arc<str>>) {
    cancel.msg = msg;
    cancel.pending_scope = PendingScope::UntilCompletion;
    header.state.set_must_cancel();
}
