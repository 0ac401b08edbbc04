//! `Queue` (`sync/queue.rs`): `put_nowait` on one thread wakes the first getter G1 while
//! G1 is cancelled on another; the tasks run concurrently on the main thread. A second
//! getter G2 queued behind G1.
//!
//! Invariants: no lost item and no lost wake-up — the item is delivered exactly once,
//! to G1 (if it got it before the cancel arrived) or to G2 (G1 cancelled, its wake-up
//! passed on); a cancelled G1 got the message; after a second item, both getters are
//! done and the queue is empty with no getter entry left.

use crate::loom::StdArc as Arc;

use crate::loom::thread;
use crate::loom_model::{model, Sched};
use crate::Queue;

/// Items a getter received, recorded the moment `get()` returned it (a task's output
/// may be discarded by a cancel that lands during its last poll, asyncio's rule: the
/// queue's job ends when the item is handed to the getter's code).
#[derive(Clone, Default)]
struct Got(Arc<std::sync::Mutex<Vec<u32>>>);

impl Got {
    fn push(&self, v: u32) {
        self.0.lock().unwrap().push(v);
    }
    fn get(&self) -> Vec<u32> {
        let mut v = self.0.lock().unwrap().clone();
        v.sort_unstable();
        v
    }
}

#[test]
fn put_vs_cancel_woken_getter() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let q = Arc::new(Queue::new(0));
        let got = Got::default();
        let getter = |q: Arc<Queue<u32>>, got: Got| async move {
            let v = q.get().await?;
            got.push(v);
            Ok::<_, crate::GetError>(())
        };
        let g1 = sched.spawn(getter(q.clone(), got.clone()));
        let g2 = sched.spawn(getter(q.clone(), got.clone()));
        assert_eq!(sched.run_injector(), 2);
        assert_eq!(format!("{q:?}"), "<Queue maxsize=0 _getters[2]>");

        let q2 = q.clone();
        let putter = thread::spawn(move || q2.put_nowait(1).unwrap());
        let g1_ref = g1.task_ref();
        let canceller = thread::spawn(move || g1_ref.cancel(Some("stop")));
        sched.run_injector();
        putter.join().unwrap();
        let accepted = canceller.join().unwrap();
        sched.run_injector();

        assert!(g1.done(), "G1 never finished");
        if g1.cancelled() {
            assert!(accepted, "cancel() returned false, yet G1 ended cancelled");
        }
        // The item was handed to exactly one getter, at once: no lost wake-up.
        assert_eq!(got.get(), [1], "item 1 not delivered exactly once");
        assert!(q.empty());
        // Finish the other getter.
        if !g2.done() {
            q.put_nowait(2).unwrap();
            sched.run_injector();
        }
        assert!(g2.done());
        let g2_ok = matches!(
            crate::loom_model::poll_once(&mut { g2 }),
            std::task::Poll::Ready(Ok(()))
        );
        assert!(g2_ok, "G2 failed");
        let all = got.get();
        assert!(all == [1] || all == [1, 2], "items delivered: {all:?}");
        assert!(q.empty());
        assert!(!format!("{q:?}").contains("_getters"), "{q:?}");
        sched.close();
        sched.finish_shutdown();
    });
}

/// As above, but G1's task is aborted (its get future dropped, possibly after it was
/// woken): the item must reach G2 or stay in the queue for it.
#[test]
fn put_vs_abort_woken_getter() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let q = Arc::new(Queue::new(0));
        let got = Got::default();
        let getter = |q: Arc<Queue<u32>>, got: Got| async move {
            let v = q.get().await?;
            got.push(v);
            Ok::<_, crate::GetError>(())
        };
        let g1 = sched.spawn(getter(q.clone(), got.clone()));
        let g2 = sched.spawn(getter(q.clone(), got.clone()));
        assert_eq!(sched.run_injector(), 2);

        let q2 = q.clone();
        let putter = thread::spawn(move || q2.put_nowait(1).unwrap());
        let g1_ref = g1.task_ref();
        let aborter = thread::spawn(move || g1_ref.abort());
        sched.run_injector();
        putter.join().unwrap();
        aborter.join().unwrap();
        sched.run_injector();

        assert!(g1.done());
        assert_eq!(got.get(), [1], "item 1 lost or duplicated");
        if !g2.done() {
            // G1 took the item before the abort: G2 waits for another.
            q.put_nowait(2).unwrap();
            sched.run_injector();
        }
        assert!(g2.done(), "lost wake-up");
        assert!(q.empty());
        assert!(!format!("{q:?}").contains("_getters"), "{q:?}");
        sched.close();
        sched.finish_shutdown();
    });
}
