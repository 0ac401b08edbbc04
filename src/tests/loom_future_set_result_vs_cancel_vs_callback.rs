//! `crate::Future`: `set_result` on one thread, `cancel` on another and
//! `add_done_callback` on a third, while a task awaits the future (it registered its
//! waker and itself as the task's cancel target in its first poll).
//!
//! Invariants: exactly one of `set_result` / `cancel` wins (the other gets
//! `InvalidStateError` / `false`); the done callback runs exactly once, after completion,
//! and sees the winner's outcome; the awaiting task is woken (no lost wake-up: it always
//! completes) with that same outcome (a cancelled future cancels the task that awaits
//! it); nothing leaks.

use std::future::IntoFuture;

use crate::loom::thread;
use crate::loom_model::{model, Counter, Sched};

#[test]
fn set_result_vs_cancel_vs_add_done_callback() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let fut = crate::Future::<u32>::new_on(&sched.handle());
        let f = fut.clone();
        // A task awaiting the future (the future itself is a valid task body).
        let waiter = sched.spawn(f.into_future());
        assert_eq!(sched.run_injector(), 1);
        assert!(!waiter.done());

        let f = fut.clone();
        let setter = thread::spawn(move || f.set_result(7).is_ok());
        let f = fut.clone();
        let canceller = thread::spawn(move || f.cancel(Some("c")));

        let ran = Counter::new();
        let saw_cancelled = Counter::new();
        let (r, c) = (ran.clone(), saw_cancelled.clone());
        fut.add_done_callback(move |f| {
            assert!(f.done(), "done callback before completion");
            if f.cancelled() {
                c.inc();
            }
            r.inc();
        });

        let set = setter.join().unwrap();
        let cancelled = canceller.join().unwrap();
        assert!(
            set != cancelled,
            "set_result ok: {set}, cancel ok: {cancelled}"
        );
        sched.run_injector();

        assert_eq!(ran.get(), 1, "done callback ran {ran:?} times");
        assert_eq!(saw_cancelled.get(), usize::from(cancelled));
        assert_eq!(fut.cancelled(), cancelled);
        assert!(
            waiter.done(),
            "lost wake-up: the awaiting task never completed"
        );
        let out = crate::loom_model::poll_once(&mut { waiter });
        let std::task::Poll::Ready(out) = out else {
            panic!("done task not ready")
        };
        match out {
            Ok(v) => {
                assert!(set);
                assert_eq!(v, 7);
            }
            // The awaiter got a `CancelledError` tracked by itself and returned it: the
            // task ends cancelled with the future's message (asyncio's propagation).
            Err(e) => {
                assert!(cancelled);
                assert_eq!(e.as_cancelled().unwrap().message(), Some("c"));
            }
        }
    });
}
