//! The readiness record of one registration: the driver setting readiness (and waking
//! the waiters it takes) vs a task polling, clearing after `WouldBlock`, and polling
//! again; vs shutdown; vs the registration being dropped.
//!
//! Invariant in every model: a task that waits is woken (a lost wake-up leaves the
//! `block_on` thread parked forever, which loom reports as a deadlock), and a clear
//! made with a stale event never erases readiness set by a newer driver poll.

use std::task::{Context, Poll};

use crate::io::scheduled_io::ReadyEvent;
use crate::io::scheduled_io::{Direction, Ready, ScheduledIo};
use crate::io::tests::Signal;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::loom_model::model;

/// The task's side: poll until ready, waiting on its waker in between.
fn wait_ready(io: &ScheduledIo, direction: Direction) -> ReadyEvent {
    let signal = std::sync::Arc::new(Signal::default());
    let waker = std::task::Waker::from(signal.clone());
    loop {
        if let Poll::Ready(ev) = io.poll_readiness(&mut Context::from_waker(&waker), direction) {
            return ev;
        }
        signal.wait();
    }
}

/// The driver's side: readiness at `tick`, then wake what it took.
fn driver_sets(io: &ScheduledIo, tick: u16, ready: Ready) {
    let mut wake = Vec::new();
    io.set_readiness(tick, ready, &mut wake);
    wake.into_iter().for_each(std::task::Waker::wake);
}

#[test]
fn readiness_set_vs_poll() {
    model(|| {
        let io = Arc::new(ScheduledIo::new());
        let driver = {
            let io = io.clone();
            thread::spawn(move || driver_sets(&io, 1, Ready::READABLE))
        };
        let ev = wait_ready(&io, Direction::Read);
        assert!(ev.ready.intersects(Ready::READABLE));
        driver.join().unwrap();
    });
}

#[test]
fn stale_clear_vs_newer_readiness() {
    model(|| {
        let io = Arc::new(ScheduledIo::new());
        // The driver's first poll: readable at tick 1.
        driver_sets(&io, 1, Ready::READABLE);
        // Its next poll sees more data arrive, concurrently with the task's read.
        let driver = {
            let io = io.clone();
            thread::spawn(move || driver_sets(&io, 2, Ready::READABLE))
        };
        // The task: readable (tick 1 or 2), its read returns WouldBlock (the data of
        // tick 2 not there yet when it read), clear, wait again: it must be woken or
        // find the newer readiness.
        let first = wait_ready(&io, Direction::Read);
        io.clear_readiness(first);
        driver.join().unwrap();
        if first.tick == 1 {
            // The tick-2 readiness was set after the task looked: the stale clear must
            // not have erased it (or, if the clear came first, it was set again).
            let ev = wait_ready(&io, Direction::Read);
            assert_eq!(ev.tick, 2);
        }
    });
}

/// A waker that records being woken (no thread park: the task does not wait here).
struct Flag(AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn shutdown_vs_poll_and_drop() {
    model(|| {
        let io = Arc::new(ScheduledIo::new());
        let closer = {
            let io = io.clone();
            thread::spawn(move || {
                let mut wake = Vec::new();
                io.shutdown(&mut wake);
                wake.into_iter().for_each(std::task::Waker::wake);
            })
        };
        let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let waker = std::task::Waker::from(flag.clone());
        let polled = io.poll_readiness(&mut Context::from_waker(&waker), Direction::Write);
        drop(waker);
        // The task drops its registration while the closer may still hold the record:
        // loom checks that the record and every waker in it are freed exactly once.
        drop(io);
        closer.join().unwrap();
        match polled {
            Poll::Ready(ev) => assert!(ev.is_shutdown),
            Poll::Pending => assert!(flag.0.load(Ordering::SeqCst), "lost wake-up"),
        }
        assert_eq!(std::sync::Arc::strong_count(&flag), 1, "a waker leaked");
    });
}
