//! The test helper `util::deadline` itself: a body's value and panics reach the caller, and a
//! body that never finishes fails the calling test, with its name, once the limit is up.

use std::sync::mpsc;
use std::time::Duration;

mod util;

#[test]
fn a_finished_body_returns_its_value() {
    assert_eq!(util::deadline(|| 6 * 7), 42);
    let v = util::deadline_of(Duration::from_secs(60), || vec![String::from("a")]);
    assert_eq!(v, ["a"]);
}

#[test]
#[should_panic(expected = "the body panicked: 42")]
fn a_panicking_body_panics_the_caller_with_its_message() {
    util::deadline(|| panic!("the body panicked: {}", 42));
}

#[test]
fn a_panicking_body_keeps_its_payload() {
    let err = std::panic::catch_unwind(|| {
        util::deadline(|| std::panic::panic_any(7_u32));
    })
    .unwrap_err();
    assert_eq!(err.downcast_ref::<u32>(), Some(&7));
}

#[test]
fn a_blocked_body_fails_the_test_with_its_name() {
    // The sender stays alive until the deadline has passed, so the body blocks on `recv`.
    let (tx, rx) = mpsc::channel::<()>();
    let err = std::panic::catch_unwind(|| {
        util::deadline_of(Duration::from_millis(200), move || rx.recv())
    })
    .unwrap_err();
    let msg = util::panic_message(&*err);
    assert!(
        msg.contains("a_blocked_body_fails_the_test_with_its_name"),
        "{msg}"
    );
    assert!(msg.contains("200ms"), "{msg}");
    assert!(msg.contains("tests/deadline.rs"), "{msg}");
    assert!(msg.contains("lost wake-up or deadlock?"), "{msg}");
    // Unblocks the left-behind body: its `recv` fails and its thread ends.
    drop(tx);
}
