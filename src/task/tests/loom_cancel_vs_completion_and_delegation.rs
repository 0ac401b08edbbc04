//! asyncio `Task.cancel(msg)` (`TaskRef::cancel`: count the request, forward it to the
//! awaited task, else set *must_cancel* and wake the task) racing the task's first poll,
//! its completion, and — for an outer task awaiting an inner one — the inner task's
//! completion (cancel delegation).
//!
//! Invariants: every task completes exactly once and the model never hangs (a cancel
//! that reaches a task pending on a foreign future ends it by force); `cancel()` returns
//! `false` only for a task that had already completed, which then returned its value; a
//! cancelled task carries the message; an outer task whose inner task ended cancelled
//! ends cancelled too; futures are dropped exactly once; nothing leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, Forever, PendingThen, Sched, WakerSlot};

/// Cancel from another thread vs the task's first poll; the task awaits something that
/// never completes (and knows nothing of the runtime).
#[test]
fn cancel_vs_first_poll() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let drops = Counter::new();
        let task = sched.spawn(Forever {
            slot: None,
            _drop: DropCount(drops.clone()),
        });
        let r = task.task_ref();
        let canceller = thread::spawn(move || r.cancel(Some("stop")));
        sched.run_injector();
        let accepted = canceller.join().unwrap();
        sched.run_injector();

        assert!(accepted, "cancel() on a pending task returns true");
        assert!(
            task.done(),
            "the cancel was lost: the task is still pending"
        );
        assert!(task.cancelled());
        let err = crate::loom_model::poll_once(&mut { task }).map(|r| r.unwrap_err());
        match err {
            std::task::Poll::Ready(e) => {
                assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"))
            }
            std::task::Poll::Pending => panic!("done task not ready"),
        }
        assert_eq!(drops.get(), 1);
        assert_eq!(sched.registry_len(), 0);
    });
}

/// Cancel from one thread vs the task being woken and completing on another.
#[test]
fn cancel_vs_completion() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slot = WakerSlot::new();
        let future_drops = Counter::new();
        let task = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: Counter::new(),
            value: Some(5u32),
            _drop: DropCount(future_drops.clone()),
        });
        assert_eq!(sched.run_injector(), 1);
        let waker = slot.take().unwrap();

        let r = task.task_ref();
        let canceller = thread::spawn(move || r.cancel(Some("stop")));
        let s = sched.clone();
        let runner = thread::spawn(move || {
            waker.wake();
            s.run_injector();
        });
        let accepted = canceller.join().unwrap();
        runner.join().unwrap();
        sched.run_injector();

        assert!(task.done(), "never completed");
        let out = crate::loom_model::poll_once(&mut { task });
        let std::task::Poll::Ready(out) = out else {
            panic!("done task not ready")
        };
        match out {
            Ok(v) => assert_eq!(v, 5),
            Err(e) => {
                assert!(
                    accepted,
                    "cancel() returned false yet the task ended cancelled"
                );
                assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
            }
        }
        assert_eq!(future_drops.get(), 1);
        assert_eq!(sched.registry_len(), 0);
    });
}

/// An outer task awaits an inner task; the outer one is cancelled (the request is
/// forwarded to the inner task) while the inner one is woken and completes.
#[test]
fn cancel_delegation_vs_inner_completion() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slot = WakerSlot::new();
        let inner = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: Counter::new(),
            value: Some(5u32),
            _drop: DropCount(Counter::new()),
        });
        let inner_ref = inner.task_ref();
        // An outer task whose body awaits the inner one.
        #[allow(clippy::redundant_async_block)]
        let outer = sched.spawn(async move { inner.await });
        // Both polled once: the inner task is pending, the outer one awaits it.
        assert_eq!(sched.run_injector(), 2);
        let waker = slot.take().unwrap();

        let r = outer.task_ref();
        let canceller = thread::spawn(move || r.cancel(Some("stop")));
        let s = sched.clone();
        let runner = thread::spawn(move || {
            waker.wake();
            s.run_injector();
        });
        canceller.join().unwrap();
        runner.join().unwrap();
        sched.run_injector();

        assert!(inner_ref.done(), "inner never completed");
        assert!(outer.done(), "outer never completed");
        if inner_ref.cancelled() {
            assert!(outer.cancelled(), "inner ended cancelled, outer did not");
        }
        let out = crate::loom_model::poll_once(&mut { outer });
        let std::task::Poll::Ready(out) = out else {
            panic!("done task not ready")
        };
        match out {
            Ok(v) => assert_eq!(v, 5),
            Err(e) => assert_eq!(e.as_cancelled().unwrap().message(), Some("stop")),
        }
        drop(inner_ref);
        assert_eq!(sched.registry_len(), 0);
    });
}
