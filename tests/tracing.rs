//! The `tracing` feature (src/trace.rs): a span per task (name, id, parent task id)
//! entered on every poll, events for `cancel(msg)`, `uncancel`, completion with its
//! outcome, and runtime start/stop, seen by a small capturing `Subscriber` written here.
//!
//! Run with `cargo test -p asyncio --features tracing --test tracing`. The subscriber is
//! the process-wide default (worker threads have no thread-local one); each test holds
//! `LOCK` while it runs, so the capture holds only its own runtime's spans and events.

#![cfg(feature = "tracing")]

mod util;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use util::{rt, rt1, WORKER_COUNTS};

/// Field values as text: strings as they are, numbers in decimal, the rest in `Debug`
/// form (a `Display` value's `Debug` is its `Display`).
type Fields = BTreeMap<String, String>;

struct FieldsVisitor<'a>(&'a mut Fields);

impl Visit for FieldsVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

#[derive(Debug, Clone)]
struct SpanRec {
    name: &'static str,
    target: String,
    fields: Fields,
    /// `None`: a root span (`parent: None` or no span entered).
    parent: Option<u64>,
    enters: usize,
    exits: usize,
    refs: usize,
}

#[derive(Debug, Clone)]
struct EventRec {
    target: String,
    fields: Fields,
    /// The explicit parent, or the span entered on the emitting thread.
    parent: Option<u64>,
}

impl EventRec {
    fn message(&self) -> &str {
        self.fields.get("message").map_or("", String::as_str)
    }
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Default)]
struct Captured {
    spans: BTreeMap<u64, SpanRec>,
    events: Vec<EventRec>,
}

/// Records every span and event of every thread.
#[derive(Default)]
struct Capture {
    next_id: AtomicU64,
    data: Mutex<Captured>,
}

thread_local! {
    /// The spans entered on this thread, innermost last.
    static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields::new();
        attrs.record(&mut FieldsVisitor(&mut fields));
        let parent = if attrs.is_root() {
            None
        } else if let Some(p) = attrs.parent() {
            Some(p.into_u64())
        } else {
            ENTERED.with(|e| e.borrow().last().copied())
        };
        self.data.lock().unwrap().spans.insert(
            id,
            SpanRec {
                name: attrs.metadata().name(),
                target: attrs.metadata().target().to_owned(),
                fields,
                parent,
                enters: 0,
                exits: 0,
                refs: 1,
            },
        );
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(s) = self.data.lock().unwrap().spans.get_mut(&span.into_u64()) {
            values.record(&mut FieldsVisitor(&mut s.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut FieldsVisitor(&mut fields));
        let parent = if event.is_root() {
            None
        } else if let Some(p) = event.parent() {
            Some(p.into_u64())
        } else {
            ENTERED.with(|e| e.borrow().last().copied())
        };
        self.data.lock().unwrap().events.push(EventRec {
            target: event.metadata().target().to_owned(),
            fields,
            parent,
        });
    }

    fn enter(&self, span: &Id) {
        ENTERED.with(|e| e.borrow_mut().push(span.into_u64()));
        if let Some(s) = self.data.lock().unwrap().spans.get_mut(&span.into_u64()) {
            s.enters += 1;
        }
    }

    fn exit(&self, span: &Id) {
        ENTERED.with(|e| {
            let popped = e.borrow_mut().pop();
            assert_eq!(popped, Some(span.into_u64()), "spans exited out of order");
        });
        if let Some(s) = self.data.lock().unwrap().spans.get_mut(&span.into_u64()) {
            s.exits += 1;
        }
    }

    fn clone_span(&self, id: &Id) -> Id {
        if let Some(s) = self.data.lock().unwrap().spans.get_mut(&id.into_u64()) {
            s.refs += 1;
        }
        id.clone()
    }

    fn try_close(&self, id: Id) -> bool {
        let mut data = self.data.lock().unwrap();
        match data.spans.get_mut(&id.into_u64()) {
            Some(s) => {
                s.refs -= 1;
                s.refs == 0
            }
            None => false,
        }
    }
}

/// Serialises the tests: the capture is process-wide.
static LOCK: Mutex<()> = Mutex::new(());

/// The installed capture, emptied, and the lock that keeps other tests out.
fn capture() -> (MutexGuard<'static, ()>, &'static Capture) {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    let capture = *CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::default());
        tracing::subscriber::set_global_default(CaptureRef(capture))
            .expect("no other global subscriber in this test binary");
        capture
    });
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    *capture.data.lock().unwrap() = Captured::default();
    (guard, capture)
}

