//! `crate::gather` (`src/compose/gather.rs` over a `WatchSet`: one completion waker —
//! a task hook — per child, an index pushed to a ready list, then the awaiter woken)
//! while its two children complete on two other threads.
//!
//! Invariants: the awaiting task always completes (no lost wake-up between a child's
//! completion hook and the gather's registration / ready-list drain) with every child's
//! value in argument order; every task completes exactly once; nothing leaks.
//!
//! A second model cancels the awaiting task (forwarded by the gather to the children
//! still running, or delivered at the gather's await if the task is being re-polled)
//! while one child completes: the awaiting task always ends, cancelled with the message;
//! the shutdown sweep then ends any child left running, and nothing leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, PendingThen, Sched, WakerSlot};

#[test]
fn gather_vs_children_completion() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slots = [WakerSlot::new(), WakerSlot::new()];
        let children: Vec<_> = (0..2u32)
            .map(|i| {
                sched.spawn(PendingThen {
                    pending_polls: 1,
                    slot: Some(slots[i as usize].clone()),
                    polls: Counter::new(),
                    value: Some(i + 1),
                    _drop: DropCount(Counter::new()),
                })
            })
            .collect();
        let parent = sched.spawn(crate::gather(children));
        // Both children pending, the parent registered its completion wakers.
        assert_eq!(sched.run_injector(), 3);
        assert!(!parent.done());

        let completers: Vec<_> = slots
            .iter()
            .map(|slot| {
                let waker = slot.take().unwrap();
                let s = sched.clone();
                thread::spawn(move || {
                    waker.wake();
                    s.run_injector();
                })
            })
            .collect();
        sched.run_injector();
        for c in completers {
            c.join().unwrap();
        }
        sched.run_injector();

        assert!(parent.done(), "lost wake-up: the gather never completed");
        let out = crate::loom_model::poll_once(&mut { parent });
        let std::task::Poll::Ready(out) = out else {
            panic!("done task not ready")
        };
        assert_eq!(out.unwrap(), vec![1, 2]);
        assert_eq!(sched.registry_len(), 0);
    });
}

#[test]
fn cancel_vs_gather() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let slots = [WakerSlot::new(), WakerSlot::new()];
        let children: Vec<_> = (0..2u32)
            .map(|i| {
                sched.spawn(PendingThen {
                    pending_polls: 1,
                    slot: Some(slots[i as usize].clone()),
                    polls: Counter::new(),
                    value: Some(i + 1),
                    _drop: DropCount(Counter::new()),
                })
            })
            .collect();
        let parent = sched.spawn(crate::gather(children));
        assert_eq!(sched.run_injector(), 3);
        // Only the first child is ever woken by its own waker.
        let waker = slots[0].take().unwrap();
        drop(slots[1].take());

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

        assert!(accepted);
        assert!(parent.done(), "the cancelled gather never completed");
        assert!(parent.cancelled());
        let out = crate::loom_model::poll_once(&mut { parent });
        let std::task::Poll::Ready(Err(e)) = out else {
            panic!("a cancelled task must be ready with an error")
        };
        assert_eq!(e.as_cancelled().unwrap().message(), Some("x"));
        sched.close();
        sched.finish_shutdown();
        assert_eq!(sched.registry_len(), 0);
    });
}
