//! `crate::shield` (`src/compose/shield.rs`: an outer cell set by a `Notify::Scheduled`
//! completion hook on the inner task, cancelled by a cancel forwarded to it as the
//! awaiter's waiter) while the inner task completes on one thread and the awaiting task
//! is cancelled on another.
//!
//! Invariants: the awaiting task always completes (no lost wake-up between the hook,
//! the cancel and the shield's waker), with the inner's value or cancelled with the
//! message; the inner task is never cancelled (it is shielded) and returns its value;
//! nothing stays registered on it; nothing leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, PendingThen, Sched, WakerSlot};
use crate::test_util::TaskRefTestExt;

#[test]
fn shield_vs_inner_completion_and_cancel() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slot = WakerSlot::new();
        let inner = sched.spawn(PendingThen {
            pending_polls: 1,
            slot: Some(slot.clone()),
            polls: Counter::new(),
            value: Some(7u32),
            _drop: DropCount(Counter::new()),
        });
        let inner_ref = inner.task_ref();
        let parent = sched.spawn(crate::shield(inner));
        // The inner task pending, the parent suspended on the shield.
        assert_eq!(sched.run_injector(), 2);
        assert!(!parent.done());

        let waker = slot.take().unwrap();
        let s = sched.clone();
        let completer = thread::spawn(move || {
            waker.wake();
            s.run_injector();
        });
        let r = parent.task_ref();
        let canceller = thread::spawn(move || r.cancel(Some("x")));
        sched.run_injector();
        completer.join().unwrap();
        let accepted = canceller.join().unwrap();
        sched.run_injector();

        assert!(parent.done(), "lost wake-up: the shield never completed");
        assert!(
            inner_ref.done() && !inner_ref.cancelled(),
            "the inner is shielded"
        );
        assert_eq!(inner_ref.hooks(), 0);
        let cancelled = parent.cancelled();
        let out = crate::loom_model::poll_once(&mut { parent });
        let std::task::Poll::Ready(out) = out else {
            panic!("done task not ready")
        };
        match out {
            Ok(v) => assert_eq!(v, 7),
            Err(e) => {
                assert!(accepted);
                assert!(cancelled);
                assert_eq!(e.as_cancelled().unwrap().message(), Some("x"));
            }
        }
        sched.close();
        sched.finish_shutdown();
        assert_eq!(sched.registry_len(), 0);
    });
}
