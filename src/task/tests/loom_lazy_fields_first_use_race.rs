//! The lazily allocated asyncio fields (`lazy_fields.rs`): two threads write a field at
//! once, each allocating if it sees none, while a third only reads.
//!
//! Invariants: exactly one box is installed and both writes land in it (the loser of the
//! `compare_exchange` frees its own box and uses the winner's); a reader sees either no
//! box (every field default) or the box with the writes made so far, never a half
//! initialised one.

use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::loom_model::model;
use crate::task::lazy_fields::LazyFields;

#[test]
fn loom_lazy_fields_first_use_race() {
    model(|| {
        let fields = Arc::new(LazyFields::new());
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let fields = fields.clone();
                thread::spawn(move || fields.lock().cancel.requests += 1)
            })
            .collect();
        let seen = fields.lock_existing().map_or(0, |f| f.cancel.requests);
        assert!(seen <= 2);
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(fields.lock_existing().map(|f| f.cancel.requests), Some(2));
    });
}
