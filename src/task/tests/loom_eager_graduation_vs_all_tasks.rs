//! Eager graduation: on a worker, an eager task's first step runs inline inside
//! `create_task` with the task in the worker's eager stack; it suspends, so it graduates
//! (scheduled-registry insert, then pop from the eager stack) — while another thread lists
//! `all_tasks()` (eager stacks first, then the scheduled registry).
//!
//! The task signals from inside its first step, and the lister starts only after that
//! signal, so the task is alive (and not done) for the whole `all_tasks()` call.
//!
//! Invariants (docs/design.md §3.3): the task is listed exactly once — never missed between the
//! two registries, never twice; nothing leaks (the shutdown sweep cancels it).
//!
//! A second model races the graduation against the runtime's shutdown (`close` +
//! `finish_shutdown` on another thread, as when `shutdown_timeout` gave up waiting for a
//! worker busy in a poll; the worker then leaves its loop and drains its own queues, as
//! `worker_main` does): a task that graduates before the sweep is swept, one that would
//! graduate after it is refused by the closed registry and ends cancelled inside its
//! eager step. Either way it ends cancelled, its future dropped exactly once, and nothing
//! leaks.

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, Sched};

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Signals `started` at its first poll, then stays pending.
struct SignalThenPending {
    started: Arc<AtomicBool>,
    _drop: DropCount,
}

impl Future for SignalThenPending {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        self.started.store(true, Ordering::Release);
        Poll::Pending
    }
}

#[test]
fn graduation_vs_all_tasks() {
    model(|| {
        let (sched, mut parts) = Sched::new(1);
        let started = Arc::new(AtomicBool::new(false));
        let drops = Counter::new();

        let s = sched.clone();
        let st = started.clone();
        let d = drops.clone();
        let worker = thread::spawn(move || {
            let w = parts.pop().unwrap().enter(&s);
            let task = s.spawn_eager(SignalThenPending {
                started: st,
                _drop: DropCount(d),
            });
            assert!(!task.done());
            drop(w);
            task
        });

        while !started.load(Ordering::Acquire) {
            thread::yield_now();
        }
        let listed = sched.handle().all_tasks();
        let task = worker.join().unwrap();

        let n = listed.iter().filter(|t| t.id() == task.id()).count();
        assert_eq!(n, 1, "the graduating task was listed {n} times");
        assert_eq!(listed.len(), 1);
        drop(listed);
        assert_eq!(sched.registry_len(), 1, "the suspended task graduated");

        sched.close();
        sched.finish_shutdown();
        assert!(task.cancelled());
        assert_eq!(drops.get(), 1);
    });
}

#[test]
fn graduation_vs_shutdown() {
    model(|| {
        let (sched, mut parts) = Sched::new(1);
        let drops = Counter::new();

        let s = sched.clone();
        let d = drops.clone();
        let worker = thread::spawn(move || {
            let w = parts.pop().unwrap().enter(&s);
            // As if inside a poll on this worker, which then goes back to its loop,
            // leaves it when the runtime closes, and drains its own queues.
            let task = s.spawn_eager(SignalThenPending {
                started: Arc::new(AtomicBool::new(false)),
                _drop: DropCount(d),
            });
            w.run();
            w.drain_on_exit();
            task
        });
        sched.close();
        sched.finish_shutdown();
        let task = worker.join().unwrap();
        // Eager start is refused once the runtime is closed: then the task was queued
        // (and refused by the registry, or swept).
        assert!(task.cancelled(), "the task survived the shutdown: {task:?}");
        assert_eq!(drops.get(), 1, "the future was dropped {drops:?} times");
        assert_eq!(sched.registry_len(), 0);
        assert_eq!(sched.injector_len(), 0);
    });
}