/// `&'static Capture` as a `Subscriber` (the default needs an owned one).
struct CaptureRef(&'static Capture);

impl Subscriber for CaptureRef {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        self.0.enabled(m)
    }
    fn new_span(&self, a: &Attributes<'_>) -> Id {
        self.0.new_span(a)
    }
    fn record(&self, s: &Id, v: &Record<'_>) {
        self.0.record(s, v)
    }
    fn record_follows_from(&self, s: &Id, f: &Id) {
        self.0.record_follows_from(s, f)
    }
    fn event(&self, e: &Event<'_>) {
        self.0.event(e)
    }
    fn enter(&self, s: &Id) {
        self.0.enter(s)
    }
    fn exit(&self, s: &Id) {
        self.0.exit(s)
    }
    fn clone_span(&self, s: &Id) -> Id {
        self.0.clone_span(s)
    }
    fn try_close(&self, s: Id) -> bool {
        self.0.try_close(s)
    }
}

impl Capture {
    fn snapshot(&self) -> (BTreeMap<u64, SpanRec>, Vec<EventRec>) {
        let data = self.data.lock().unwrap();
        (data.spans.clone(), data.events.clone())
    }

    /// The span of task `id` (exactly one).
    fn task_span(&self, id: u64) -> (u64, SpanRec) {
        let (spans, _) = self.snapshot();
        let mut found = spans
            .into_iter()
            .filter(|(_, s)| s.name == "task" && s.fields.get("task.id") == Some(&id.to_string()));
        let span = found
            .next()
            .unwrap_or_else(|| panic!("no span for task {id}"));
        assert!(found.next().is_none(), "two spans for task {id}");
        span
    }

    /// The events of task `id` (by field), in emission order.
    fn task_events(&self, id: u64) -> Vec<EventRec> {
        let (_, events) = self.snapshot();
        events
            .into_iter()
            .filter(|e| e.field("task.id") == Some(&id.to_string()))
            .collect()
    }
}

#[test]
fn span_per_task_with_name_id_and_parent() {
    let (_lock, cap) = capture();
    util::deadline(move || {
        let rt = rt1();
        let (main_id, named_id, unnamed_id) = rt.block_on(async {
            let main = asyncio::current_task().unwrap().id().as_u64();
            let named = asyncio::Task::builder()
                .name("worker-7")
                .create_task(async {});
            let unnamed = asyncio::create_task(async {});
            let ids = (main, named.id().as_u64(), unnamed.id().as_u64());
            named.await.unwrap();
            unnamed.await.unwrap();
            ids
        });
        drop(rt);

        // block_on's task was created on this (foreign) thread: no parent task.
        let (_, main) = cap.task_span(main_id);
        assert_eq!(main.target, "asyncio::task");
        assert_eq!(
            main.fields.get("task.name").unwrap(),
            &format!("Task-{main_id}")
        );
        assert_eq!(main.fields.get("task.parent_id"), None);
        assert_eq!(main.parent, None, "task spans are roots");

        let (_, named) = cap.task_span(named_id);
        assert_eq!(named.fields.get("task.name").unwrap(), "worker-7");
        assert_eq!(
            named.fields.get("task.parent_id").unwrap(),
            &main_id.to_string()
        );
        // Created inside the main task's poll, yet not a child span of it.
        assert_eq!(named.parent, None);

        let (_, unnamed) = cap.task_span(unnamed_id);
        assert_eq!(
            unnamed.fields.get("task.name").unwrap(),
            &format!("Task-{unnamed_id}")
        );
        assert_eq!(
            unnamed.fields.get("task.parent_id").unwrap(),
            &main_id.to_string()
        );

        // Every task span was closed when its cell was freed.
        for id in [main_id, named_id, unnamed_id] {
            assert_eq!(cap.task_span(id).1.refs, 0, "task {id}'s span still open");
        }
    });
}

