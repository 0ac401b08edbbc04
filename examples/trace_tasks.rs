//! The `tracing` feature: every task's span and the runtime's events, printed by a
//! small subscriber written here (any `tracing` subscriber works, e.g.
//! `tracing-subscriber`'s `fmt()`).
//!
//! ```sh
//! cargo run --example trace_tasks --features tracing
//! ```
//!
//! Prints, for a task that is cancelled with a message and one that completes:
//! `new span task {task.name=.., task.id=.., task.parent_id=..}`, `enter`/`exit` per poll,
//! and the `cancel`, `completed` and `runtime started`/`stopped` events with their fields.
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Prints each span's creation, entry and exit, and each event, one line each.
struct Printer {
    next_id: AtomicU64,
}

/// Collects fields as `name=value` pairs.
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let sep = if self.0.is_empty() { "" } else { ", " };
        let _ = write!(self.0, "{sep}{}={value:?}", field.name());
    }
}

impl Subscriber for Printer {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("asyncio")
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        println!(
            "span {id}: new {} {{{}}}",
            attrs.metadata().name(),
            fields.0
        );
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let parent = event.parent().map_or(0, Id::into_u64);
        println!(
            "  event [{}] (span {parent}) {}",
            event.metadata().target(),
            fields.0
        );
    }

    fn enter(&self, span: &Id) {
        println!("span {}: enter (a poll begins)", span.into_u64());
    }

    fn exit(&self, span: &Id) {
        println!("span {}: exit", span.into_u64());
    }
}

fn main() {
    tracing::subscriber::set_global_default(Printer {
        next_id: AtomicU64::new(0),
    })
    .expect("no other subscriber is set");

    asyncio::run(async {
        let sleeper = asyncio::Task::builder()
            .name("sleeper")
            .create_task(asyncio::sleep(Duration::from_secs(3600)));
        let adder = asyncio::create_task(async {
            asyncio::sleep(Duration::ZERO).await?; // a second poll
            Ok::<_, asyncio::CancelledError>(1 + 1)
        });
        asyncio::sleep(Duration::ZERO).await.unwrap();
        sleeper.cancel(Some("no longer needed"));
        assert!(sleeper.await.unwrap_err().is_cancelled());
        assert_eq!(adder.await.unwrap(), 2);
    });
}
