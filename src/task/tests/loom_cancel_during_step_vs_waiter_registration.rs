//! `cancel()` of an outer task that awaits an inner task, landing while the outer task
//! runs a step in which it re-registers the inner task as its waiter (a spurious wake-up,
//! or the re-poll after a wake during its previous step).
//!
//! The registration only counts for the poll that made it, so between the start of the
//! step (poll count bumped) and `Task::poll` registering again, `cancel()` finds no
//! waiter: it arms *must_cancel* on the outer task. Await points leave a request made
//! during the step alone; if nothing looked at it again in that step, the next step
//! would begin with it pending and deliver it where the outer task resumes instead of
//! forwarding it: the outer task ended cancelled, the inner one was never asked (and was
//! detached, still pending). This is how `wait_for(task, d)` timed out leaving `task` —
//! and its `sleep` timer — alive
//! (`tests/timeouts.rs::test_timeout_scopes_leave_no_timers_or_hooks`). The harness
//! offers it to the waiter registered in the step when the step ends.
//!
//! Invariant (asyncio's `__step`: a `_must_cancel` set while the step ran is offered to
//! the future the coroutine yielded): whatever the interleaving, the request reaches the
//! inner task; both end cancelled with its message; futures are dropped once.

use std::task::Poll;

use crate::loom::thread;
use crate::loom_model::{model, AwaitTask, Counter, DropCount, Forever, Sched, WakerSlot};

#[test]
fn cancel_during_step_vs_waiter_registration() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let inner_drops = Counter::new();
        let outer_drops = Counter::new();
        let inner = sched.spawn(Forever {
            slot: None,
            _drop: DropCount(inner_drops.clone()),
        });
        let inner_ref = inner.task_ref();
        let slot = WakerSlot::new();
        let outer = sched.spawn(AwaitTask {
            inner,
            slot: Some(slot.clone()),
            _drop: DropCount(outer_drops.clone()),
        });
        // First steps: the inner task pends (on something foreign), the outer one awaits
        // it (registered as its waiter).
        assert_eq!(sched.run_injector(), 2);
        let waker = slot.take().expect("the outer task pends");

        let r = outer.task_ref();
        let canceller = thread::spawn(move || r.cancel(Some("stop")));
        // The outer task's second step, racing the cancel.
        waker.wake();
        sched.run_injector();
        assert!(
            canceller.join().unwrap(),
            "cancel() of a pending task is accepted"
        );
        // The inner task (woken for the forwarded request) is cancelled by force; the
        // outer one sees it and ends.
        sched.run_injector();

        assert_eq!(
            inner_ref.cancelling(),
            1,
            "the outer task's cancellation never reached the task it awaits"
        );
        assert!(inner_ref.done() && inner_ref.cancelled());
        assert!(outer.done(), "outer never completed");
        assert!(outer.cancelled());
        let out = crate::loom_model::poll_once(&mut { outer });
        let Poll::Ready(Err(e)) = out else {
            panic!("a cancelled task reads as an error")
        };
        assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
        assert_eq!(inner_drops.get(), 1);
        assert_eq!(outer_drops.get(), 1);
        drop(inner_ref);
        assert_eq!(sched.registry_len(), 0);
    });
}
