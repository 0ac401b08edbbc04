//! Cancel forwarding along a chain of awaiting tasks (`cancel/forward.rs`: the explicit
//! depth-first walk) racing the completion at the end of the chain: real tasks A awaits
//! B awaits C (each `await`s the real `Task<T>` of the next, which registers it as the
//! awaiter's waiter), `A.cancel(Some("m"))` on one thread while C is woken and returns
//! a value on another (which also runs B and A as they wake).
//!
//! The walk counts the request on A, forwards it to B, then to C. C, which awaits
//! something foreign, gets *must_cancel* and is woken; if C was already done, it refuses
//! and B arms *must_cancel* itself (asyncio: `B.cancel()` after `C.cancel()` returned
//! `False`), and so on up the chain. A request that reaches a task while its step runs is
//! ordered after that step (`cancel/step.rs`), so C may still return its value although
//! the request reached it.
//!
//! Invariants: every task completes (nothing hangs: after the race the main thread runs
//! what is queued, and every task must be done); the outcomes are consistent with
//! asyncio: a task whose awaited task ended cancelled ends cancelled, so the cancelled
//! ones are a suffix of the chain seen from C: (A, B, C) is one of returned/returned/
//! returned, cancelled/returned/returned, cancelled/cancelled/returned or all cancelled;
//! `cancel()` returned `false` only if A was already done, which then returned; every
//! cancelled task carries "m"; a returned A carries C's value; C's future is dropped
//! exactly once; nothing leaks (the registry is empty, no cell is left).

use std::task::Poll;

use crate::loom::thread;
use crate::loom_model::{model, poll_once, Counter, DropCount, PendingThen, Sched, WakerSlot};
use crate::task::error::TaskError;
use crate::TaskRef;

/// How a task ended, read through its `TaskRef` (`exception()`).
fn cancelled_with_m(task: &TaskRef) -> bool {
    assert!(task.done(), "{task:?} never completed");
    match task.exception() {
        Ok(None) => false,
        Ok(Some(TaskError::Cancelled(c))) => {
            assert_eq!(
                c.message(),
                Some("m"),
                "{task:?} cancelled with another message"
            );
            true
        }
        other => panic!("{task:?} ended with {other:?}"),
    }
}

#[test]
fn cancel_chain_vs_completion() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slot = WakerSlot::new();
        let c_drops = Counter::new();
        let c = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: Counter::new(),
            value: Some(7u32),
            _drop: DropCount(c_drops.clone()),
        });
        let c_ref = c.task_ref();
        // A cancelled C makes `c.await` return a `CancelledError` tracked by B: returned
        // as B's output, it ends B cancelled (asyncio: the error propagates).
        #[allow(clippy::redundant_async_block)]
        let b = sched.spawn(async move { c.await });
        let b_ref = b.task_ref();
        #[allow(clippy::redundant_async_block)]
        let mut a = sched.spawn(async move { b.await });
        // C suspends (its waker in `slot`), B awaits C, A awaits B.
        assert_eq!(sched.run_injector(), 3);
        let waker = slot.take().unwrap();

        let r = a.task_ref();
        let canceller = thread::spawn(move || r.cancel(Some("m")));
        let s = sched.clone();
        let completer = thread::spawn(move || {
            waker.wake();
            s.run_injector();
        });
        let accepted = canceller.join().unwrap();
        completer.join().unwrap();
        sched.run_injector();

        let outcome = (
            cancelled_with_m(&a),
            cancelled_with_m(&b_ref),
            cancelled_with_m(&c_ref),
        );
        let allowed = [
            (false, false, false),
            (true, false, false),
            (true, true, false),
            (true, true, true),
        ];
        assert!(
            allowed.contains(&outcome),
            "(A, B, C) cancelled = {outcome:?}: an awaiter outlived a cancelled task"
        );
        if !accepted {
            assert_eq!(
                outcome,
                (false, false, false),
                "cancel() refused a pending A"
            );
        }
        match poll_once(&mut a) {
            Poll::Ready(Ok(v)) => assert_eq!(v, 7),
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!("A's join handle read {other:?}"),
        }
        assert_eq!(c_drops.get(), 1);
        assert_eq!(sched.registry_len(), 0);
        drop((a, b_ref, c_ref));
        assert_eq!(sched.other_refs(), 0, "a cell was never freed");
    });
}
