//! `cancel()` without a message, on a task that has never used its asyncio fields, is
//! counted and armed in the state word alone (INLINE_REQUEST, `State::try_inline_cancel`),
//! without their lock. Here it races the task's first step, in which the task awaits
//! another task: that registration allocates the fields and sets HAS_HOOKS under their
//! lock, which the inline path must be ordered against.
//!
//! Invariants, whatever the interleaving (asyncio's): the request is accepted and counted
//! once (`cancelling() == 1`); the outer task ends cancelled, with no message; either the
//! request landed before the first step (the future is dropped unpolled and the inner
//! task is never asked) or it reached the inner task through the waiter (which ends
//! cancelled); never a request lost in between (the outer task pending forever, or done
//! while the inner one was asked and is still pending). Futures are dropped once.

use std::task::Poll;

use crate::loom::thread;
use crate::loom_model::{model, AwaitTask, Counter, DropCount, Forever, Sched};

#[test]
fn inline_cancel_vs_first_waiter_registration() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let inner_drops = Counter::new();
        let outer_drops = Counter::new();
        let inner = sched.spawn(Forever {
            slot: None,
            _drop: DropCount(inner_drops.clone()),
        });
        let inner_ref = inner.task_ref();
        assert_eq!(sched.run_injector(), 1, "the inner task pends");
        let outer = sched.spawn(AwaitTask {
            inner,
            slot: None,
            _drop: DropCount(outer_drops.clone()),
        });

        let r = outer.task_ref();
        let canceller = thread::spawn(move || r.cancel(None));
        // The outer task's first step, racing the cancel.
        sched.run_injector();
        assert!(
            canceller.join().unwrap(),
            "cancel() of a pending task is accepted"
        );
        // Whatever the request woke (the outer task, or the inner one it was forwarded
        // to, then the outer one again).
        while sched.run_injector() > 0 {}

        assert!(
            outer.done(),
            "the request was lost: the outer task never ended"
        );
        assert!(outer.cancelled());
        assert_eq!(outer.task_ref().cancelling(), 1, "counted once");
        let out = crate::loom_model::poll_once(&mut { outer });
        let Poll::Ready(Err(e)) = out else {
            panic!("a cancelled task reads as an error")
        };
        assert_eq!(e.as_cancelled().unwrap().message(), None);
        assert_eq!(outer_drops.get(), 1);
        if inner_ref.done() {
            // Forwarded through the waiter registered by the first step.
            assert!(inner_ref.cancelled());
            assert_eq!(inner_ref.cancelling(), 1);
        } else {
            // Armed before the first step: the outer future was dropped unpolled and
            // never asked the inner task.
            assert_eq!(inner_ref.cancelling(), 0);
            assert!(inner_ref.cancel(None));
            while sched.run_injector() > 0 {}
            assert!(inner_ref.cancelled());
        }
        assert_eq!(inner_drops.get(), 1);
        drop(inner_ref);
        assert_eq!(sched.registry_len(), 0);
    });
}