/// A task that suspends three times is polled four times: its span is entered (and
/// exited) four times, and what its code logs lands in it.
#[test]
fn span_entered_on_every_poll() {
    let (_lock, cap) = capture();
    util::deadline(move || {
        for n in WORKER_COUNTS {
            *cap.data.lock().unwrap() = Captured::default();
            let rt = rt(n);
            let id = rt.block_on(async {
                let t = asyncio::create_task(async {
                    for i in 0..3 {
                        tracing::info!(step = i, "inside the task");
                        asyncio::yield_now().await.unwrap();
                    }
                    asyncio::current_task().unwrap().id().as_u64()
                });
                t.await.unwrap()
            });
            drop(rt);
            let (span_id, span) = cap.task_span(id);
            assert_eq!((span.enters, span.exits), (4, 4), "workers={n}");
            let (_, events) = cap.snapshot();
            let inside: Vec<_> = events
                .iter()
                .filter(|e| e.message() == "inside the task")
                .collect();
            assert_eq!(inside.len(), 3, "workers={n}");
            assert!(
                inside.iter().all(|e| e.parent == Some(span_id)),
                "workers={n}"
            );
        }
    });
}

/// The eager first step is a poll too: entered inside `create_task`, with the creator
/// as the parent task; the creator's span is entered again after it.
#[test]
fn eager_first_step_is_entered() {
    let (_lock, cap) = capture();
    util::deadline(move || {
        let rt = rt1();
        let (main_id, eager_id) = rt.block_on(async {
            let main = asyncio::current_task().unwrap().id().as_u64();
            let t = asyncio::Task::builder()
                .eager_start(true)
                .create_task(async {
                    tracing::info!("eager step");
                    asyncio::current_task().unwrap().id().as_u64()
                });
            tracing::info!("creator again");
            (main, t.await.unwrap())
        });
        drop(rt);
        let (main_span, _) = cap.task_span(main_id);
        let (eager_span, eager) = cap.task_span(eager_id);
        assert_eq!(
            eager.fields.get("task.parent_id").unwrap(),
            &main_id.to_string()
        );
        assert_eq!((eager.enters, eager.exits), (1, 1));
        let (_, events) = cap.snapshot();
        let parent_of = |msg: &str| events.iter().find(|e| e.message() == msg).unwrap().parent;
        assert_eq!(parent_of("eager step"), Some(eager_span));
        assert_eq!(parent_of("creator again"), Some(main_span));
    });
}

#[test]
fn cancel_and_uncancel_events() {
    let (_lock, cap) = capture();
    util::deadline(move || {
        let rt = rt1();
        let id = rt.block_on(async {
            let t = asyncio::create_task(asyncio::sleep(Duration::from_secs(3600)));
            asyncio::yield_now().await.unwrap();
            assert!(t.cancel(Some("first")));
            assert!(t.cancel(None));
            assert_eq!(t.uncancel(), 1);
            let id = t.id().as_u64();
            assert!(t.await.unwrap_err().is_cancelled());
            id
        });
        drop(rt);
        let (span_id, _) = cap.task_span(id);
        let events = cap.task_events(id);
        let summary: Vec<_> = events
            .iter()
            .map(|e| {
                (
                    e.message().to_owned(),
                    e.field("cancel.message").map(str::to_owned),
                    e.field("cancelling").map(str::to_owned),
                )
            })
            .collect();
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            summary[..3],
            [
                ("cancel".to_owned(), s("first"), s("1")),
                ("cancel".to_owned(), None, s("2")),
                ("uncancel".to_owned(), None, s("1")),
            ]
        );
        assert!(events.iter().all(|e| e.parent == Some(span_id)));
        assert!(events.iter().all(|e| e.target == "asyncio::task"));
    });
}

