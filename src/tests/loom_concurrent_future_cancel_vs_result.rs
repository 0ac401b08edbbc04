//! `run_coroutine_threadsafe` + `ConcurrentFuture`: a thread blocks in `result(None)`
//! while another cancels the future (`ConcurrentFuture::cancel` → `TaskRef::cancel`) and a
//! worker thread runs the real worker loop; the coroutine yields once (a runtime-aware
//! await point that delivers a pending cancellation).
//!
//! The `ConcurrentFuture` is the task's join waker: the completing worker moves the
//! outcome into it and notifies the blocked thread (a loom `Condvar`). A lost
//! notification leaves `result` blocked forever: loom reports a deadlock.
//!
//! Invariants: `result` returns exactly the task's outcome — the value, or `Cancelled`;
//! `cancel()` returns `false` only when the value was already there; `done()` and
//! `cancelled()` agree with it; nothing leaks once the runtime is shut down.

use crate::loom::thread;
use crate::loom_model::{model, Sched};
use crate::{CancelledError, ConcurrentError};

#[test]
fn cancel_vs_result() {
    model(|| {
        let (sched, mut parts) = Sched::new(1);
        let cf = crate::run_coroutine_threadsafe(
            async {
                crate::yield_now().await?;
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
            Ok(Ok(v)) => assert_eq!(*v, 5),
            Ok(Err(e)) => panic!("the coroutine caught its cancellation: {e:?}"),
            Err(ConcurrentError::Cancelled(_)) => {
                assert!(
                    accepted,
                    "cancel() returned false, yet the task ended cancelled"
                );
                assert!(cf.cancelled());
            }
            Err(e) => panic!("unexpected outcome {e:?}"),
        }
        if !accepted {
            assert!(matches!(out, Ok(Ok(5))));
        }

        sched.close();
        worker.join().unwrap();
        sched.finish_shutdown();
    });
}
