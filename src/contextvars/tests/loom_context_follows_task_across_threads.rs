//! A task sets a variable in its first step (on one thread), is woken by a second thread
//! that sets the same variable in its own context, and its second step runs on whichever
//! thread drains the queue — a third thread racing the creator.
//!
//! Invariants: the first step sees the value copied at creation, not the creator's later
//! one; the second step sees the task's own write, wherever it runs; no thread's own
//! value is changed by a step it ran; the task completes exactly once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::contextvars::ContextVar;
use crate::loom::thread;
use crate::loom_model::{model, Counter, Sched, WakerSlot};

static V: ContextVar<u32> = ContextVar::new("v");

struct TwoSteps {
    slot: WakerSlot,
    steps: Counter,
}

impl Future for TwoSteps {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.steps.inc() == 1 {
            assert_eq!(
                V.get(),
                Some(1),
                "the first step runs in the copy taken at creation"
            );
            V.set(10);
            self.slot.put(cx.waker());
            Poll::Pending
        } else {
            assert_eq!(
                V.get(),
                Some(10),
                "the second step sees the task's own write"
            );
            Poll::Ready(())
        }
    }
}

#[test]
fn context_follows_task_across_threads() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        V.set(1);
        let slot = WakerSlot::new();
        let steps = Counter::new();
        let task = sched.spawn(TwoSteps {
            slot: slot.clone(),
            steps: steps.clone(),
        });
        V.set(2);
        assert_eq!(sched.run_injector(), 1);
        assert_eq!(
            V.get(),
            Some(2),
            "the creator's value is back after the step"
        );

        let waker = slot.take().unwrap();
        let waking = thread::spawn(move || {
            V.set(20);
            waker.wake();
            assert_eq!(V.get(), Some(20));
        });
        let s = sched.clone();
        let runner = thread::spawn(move || {
            V.set(30);
            s.run_injector();
            assert_eq!(V.get(), Some(30), "a step leaves its runner's value alone");
        });
        waking.join().unwrap();
        runner.join().unwrap();
        sched.run_injector();
        assert_eq!(V.get(), Some(2));
        assert!(task.done());
        assert_eq!(steps.get(), 2);
    });
}
