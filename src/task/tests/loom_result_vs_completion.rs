//! `Task<T>::result()` (asyncio's `result()`: the output cloned out through a shared
//! borrow of the stage, `RawTask::read_output`) called on two threads at once while the
//! task completes on a third (`Harness::complete` writes the stage, then sets COMPLETE).
//!
//! The `Task<T>` is shared (`Arc<Task<T>>`, `Sync` because `T` is). The cell is made by
//! hand (`HandMade`: a queued `Notified` and the `Task<T>`), its future ready at once. The
//! stage is a loom `UnsafeCell`: the readers only read it (`with`), after an acquire load
//! of the state word saw COMPLETE; loom reports any access the state word does not order
//! against the completion's write, and two readers that wrote would conflict.
//!
//! Invariants: each call returns `InvalidStateError` (before completion) or the value
//! (after), never a torn or missing value; after the race `result()` returns the value;
//! the output is dropped exactly once (after the handle and every clone are gone); the
//! cell is freed (nothing references the scheduler afterwards; loom's leak check).

use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::loom::StdArc;
use crate::loom_model::{model, Counter, DropCount, HandMade, PendingThen, Sched};
use crate::task::state::Initial;
use crate::task::Task;

/// The output: cloned by `result()` (the clones share one drop count).
struct Payload {
    value: u32,
    _drop: DropCount,
}

type Output = StdArc<Payload>;

/// What one `result()` call saw: `None` for "not set yet", else the value.
fn read(task: &Task<Output>) -> Option<u32> {
    match task.result() {
        Err(e) => {
            assert_eq!(e.reason(), "Result is not set.", "unexpected {e:?}");
            None
        }
        Ok(Ok(payload)) => Some(payload.value),
        Ok(Err(e)) => panic!("the task returned, yet result() read {e:?}"),
    }
}

#[test]
fn two_results_vs_completion() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let polls = Counter::new();
        let output_drops = Counter::new();
        let future = PendingThen {
            pending_polls: 0,
            slot: None,
            polls: polls.clone(),
            value: Some(StdArc::new(Payload {
                value: 42,
                _drop: DropCount(output_drops.clone()),
            })),
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
        let task = Arc::new(cell.join_handle());
        cell.schedule();

        let readers: Vec<_> = (0..2)
            .map(|_| {
                let t = task.clone();
                thread::spawn(move || read(&t))
            })
            .collect();
        sched.run_injector();
        for r in readers {
            if let Some(v) = r.join().unwrap() {
                assert_eq!(v, 42, "a torn read");
            }
        }
        assert_eq!(polls.get(), 1);
        assert_eq!(read(&task), Some(42), "complete, yet no result");
        assert_eq!(
            output_drops.get(),
            0,
            "the output was dropped under the handle"
        );
        let task = Arc::try_unwrap(task).unwrap_or_else(|_| panic!("a reader kept the handle"));
        drop(task);
        assert_eq!(output_drops.get(), 1, "the output was not dropped once");
        assert_eq!(sched.other_refs(), 0, "the cell was never freed");
    });
}
