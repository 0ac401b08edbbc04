//! The join waker's place among the completion hooks (`src/task/hooks.rs`, "One FIFO
//! list"): a hook registered while JOIN_WAKER is set pushes a `JoinWaker` marker first;
//! the `Task<T>` handle re-registering with another waker removes the marker between
//! clearing and setting JOIN_WAKER; completion wakes the join waker at the marker (if its
//! COMPLETE snapshot has JOIN_WAKER) or after the hooks. Raced here: a hook registration
//! (a completion waker woken directly, which records its wake in a log like the join
//! waker does), the task's completion on another thread, and (second model) the join
//! handle polled again with a new waker.
//!
//! Invariants: every registered waker is woken at most once, and the hook exactly once if
//! its registration succeeded; the join handle never misses its wake-up (a parked joiner
//! would be a loom deadlock); nothing leaks (wakers dropped, cell freed); and when the
//! join waker was registered before the hook, its wake-up comes first.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Mutex as StdMutex;
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::{thread, StdArc};
use crate::loom_model::{model, Counter, DropCount, HandMade, PendingThen, Sched};
use crate::task::hooks::{self, Notify};
use crate::task::state::Initial;
use crate::task::{Task, TaskRef};

/// The order of the wake-ups the completion made.
#[derive(Clone, Default)]
struct Log(StdArc<StdMutex<Vec<&'static str>>>);

impl Log {
    fn push(&self, what: &'static str) {
        self.0.lock().unwrap().push(what);
    }
    fn get(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

/// Logs its wake-ups under `name` and unparks `thread` (if any).
struct LogWaker {
    name: &'static str,
    log: Log,
    thread: Option<thread::Thread>,
}

impl Wake for LogWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        self.log.push(self.name);
        if let Some(t) = &self.thread {
            t.unpark();
        }
    }
}

fn log_waker(name: &'static str, log: &Log, thread: Option<thread::Thread>) -> Waker {
    Waker::from(StdArc::new(LogWaker {
        name,
        log: log.clone(),
        thread,
    }))
}

/// A task ready at its first poll, queued, with its join handle and a `TaskRef`.
fn fixture() -> (Sched, Task<()>, TaskRef, Counter) {
    let (sched, _parts) = Sched::new(1);
    let future_drops = Counter::new();
    let future = PendingThen {
        pending_polls: 0,
        slot: None,
        polls: Counter::new(),
        value: Some(()),
        _drop: DropCount(future_drops.clone()),
    };
    let init = Initial {
        refs: 3,
        notified: true,
        join_interest: true,
        running: false,
        registered: false,
    };
    let mut cell = HandMade::new(&sched, future, init);
    let join = cell.join_handle();
    let task = cell.task_ref();
    cell.schedule();
    (sched, join, task, future_drops)
}

fn poll_join(join: &mut Task<()>, waker: &Waker) -> bool {
    let mut cx = Context::from_waker(waker);
    match Future::poll(Pin::new(&mut join.into_future()), &mut cx) {
        Poll::Ready(out) => {
            assert!(out.is_ok());
            true
        }
        Poll::Pending => false,
    }
}

/// The join handle is registered first; then a hook registration races the completion.
/// A hook that made it in is woken after the join waker.
#[test]
fn hook_added_while_awaited_vs_completion() {
    model(|| {
        let (sched, mut join, task, future_drops) = fixture();
        let log = Log::default();
        let join_waker = log_waker("join", &log, None);
        assert!(!poll_join(&mut join, &join_waker));

        let l = log.clone();
        let registrar = thread::spawn(move || {
            let waker = log_waker("hook", &l, None);
            let id = hooks::add_completion_waker(&task, &waker, Notify::Direct);
            drop(task);
            id.is_some()
        });
        sched.run_injector();
        let registered = registrar.join().unwrap();

        assert!(poll_join(&mut join, &join_waker));
        drop(join);
        let expected: &[&str] = if registered {
            &["join", "hook"]
        } else {
            &["join"]
        };
        assert_eq!(log.get(), expected);
        assert_eq!(future_drops.get(), 1);
        drop(join_waker);
        assert_eq!(sched.other_refs(), 0, "the cell was never freed");
    });
}

/// The join handle, registered once, is polled again with a new waker (a new awaiter:
/// the marker of the old one is removed) while a hook is registered and the task
/// completes. Each waker is woken at most once, the hook exactly once if registered, and
/// the joiner, parked until it reads the output, is never left without a wake-up.
#[test]
fn join_waker_reregistration_vs_hook_vs_completion() {
    model(|| {
        let (sched, mut join, task, future_drops) = fixture();
        let log = Log::default();
        let first = log_waker("first", &log, None);
        assert!(!poll_join(&mut join, &first));

        let l = log.clone();
        let joiner = thread::spawn(move || {
            let waker = log_waker("second", &l, Some(thread::current()));
            while !poll_join(&mut join, &waker) {
                thread::park();
            }
            drop(join);
        });
        let l = log.clone();
        let registrar = thread::spawn(move || {
            let waker = log_waker("hook", &l, None);
            let id = hooks::add_completion_waker(&task, &waker, Notify::Direct);
            drop(task);
            id.is_some()
        });
        sched.run_injector();
        let registered = registrar.join().unwrap();
        joiner.join().unwrap();

        let log = log.get();
        let count = |name| log.iter().filter(|w| **w == name).count();
        assert!(count("first") <= 1, "{log:?}");
        assert!(count("second") <= 1, "{log:?}");
        assert_eq!(count("hook"), usize::from(registered), "{log:?}");
        assert_eq!(future_drops.get(), 1);
        drop(first);
        assert_eq!(sched.other_refs(), 0, "the cell was never freed");
    });
}
