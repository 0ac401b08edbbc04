//! `Semaphore` (`sync/semaphore.rs`): `release()` hands the one permit to the first
//! waiter A on one thread while A is cancelled on another; the tasks run concurrently on
//! the main thread. A second waiter B queued behind A.
//!
//! Invariants: no lost permit — B always gets a permit (A's, if A was cancelled before
//! it observed it, or after A gave it back); A either acquired or ended cancelled; the
//! counter ends at 1 (the released permit is back) with no waiter entry left.

use crate::loom::StdArc as Arc;

use crate::loom::thread;
use crate::loom_model::{model, Counter, Sched};
use crate::{CancelledError, Semaphore};

#[test]
fn release_vs_cancel_woken_waiter() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let sem = Arc::new(Semaphore::new(0));
        let acquired = Counter::new();
        let waiter = |sem: Arc<Semaphore>, acquired: Counter| async move {
            let _permit = sem.acquire().await?;
            acquired.inc();
            Ok::<_, CancelledError>(())
        };
        let a = sched.spawn(waiter(sem.clone(), acquired.clone()));
        let b = sched.spawn(waiter(sem.clone(), acquired.clone()));
        assert_eq!(sched.run_injector(), 2);
        assert_eq!(format!("{sem:?}"), "<Semaphore [locked, waiters:2]>");

        let s = sem.clone();
        let releaser = thread::spawn(move || s.release());
        let a_ref = a.task_ref();
        let canceller = thread::spawn(move || a_ref.cancel(Some("stop")));
        sched.run_injector();
        releaser.join().unwrap();
        let accepted = canceller.join().unwrap();
        sched.run_injector();

        assert!(b.done(), "lost permit: B never acquired");
        assert!(a.done());
        let b_ok = matches!(
            crate::loom_model::poll_once(&mut { b }),
            std::task::Poll::Ready(Ok(()))
        );
        assert!(b_ok, "B did not acquire");
        match crate::loom_model::poll_once(&mut { a }) {
            std::task::Poll::Ready(Ok(())) => assert_eq!(acquired.get(), 2),
            std::task::Poll::Ready(Err(e)) => {
                assert!(
                    accepted,
                    "cancel() returned false, yet the task ended cancelled"
                );
                assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
                // Cancelled in its wait (1), or during its last poll after it held a
                // permit (2).
                assert!(matches!(acquired.get(), 1 | 2));
            }
            other => panic!("A: {other:?}"),
        }
        assert_eq!(sem.value(), 1, "the permit did not come back");
        assert_eq!(format!("{sem:?}"), "<Semaphore [unlocked, value:1]>");
        sched.close();
        sched.finish_shutdown();
    });
}

/// As above, but A's task is aborted (its acquire future dropped, possibly holding a
/// permit it never observed): the permit must reach B.
#[test]
fn release_vs_abort_woken_waiter() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let sem = Arc::new(Semaphore::new(0));
        let waiter = |sem: Arc<Semaphore>| async move { sem.acquire().await.map(drop) };
        let a = sched.spawn(waiter(sem.clone()));
        let b = sched.spawn(waiter(sem.clone()));
        assert_eq!(sched.run_injector(), 2);

        let s = sem.clone();
        let releaser = thread::spawn(move || s.release());
        let a_ref = a.task_ref();
        let aborter = thread::spawn(move || a_ref.abort());
        sched.run_injector();
        releaser.join().unwrap();
        aborter.join().unwrap();
        sched.run_injector();

        assert!(a.done());
        assert!(b.done(), "lost permit: B never acquired");
        assert_eq!(sem.value(), 1, "the permit did not come back");
        assert_eq!(format!("{sem:?}"), "<Semaphore [unlocked, value:1]>");
        sched.close();
        sched.finish_shutdown();
    });
}
