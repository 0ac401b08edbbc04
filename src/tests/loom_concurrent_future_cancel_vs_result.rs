//! `run_coroutine_threadsafe` + `ConcurrentFuture`: a thread blocks in `result(None)`
//! while another cancels the future (`ConcurrentFuture::cancel`: the future is cancelled
//! at once, then `TaskRef::cancel`) and a worker thread runs the real worker loop; the
//! coroutine yields once (a runtime-aware await point that delivers a pending
//! cancellation).
//!
//! Cancel and completion race for the future's lock: completion (the task's join waker,
//! run by the completing worker) stores the outcome unless `cancel()` already marked the
//! future cancelled and dropped the join handle. Either way the blocked thread must be
//! notified (a loom `Condvar`): a lost notification leaves `result` blocked forever and
//! loom reports a deadlock.
//!
//! Two coroutines: one propagates its cancellation (`?`), one catches it and returns its
//! value anyway (asyncio: the concurrent future stays cancelled, the value is dropped).
//!
//! Invariants: exactly one side wins: `cancel()` returned `true` ⇔ `result` gave
//! `Cancelled` ⇔ `cancelled()`; `false` ⇔ the value; `done()` in both cases; the outcome
//! does not change once the task has finished (a cancelled future stays cancelled when
//! the task returns a value later); nothing leaks once the runtime is shut down.

use crate::loom::thread;
use crate::loom_model::{model, Sched};
use crate::{CancelledError, ConcurrentError};

fn cancel_vs_result(swallow: bool) {
    model(move || {
        let (sched, mut parts) = Sched::new(1);
        let cf = crate::run_coroutine_threadsafe(
            async move {
                match crate::yield_now().await {
                    Ok(()) => {}
                    Err(e) if !swallow => return Err(e),
                    Err(_caught) => {}
                }
                Ok::<u32, CancelledError>(5)
            },
            &sched.handle(),
        );
        let cf = crate::loom::StdArc::new(cf);

        let s = sched.clone();
        let parts = parts.pop().unwrap();
        let worker = thread::spawn(move || {
            let w = parts.enter(&s);
            w.run();
            w.drain_on_exit();
        });
        let c = cf.clone();
        let canceller = thread::spawn(move || c.cancel());

        let out = cf.result(None);
        assert!(cf.done());
        let accepted = canceller.join().unwrap();
        match &out {
            Ok(v) => {
                assert_eq!(*v, 5);
                assert!(!accepted, "cancel() returned true, yet the value came out");
                assert!(!cf.cancelled());
            }
            Err(ConcurrentError::Cancelled(_)) => {
                assert!(
                    accepted,
                    "cancel() returned false, yet the future is cancelled"
                );
                assert!(cf.cancelled());
            }
            Err(e) => panic!("unexpected outcome {e:?}"),
        }

        sched.close();
        worker.join().unwrap();
        sched.finish_shutdown();
        // The task is done now; the future's outcome did not change.
        assert!(cf.task().done());
        match cf.result(None) {
            Ok(5) => assert!(!accepted),
            Err(ConcurrentError::Cancelled(_)) => assert!(accepted && cf.cancelled()),
            other => panic!("the outcome changed to {other:?}"),
        }
    });
}

#[test]
fn cancel_vs_result_propagated() {
    cancel_vs_result(false);
}

#[test]
fn cancel_vs_result_caught() {
    cancel_vs_result(true);
}
