//! `cancel()` of an outer task whose awaited inner task has just completed (the outer
//! task is queued to resume), racing the outer task's step.
//!
//! asyncio's `__step` rule: a request pending when the outer task's step begins is thrown
//! into it where it resumes — `await inner` raises `CancelledError` instead of giving the
//! value, which stays in the inner task's handle. A request landing while the step runs is
//! ordered after it (the value is given, the outer task ends normally); one landing after
//! it finds the outer task done (`cancel()` returns `false`).
//!
//! Invariants: the outer body catches every error, so the outer task never ends
//! cancelled — it did, before the rule, when the request was pending at the start of the
//! step: the await took the value, the request stayed armed and ended the task at
//! `Ready`, dropping the value with the output. A body that saw the cancellation saw
//! `"stop"`, and the value is still in the handle; the value is dropped exactly once.

use std::task::Poll;

use crate::loom::thread;
use crate::loom_model::{model, poll_once, Counter, DropCount, PendingThen, Sched, WakerSlot};
use crate::task::output::TaskOutput;
use crate::task::Task;

/// The inner task's output: counts its drops.
struct Value(#[allow(dead_code)] DropCount);

/// What the outer task's `await inner` gave.
enum Resumed {
    Value(Value),
    /// The cancellation (its message), the handle still holding the output.
    Cancelled(Option<String>, Task<Value>),
}

impl TaskOutput for Value {}
impl TaskOutput for Resumed {}

#[test]
fn cancel_vs_resume_after_awaited_task_completed() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slot = WakerSlot::new();
        let value_drops = Counter::new();
        let mut inner = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: Counter::new(),
            value: Some(Value(DropCount(value_drops.clone()))),
            _drop: DropCount(Counter::new()),
        });
        let inner_ref = inner.task_ref();
        let outer = sched.spawn(async move {
            match (&mut inner).await {
                Ok(v) => Resumed::Value(v),
                Err(e) => {
                    let msg = e.as_cancelled().and_then(|c| c.message()).map(String::from);
                    // Caught: the token is dropped here.
                    drop(e);
                    Resumed::Cancelled(msg, inner)
                }
            }
        });
        // First steps: the inner task pends, the outer one awaits it.
        assert_eq!(sched.run_injector(), 2);
        // The inner task completes: the outer one is queued to resume.
        slot.take().expect("the inner task pends").wake();
        sched
            .pop_injector()
            .expect("the inner task is queued")
            .run();
        assert!(inner_ref.done());
        assert_eq!(sched.injector_len(), 1, "the outer task is queued");

        let r = outer.task_ref();
        let canceller = thread::spawn(move || r.cancel(Some("stop")));
        sched.run_injector();
        let accepted = canceller.join().unwrap();
        // A request that found no waiter and no step to land in wakes the task: let it
        // run (it never does here: every interleaving above completed the outer task).
        sched.run_injector();

        assert!(outer.done(), "outer never completed");
        assert!(
            !outer.cancelled(),
            "the body caught the error, yet the outer task ended cancelled"
        );
        let Poll::Ready(Ok(resumed)) = poll_once(&mut { outer }) else {
            panic!("a done task that returned reads as its value")
        };
        match resumed {
            Resumed::Value(v) => drop(v),
            Resumed::Cancelled(msg, mut handle) => {
                assert!(accepted, "cancel() returned false, yet it was delivered");
                assert_eq!(msg.as_deref(), Some("stop"));
                assert_eq!(value_drops.get(), 0, "the value was lost");
                let Poll::Ready(Ok(v)) = poll_once(&mut handle) else {
                    panic!("the value did not stay in the awaited task's handle")
                };
                drop(v);
            }
        }
        assert_eq!(value_drops.get(), 1);
        drop(inner_ref);
        assert_eq!(sched.registry_len(), 0);
    });
}
