//! Shared task handles (`Task<T>: Clone`, see `handle.rs`): a clone awaits the task on
//! another thread (with a completion waker in the hook list), or clones are made and
//! dropped there, while the task completes on the main thread, which then reads it with
//! the original handle. The stage is a loom `UnsafeCell`: loom reports a read of the output
//! that the state word and the task's lock do not order against its write, or against
//! its drop by the last handle.
//!
//! Invariants: both handles read the output (a lost wake-up parks a thread forever: loom
//! reports a deadlock); the stored output is dropped exactly once, after the last handle
//! (the clones read out are `Arc`s of it); no waker is leaked; the cell is freed once.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::thread;
use crate::loom::StdArc;
use crate::loom_model::{model, Counter, DropCount, HandMade, PendingThen, Sched, ThreadWaker};
use crate::task::state::Initial;
use crate::task::Task;

type Out = StdArc<DropCount>;

struct Fixture {
    sched: Sched,
    output_drops: Counter,
}

/// A cell whose `Notified` is queued; returns its join handle.
fn fixture() -> (Fixture, Task<Out>) {
    let (sched, _parts) = Sched::new(1);
    let output_drops = Counter::new();
    let future = PendingThen {
        pending_polls: 0,
        slot: None,
        polls: Counter::new(),
        value: Some(StdArc::new(DropCount(output_drops.clone()))),
        _drop: DropCount(Counter::new()),
    };
    let init = Initial {
        refs: 2,
        notified: true,
        join_interest: true,
        running: false,
        registered: false,
    };
    let mut cell = HandMade::new(&sched, future, init);
    let join = cell.join_handle();
    cell.schedule();
    (
        Fixture {
            sched,
            output_drops,
        },
        join,
    )
}

/// Polls `join` until it gives the output, parking in between; returns the waker used.
fn await_blocking(mut join: Task<Out>) -> ThreadWaker {
    let waker = ThreadWaker::current();
    loop {
        let w = waker.waker();
        let mut cx = Context::from_waker(&w);
        match Pin::new(&mut (&mut join).into_future()).poll(&mut cx) {
            Poll::Ready(out) => {
                assert!(out.is_ok(), "the task returned, yet a handle read {out:?}");
                break;
            }
            // A lost wake-up parks this thread forever: loom reports a deadlock.
            Poll::Pending => thread::park(),
        }
    }
    drop(join);
    waker
}

/// A clone awaits on another thread while the task completes on this one; then the
/// original reads it here (the two reads of the stored output may overlap).
#[test]
fn shared_handle_await_vs_completion_vs_read() {
    model(|| {
        let (f, join) = fixture();
        let other = join.clone();
        let a = thread::spawn(move || await_blocking(other));
        f.sched.run_injector();
        let w = await_blocking(join);
        let wa = a.join().unwrap();
        assert_eq!(
            f.output_drops.get(),
            1,
            "the output was not dropped exactly once"
        );
        assert_eq!(wa.clones_alive() + w.clones_alive(), 0, "a waker leaked");
        assert_eq!(f.sched.other_refs(), 0, "the cell was never freed");
    });
}

/// A handle is cloned and the clones dropped unpolled on one thread while the task
/// completes, then the original awaits: the last one to go drops the output.
#[test]
fn clone_and_drop_vs_completion() {
    model(|| {
        let (f, join) = fixture();
        let other = join.clone();
        let a = thread::spawn(move || {
            let third = other.clone();
            drop(other);
            drop(third);
        });
        f.sched.run_injector();
        a.join().unwrap();
        let w = await_blocking(join);
        assert_eq!(
            f.output_drops.get(),
            1,
            "the output was not dropped exactly once"
        );
        assert_eq!(w.clones_alive(), 0, "a waker leaked");
        assert_eq!(f.sched.other_refs(), 0, "the cell was never freed");
    });
}
