//! `cancel()` of a task from another thread while the task runs a step in which it
//! re-awaits a pending `asyncio::Future` (after a spurious wake-up).
//!
//! A request made during a step is never taken by an await point: the `Future` registers
//! the task's waker and itself as the task's waiter and returns `Pending`, and the harness
//! gives the request asyncio's `__step` treatment when the step ends: offered to the
//! future, which is cancelled and wakes the task. A request landing before the step's
//! poll began, or after the future registered, finds the future as the task's waiter and
//! is forwarded to it by `cancel()` itself.
//!
//! Invariants, whatever the interleaving: no lost request (the task always completes);
//! the request reaches the future (cancelled with its message) and the task sees that
//! cancellation, propagates it and ends cancelled with it; `cancelling()` is 1; the
//! task's future is dropped once; nothing leaks.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, WakerSlot};
use crate::loom_model::{poll_once, Sched};
use crate::task::cancel::CancelledError;
use crate::task::error::TaskError;

/// `fut.await`, leaving the task's waker in `slot` at every poll (so that the model can
/// wake it for a second step).
struct AwaitFuture {
    fut: crate::Future<u32>,
    slot: WakerSlot,
    _drop: DropCount,
}

impl Future for AwaitFuture {
    type Output = Result<u32, CancelledError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.slot.put(cx.waker());
        Pin::new(&mut (&self.fut).into_future())
            .poll(cx)
            .map(|r| match r {
                Ok(v) => Ok(v),
                Err(TaskError::Cancelled(c)) => Err(c),
                Err(e) => panic!("unexpected exception {e}"),
            })
    }
}

#[test]
fn cancel_during_step_vs_future_waiter_registration() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let drops = Counter::new();
        let fut = crate::Future::<u32>::new_on(&sched.handle());
        let slot = WakerSlot::new();
        let task = sched.spawn(AwaitFuture {
            fut: fut.clone(),
            slot: slot.clone(),
            _drop: DropCount(drops.clone()),
        });
        assert_eq!(
            sched.run_injector(),
            1,
            "the first step pends on the future"
        );
        let waker = slot.take().expect("the task pends");

        let r = task.task_ref();
        let canceller = thread::spawn(move || r.cancel(Some("stop")));
        // The second step (a spurious wake-up), racing the cancel.
        waker.wake();
        sched.run_injector();
        assert!(
            canceller.join().unwrap(),
            "cancel() of a pending task is accepted"
        );
        // Whatever the request woke, or the future's cancellation.
        sched.run_injector();
        sched.run_injector();

        assert!(
            task.done(),
            "the request was lost: the task never completed"
        );
        assert!(task.cancelled());
        assert_eq!(task.cancelling(), 1);
        assert!(
            fut.cancelled(),
            "the request did not reach the future the task awaits"
        );
        let exc = fut.exception().unwrap().unwrap();
        assert_eq!(exc.as_cancelled().unwrap().message(), Some("stop"));
        let Poll::Ready(Err(e)) = poll_once(&mut { task }) else {
            panic!("a cancelled task reads as an error")
        };
        assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
        assert_eq!(drops.get(), 1);
        assert_eq!(sched.registry_len(), 0);
    });
}
