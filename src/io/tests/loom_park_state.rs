//! The driver's park-state byte: a worker going to sleep in `epoll_wait` vs another
//! thread unparking it. The eventfd is modelled by a flag the sleeper waits on (a
//! loom-visible mutex + condvar): if the unparker neither wrote it nor was seen by the
//! sleeper, the sleeper waits forever and loom reports the deadlock (a lost wake-up).

use crate::io::park_state::{AfterNotify, BeforePoll, ParkStates};
use crate::io::tests::Signal;
use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::loom_model::model;

#[test]
fn unpark_vs_sleep_in_driver() {
    model(|| {
        let states = Arc::new(ParkStates::new(1));
        let eventfd = Arc::new(Signal::default());
        let unparker = {
            let (states, eventfd) = (states.clone(), eventfd.clone());
            thread::spawn(move || {
                if states.notify(0) == AfterNotify::WakeDriver {
                    eventfd.set();
                }
            })
        };
        match states.transition_to_polling(0) {
            BeforePoll::Notified => {}
            BeforePoll::Sleep => {
                eventfd.wait();
                states.transition_from_polling(0);
            }
        }
        unparker.join().unwrap();
    });
}

#[test]
fn stale_notification_costs_one_spurious_return() {
    model(|| {
        let states = Arc::new(ParkStates::new(1));
        let eventfd = Arc::new(Signal::default());
        // An unpark while the worker was not in the driver (its thread parker took it).
        assert_eq!(states.notify(0), AfterNotify::Nothing);
        // The next driver park returns at once, and the one after sleeps until notified.
        assert_eq!(states.transition_to_polling(0), BeforePoll::Notified);
        let unparker = {
            let (states, eventfd) = (states.clone(), eventfd.clone());
            thread::spawn(move || {
                if states.notify(0) == AfterNotify::WakeDriver {
                    eventfd.set();
                }
            })
        };
        if states.transition_to_polling(0) == BeforePoll::Sleep {
            eventfd.wait();
            states.transition_from_polling(0);
        }
        unparker.join().unwrap();
    });
}
