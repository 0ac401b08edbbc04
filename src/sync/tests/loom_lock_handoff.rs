//! `Lock` hand-off (`sync/lock.rs`): a holder releases the lock on one thread while the
//! first waiter B is cancelled on another (`TaskRef::cancel` forwards to B's wait entry,
//! or sets *must_cancel* if B was already woken), and the main thread runs the tasks
//! concurrently. A second waiter C queued behind B.
//!
//! Invariants: no lost wake-up — C always acquires (the final `run_injector` would leave
//! C pending otherwise); B either acquired and released the lock, or ended cancelled with
//! the message (possibly after it held the lock, when the cancel landed during its last
//! poll); at most one task holds the lock at a time; the lock ends unlocked with no
//! waiter entry left.

use crate::loom::StdArc as Arc;

use crate::loom::thread;
use crate::loom_model::{model, Counter, Sched};
use crate::{CancelledError, Lock};

#[test]
fn release_vs_cancel_first_waiter() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let lock = Arc::new(Lock::new());
        lock.try_acquire().unwrap().forget(); // held by "the test"
        let inside = Counter::new();
        let acquired = Counter::new();
        let waiter = |lock: Arc<Lock>, inside: Counter, acquired: Counter| async move {
            let g = lock.acquire().await?;
            assert_eq!(inside.inc(), 1, "two holders");
            acquired.inc();
            inside.dec();
            drop(g);
            Ok::<_, CancelledError>(())
        };
        let b = sched.spawn(waiter(lock.clone(), inside.clone(), acquired.clone()));
        let c = sched.spawn(waiter(lock.clone(), inside.clone(), acquired.clone()));
        // Both polled once: B then C queued on the lock.
        assert_eq!(sched.run_injector(), 2);
        assert_eq!(format!("{lock:?}"), "<Lock [locked, waiters:2]>");

        let l = lock.clone();
        let releaser = thread::spawn(move || l.release().unwrap());
        let b_ref = b.task_ref();
        let canceller = thread::spawn(move || b_ref.cancel(Some("stop")));
        sched.run_injector();
        releaser.join().unwrap();
        let accepted = canceller.join().unwrap();
        sched.run_injector();

        assert!(c.done(), "lost wake-up: C never got the lock");
        assert!(b.done(), "B never finished");
        let c_ok = matches!(
            crate::loom_model::poll_once(&mut { c }),
            std::task::Poll::Ready(Ok(()))
        );
        assert!(c_ok, "C did not acquire");
        match crate::loom_model::poll_once(&mut { b }) {
            std::task::Poll::Ready(Ok(())) => assert_eq!(acquired.get(), 2),
            std::task::Poll::Ready(Err(e)) => {
                assert!(
                    accepted,
                    "cancel() returned false, yet the task ended cancelled"
                );
                assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
                // Cancelled in its wait (1), or during its last poll after it held the
                // lock (2: asyncio's rule, a request still pending at completion).
                assert!(matches!(acquired.get(), 1 | 2));
            }
            other => panic!("B: {other:?}"),
        }
        assert!(!lock.locked());
        assert_eq!(format!("{lock:?}"), "<Lock [unlocked]>");
        sched.close();
        sched.finish_shutdown();
    });
}

/// As above, but B's task is aborted (its acquire future dropped, possibly after it was
/// woken): the wake-up must still reach C.
#[test]
fn release_vs_abort_first_waiter() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let lock = Arc::new(Lock::new());
        lock.try_acquire().unwrap().forget();
        let waiter = |lock: Arc<Lock>| async move { lock.acquire().await.map(drop) };
        let b = sched.spawn(waiter(lock.clone()));
        let c = sched.spawn(waiter(lock.clone()));
        assert_eq!(sched.run_injector(), 2);

        let l = lock.clone();
        let releaser = thread::spawn(move || l.release().unwrap());
        let b_ref = b.task_ref();
        let aborter = thread::spawn(move || b_ref.abort());
        sched.run_injector();
        releaser.join().unwrap();
        aborter.join().unwrap();
        sched.run_injector();

        assert!(b.done());
        assert!(c.done(), "lost wake-up: C never got the lock");
        let c_ok = matches!(
            crate::loom_model::poll_once(&mut { c }),
            std::task::Poll::Ready(Ok(()))
        );
        assert!(c_ok, "C did not acquire");
        assert_eq!(format!("{lock:?}"), "<Lock [unlocked]>");
        sched.close();
        sched.finish_shutdown();
    });
}