/// One `completed` event per task, with its outcome: value, cancelled (with the
/// message), exception (the error's text), panic (the panic's text).
#[test]
fn completion_events_with_their_outcome() {
    let (_lock, cap) = capture();
    util::deadline(move || {
        for n in WORKER_COUNTS {
            *cap.data.lock().unwrap() = Captured::default();
            let rt = rt(n);
            let ids = rt.block_on(async {
                let value = asyncio::create_task(async { 1 });
                let cancelled = asyncio::create_task(asyncio::sleep(Duration::from_secs(3600)));
                let exception = asyncio::create_task(async {
                    Err::<u32, _>(std::io::Error::other("disk on fire"))
                });
                let panic = asyncio::create_task(async {
                    if true {
                        panic!("boom");
                    }
                });
                let ids =
                    [value.id(), cancelled.id(), exception.id(), panic.id()].map(|id| id.as_u64());
                asyncio::yield_now().await.unwrap();
                cancelled.cancel(Some("enough"));
                assert_eq!(value.await.unwrap(), 1);
                assert!(cancelled.await.unwrap_err().is_cancelled());
                assert!(exception.await.is_err());
                assert!(panic.await.is_err());
                ids
            });
            drop(rt);
            let expected = [
                ("value", None),
                ("cancelled", Some("enough")),
                ("exception", Some("disk on fire")),
                ("panic", Some("boom")),
            ];
            for (id, (outcome, message)) in ids.into_iter().zip(expected) {
                let (span_id, _) = cap.task_span(id);
                let completed: Vec<_> = cap
                    .task_events(id)
                    .into_iter()
                    .filter(|e| e.message() == "completed")
                    .collect();
                assert_eq!(completed.len(), 1, "task {id}, workers={n}");
                let e = &completed[0];
                assert_eq!(e.field("outcome"), Some(outcome), "workers={n}");
                assert_eq!(e.field("outcome.message"), message, "workers={n}");
                assert_eq!(e.parent, Some(span_id));
            }
        }
    });
}

#[test]
fn runtime_start_and_stop_events() {
    let (_lock, cap) = capture();
    util::deadline(move || {
        let rt = rt(2);
        let main_id = rt.block_on(async { asyncio::current_task().unwrap().id().as_u64() });
        drop(rt);
        let (_, events) = cap.snapshot();
        let runtime: Vec<_> = events
            .iter()
            .filter(|e| e.target == "asyncio::runtime")
            .map(|e| {
                (
                    e.message().to_owned(),
                    e.field("workers").map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(
            runtime,
            [
                ("runtime started".to_owned(), Some("2".to_owned())),
                ("runtime stopped".to_owned(), None),
            ]
        );
        // Started before the task ran, stopped after it completed.
        let position = |pred: &dyn Fn(&EventRec) -> bool| events.iter().position(pred).unwrap();
        let started = position(&|e| e.message() == "runtime started");
        let completed = position(&|e| {
            e.message() == "completed" && e.field("task.id") == Some(&main_id.to_string())
        });
        let stopped = position(&|e| e.message() == "runtime stopped");
        assert!(started < completed && completed < stopped);
    });
}

/// `call_soon` callbacks are not tasks: no span, no events.
#[test]
fn callbacks_have_no_span() {
    let (_lock, cap) = capture();
    util::deadline(move || {
        let rt = rt1();
        let (tx, rx) = std::sync::mpsc::channel();
        rt.handle().call_soon_threadsafe(move || {
            tracing::info!("in a callback");
            tx.send(()).unwrap();
        });
        rx.recv_timeout(Duration::from_secs(30)).unwrap();
        drop(rt);
        let (spans, events) = cap.snapshot();
        assert!(spans.is_empty(), "{spans:?}");
        let e = events
            .iter()
            .find(|e| e.message() == "in a callback")
            .unwrap();
        assert_eq!(e.parent, None);
    });
}

/// The span lives in the cell after the header, which keeps its 64 bytes with the
/// feature on (`tests/spawn.rs` checks the default build).
#[test]
fn header_does_not_grow_with_the_feature() {
    assert_eq!(asyncio::test_util::task_header_size(), 64);
}
