//! Timers: `TimerHandle::cancel` (remove the timer entry, then cancel the callback cell:
//! `CallbackHandle::cancel` → `transition_to_shutdown`) on one thread vs the timer firing
//! on a worker (`TimerDriver::fire_due` wakes the cell's waker, which queues the cell)
//! that then runs what was queued.
//!
//! The deadline is in the past (`call_at(0.0, ..)`), so the firing thread always finds it
//! due: the model explores every interleaving of cancel and fire, not the clock.
//!
//! Invariants: the callback either runs exactly once or is cancelled — never both,
//! never neither; its closure is dropped exactly once; no timer entry is left; nothing
//! leaks.

use crate::loom::thread;
use crate::loom_model::{model, Counter, DropCount, Sched};

#[test]
fn cancel_vs_fire() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let ran = Counter::new();
        let drops = Counter::new();
        let r = ran.clone();
        let guard = DropCount(drops.clone());
        let timer = sched.handle().call_at(0.0, move || {
            let _guard = guard;
            r.inc();
        });
        assert_eq!(sched.timer_count(), 1);

        let s = sched.clone();
        let firer = thread::spawn(move || {
            s.fire_due_timers();
            s.run_injector();
        });
        timer.cancel();
        firer.join().unwrap();
        sched.run_injector();

        assert!(timer.done());
        assert_eq!(
            ran.get() + usize::from(timer.cancelled()),
            1,
            "ran {ran:?} times, cancelled: {}",
            timer.cancelled()
        );
        assert_eq!(drops.get(), 1, "the closure was dropped {drops:?} times");
        assert_eq!(sched.timer_count(), 0);
    });
}

/// Two firing threads (a worker's maintenance tick and a parked driver waking up) and a
/// cancel: the timer fires at most once.
#[test]
fn cancel_vs_two_firers() {
    model(|| {
        let (sched, _parts) = Sched::new(1);
        let ran = Counter::new();
        let r = ran.clone();
        let timer = sched.handle().call_at(0.0, move || {
            r.inc();
        });
        let firers: Vec<_> = (0..2)
            .map(|_| {
                let s = sched.clone();
                thread::spawn(move || {
                    s.fire_due_timers();
                })
            })
            .collect();
        timer.cancel();
        for f in firers {
            f.join().unwrap();
        }
        sched.run_injector();
        assert_eq!(ran.get() + usize::from(timer.cancelled()), 1);
        assert_eq!(sched.timer_count(), 0);
    });
}
