//! The task state word, driven through the real cell and harness: a force-cancel
//! (`TaskRef::abort` → `transition_to_notified_and_cancel`) or the shutdown sweep's
//! `RawTask::shutdown` (`transition_to_shutdown`) races the task being polled on another
//! thread, with a wake-up in the mix.
//!
//! The cell is made by hand (`HandMade`: `RawTask::new` with a queued `Notified`, the
//! aborting `TaskRef` / the sweep's ref, maybe a waker, and the `Task<T>` the main thread
//! reads the outcome with; not in the registry). The future never completes by itself, so
//! the task ends only through the cancel: a cancel request that is lost leaves it pending
//! ("never completed"). The stage is a loom `UnsafeCell` touched only by the RUNNING
//! holder.
//!
//! Invariants: the task completes exactly once, as cancelled, and its join handle reads
//! that; the future is dropped exactly once and never touched concurrently; the cell is
//! freed exactly once (nothing references the scheduler afterwards; loom's leak check).

use std::task::{Poll, Waker};

use crate::loom::thread;
use crate::loom_model::{model, poll_once, Counter, DropCount, Forever, HandMade, Sched};
use crate::task::state::Initial;
use crate::task::{Task, TaskRef};

struct Fixture {
    sched: Sched,
    future_drops: Counter,
}

/// What the model threads hold: the join handle (main thread), a `TaskRef` (the aborter,
/// or the sweep's ref), and a waker if asked for. The `Notified` is queued.
struct Refs {
    join: Task<()>,
    task_ref: TaskRef,
    waker: Option<Waker>,
}

impl Fixture {
    fn new(with_waker: bool) -> (Fixture, Refs) {
        let (sched, _parts) = Sched::new(1);
        let future_drops = Counter::new();
        let future = Forever {
            slot: None,
            _drop: DropCount(future_drops.clone()),
        };
        let init = Initial {
            refs: 3 + usize::from(with_waker),
            notified: true,
            join_interest: true,
            running: false,
            registered: false,
        };
        let mut cell = HandMade::new(&sched, future, init);
        let refs = Refs {
            join: cell.join_handle(),
            task_ref: cell.task_ref(),
            waker: with_waker.then(|| cell.waker()),
        };
        cell.schedule();
        (
            Fixture {
                sched,
                future_drops,
            },
            refs,
        )
    }

    fn check_end(&self, mut join: Task<()>) {
        assert!(join.done(), "the cancel was lost: never completed");
        assert!(join.cancelled(), "ended {join:?}, not cancelled");
        match poll_once(&mut join) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!("the join handle read {other:?}"),
        }
        assert_eq!(self.future_drops.get(), 1);
        drop(join);
        assert_eq!(self.sched.other_refs(), 0, "the cell was never freed");
    }
}

/// `abort()` from a handle on another thread vs the task being polled (queued once).
#[test]
fn abort_vs_run() {
    model(|| {
        let (f, refs) = Fixture::new(false);
        let r = refs.task_ref;
        let s = f.sched.clone();
        let aborter = thread::spawn(move || {
            r.abort();
            s.run_injector();
            drop(r);
        });
        f.sched.run_injector();
        aborter.join().unwrap();
        f.sched.run_injector();
        f.check_end(refs.join);
    });
}

/// `abort()` and a wake-up by value on two threads vs the poll.
#[test]
fn abort_and_wake_vs_run() {
    model(|| {
        let (f, refs) = Fixture::new(true);
        let r = refs.task_ref;
        let aborter = thread::spawn(move || {
            r.abort();
            drop(r);
        });
        let waker = refs.waker.unwrap();
        let s = f.sched.clone();
        let waking = thread::spawn(move || {
            waker.wake();
            s.run_injector();
        });
        f.sched.run_injector();
        aborter.join().unwrap();
        waking.join().unwrap();
        f.sched.run_injector();
        f.check_end(refs.join);
    });
}

/// The shutdown sweep (`RawTask::shutdown` on the ref it took, as `finish_shutdown` does
/// for each registry entry: `transition_to_shutdown`) vs the task being polled: exactly
/// one of them drops the future.
#[test]
fn shutdown_vs_run() {
    model(|| {
        let (f, refs) = Fixture::new(false);
        let entry = refs.task_ref;
        let sweeper = thread::spawn(move || {
            let raw = entry.raw();
            // The sweep's ref is consumed by `shutdown`.
            std::mem::forget(entry);
            raw.shutdown();
        });
        f.sched.run_injector();
        sweeper.join().unwrap();
        f.sched.run_injector();
        f.check_end(refs.join);
    });
}
