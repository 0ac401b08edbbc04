//! A task whose poll panics races a cross-thread `cancel(msg)` (and, in a second model,
//! `abort()`): the harness catches the panic (`catch_unwind` around the poll), drops the
//! future and completes the task with it; the cancel either lands first (a *must_cancel*
//! before the first poll drops the future unpolled; an abort makes `transition_to_running`
//! cancel it), or during the poll (the panic wins), or after (refused: done).
//!
//! Invariants: the panic never escapes `Notified::run` (the threads running the task
//! would unwind: the model fails); the task completes exactly once, with the panic or the
//! cancellation — never neither; `cancel()` returning `false` means the panic; its future
//! is dropped exactly once; the join handle reads the outcome; the registry is empty and
//! no cell is left.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::thread;
use crate::loom_model::{model, poll_once, with_quiet_panic, Counter, DropCount, Sched};
use crate::task::error::TaskError;

/// The panic payload (kept off stderr by `with_quiet_panic`).
const BOOM: &str = "loom model: the task's poll panics";

/// Panics when polled.
struct PanicOnPoll {
    _drop: DropCount,
}

impl Future for PanicOnPoll {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u32> {
        std::panic::panic_any(BOOM)
    }
}

/// How the race ends: `Some(msg)` for a cancellation, `None` for the panic.
enum Ended {
    Panicked,
    Cancelled(Option<String>),
}

/// Spawns the task, runs `cancel` on another thread while the main thread runs the task,
/// and checks the invariants; returns how it ended and what `cancel` returned.
fn race<R: Send + 'static>(
    cancel: impl FnOnce(crate::TaskRef) -> R + Send + 'static,
) -> (Ended, R) {
    let (sched, _parts) = Sched::new(1);
    let drops = Counter::new();
    let mut task = sched.spawn(PanicOnPoll {
        _drop: DropCount(drops.clone()),
    });
    let r = task.task_ref();
    let canceller = thread::spawn(move || cancel(r));
    let ran = catch_unwind(AssertUnwindSafe(|| sched.run_injector()));
    assert!(ran.is_ok(), "the task's panic escaped Notified::run");
    let returned = canceller.join().unwrap();
    let ran = catch_unwind(AssertUnwindSafe(|| sched.run_injector()));
    assert!(ran.is_ok(), "the task's panic escaped Notified::run");

    assert!(task.done(), "the task never completed");
    let ended = match poll_once(&mut task) {
        Poll::Ready(Err(TaskError::Panicked(p))) => {
            assert_eq!(p.message(), BOOM);
            assert!(task.exception().unwrap().unwrap().is_panic());
            Ended::Panicked
        }
        Poll::Ready(Err(TaskError::Cancelled(c))) => {
            assert!(task.cancelled());
            Ended::Cancelled(c.message().map(str::to_owned))
        }
        other => panic!("the join handle read {other:?}"),
    };
    assert_eq!(drops.get(), 1, "the future was dropped {drops:?} times");
    assert_eq!(sched.registry_len(), 0);
    drop(task);
    assert_eq!(sched.other_refs(), 0, "the cell was never freed");
    (ended, returned)
}

#[test]
fn panic_in_poll_vs_cancel() {
    with_quiet_panic(BOOM, || {
        model(|| {
            let (ended, accepted) = race(|r| r.cancel(Some("m")));
            match ended {
                Ended::Panicked => {}
                Ended::Cancelled(msg) => {
                    assert!(
                        accepted,
                        "cancel() returned false, yet the task ended cancelled"
                    );
                    assert_eq!(msg.as_deref(), Some("m"));
                }
            }
        })
    });
}

#[test]
fn panic_in_poll_vs_abort() {
    with_quiet_panic(BOOM, || {
        model(|| {
            let (ended, ()) = race(|r| r.abort());
            if let Ended::Cancelled(msg) = ended {
                assert_eq!(msg, None, "an abort carries no message");
            }
        })
    });
}
