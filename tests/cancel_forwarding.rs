//! Forwarding `cancel()` along what tasks await (docs/design.md §4.2 rule 3), on chains
//! far deeper than a worker's stack allows a recursion, and on cycles.
//!
//! asyncio's outcome is kept: every task on the chain gets the request (counted once,
//! with the message) and ends cancelled. A cycle (A awaits B, B awaits A), on which
//! asyncio's recursive `cancel()` never ends, gives each of its tasks exactly one
//! request, and they all end cancelled.
//!
//! Every task signals only after its await point returned `Pending` (so it is registered
//! as waiting on the next one), so the cancel always finds the whole chain suspended.

mod util;

use std::future::Future;
use std::future::IntoFuture;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use asyncio::{Event, Task, TaskError, TaskRef};
use util::{cancel_msg, rt, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

/// Counts tasks that reached their await point; sets `all` when `expected` did.
#[derive(Clone)]
struct Suspended {
    count: Arc<AtomicUsize>,
    expected: usize,
    all: Arc<Event>,
}

impl Suspended {
    fn new(expected: usize) -> Suspended {
        Suspended {
            count: Arc::new(AtomicUsize::new(0)),
            expected,
            all: Arc::new(Event::new()),
        }
    }

    fn arrived(&self) {
        if self.count.fetch_add(1, Ordering::SeqCst) + 1 == self.expected {
            self.all.set();
        }
    }
}

/// Polls `inner`; the first time it returns `Pending` (the task is now registered as
/// waiting on it), reports the arrival.
struct ThenReport<F> {
    inner: Pin<Box<F>>,
    report: Option<Suspended>,
}

impl<F: Future> Future for ThenReport<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let out = self.inner.as_mut().poll(cx);
        if out.is_pending() {
            if let Some(s) = self.report.take() {
                s.arrived();
            }
        }
        out
    }
}

fn then_report<F: Future>(inner: F, report: &Suspended) -> ThenReport<F> {
    ThenReport {
        inner: Box::pin(inner),
        report: Some(report.clone()),
    }
}

type Link = Task<()>;

/// A task that awaits `next` and propagates its outcome (asyncio: `await next`).
fn link(next: Link, report: &Suspended) -> Link {
    let wait = then_report(next.into_future(), report);
    asyncio::create_task(async move {
        wait.await?;
        Ok::<(), TaskError>(())
    })
}

fn assert_cancelled_once(tasks: &[TaskRef], msg: &str) {
    for t in tasks {
        assert!(t.cancelled(), "{t:?} did not end cancelled");
        assert_eq!(t.cancelling(), 1, "{t:?} got a request count other than 1");
        let err = t
            .exception()
            .unwrap()
            .expect("a cancelled task has an exception");
        assert_eq!(cancel_msg(&err).as_deref(), Some(msg), "{t:?}");
    }
}

/// asyncio (recursion in `Task.cancel`) hits RecursionError long before this depth; the
/// forwarding here is a loop, so a million awaiting tasks are cancelled from the root
/// and every one of them gets the request with its message.
#[test]
fn cancel_of_a_million_task_await_chain_reaches_every_task() {
    const N: usize = 1_000_000;
    for n in WORKER_COUNTS {
        util::deadline(move || {
            let rt = rt(n);
            rt.block_on(async move {
                let suspended = Suspended::new(N);
                let leaf: Link = {
                    let wait = then_report(asyncio::sleep(LONG), &suspended);
                    asyncio::create_task(async move {
                        wait.await?;
                        Ok::<(), TaskError>(())
                    })
                };
                let mut refs: Vec<TaskRef> = Vec::with_capacity(N);
                refs.push(leaf.task_ref());
                let mut top = leaf;
                for _ in 1..N {
                    top = link(top, &suspended);
                    refs.push(top.task_ref());
                }
                suspended.all.wait().await.unwrap();

                assert!(top.cancel(Some("deep")));
                let err = top.await.unwrap_err().untracked();
                assert_eq!(cancel_msg(&err).as_deref(), Some("deep"), "workers={n}");
                assert_cancelled_once(&refs, "deep");
            });
        });
    }
}

/// Builds a cycle of `len` tasks, task i awaiting task i+1 (mod len), all suspended.
async fn cycle(len: usize) -> Vec<TaskRef> {
    let suspended = Suspended::new(len);
    let go = Arc::new(Event::new());
    let slots: Vec<Arc<Mutex<Option<Link>>>> =
        (0..len).map(|_| Arc::new(Mutex::new(None))).collect();
    let tasks: Vec<Link> = (0..len)
        .map(|i| {
            let slot = slots[i].clone();
            let go = go.clone();
            let report = suspended.clone();
            asyncio::create_task(async move {
                go.wait().await.unwrap();
                let next = slot.lock().unwrap().take().expect("the next task is set");
                then_report(next.into_future(), &report).await?;
                Ok::<(), TaskError>(())
            })
        })
        .collect();
    let refs: Vec<TaskRef> = tasks.iter().map(|t| t.task_ref()).collect();
    for (i, task) in tasks.into_iter().enumerate() {
        // Task i - 1 awaits task i.
        *slots[(i + len - 1) % len].lock().unwrap() = Some(task);
    }
    go.set();
    suspended.all.wait().await.unwrap();
    refs
}

/// asyncio: `a.cancel()` where a awaits b and b awaits a recurses until RecursionError.
/// Here each gets one request; the last one asked cannot forward (the cycle closes), so
/// it receives the cancellation at its await point and the cycle unwinds.
#[test]
fn cancel_of_a_two_task_cycle_cancels_both_once() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            rt(n).block_on(async move {
                let refs = cycle(2).await;
                assert!(refs[0].cancel(Some("cycle")));
                for t in &refs {
                    t.wait_done().await.unwrap();
                }
                assert_cancelled_once(&refs, "cycle");
            });
        });
    }
}

#[test]
fn cancel_of_a_three_task_cycle_cancels_every_task_once() {
    for n in WORKER_COUNTS {
        util::deadline(move || {
            rt(n).block_on(async move {
                let refs = cycle(3).await;
                // Enter the cycle in the middle: the walk goes 1 -> 2 -> 0 -> (1: closed).
                assert!(refs[1].cancel(Some("three")));
                for t in &refs {
                    t.wait_done().await.unwrap();
                }
                assert_cancelled_once(&refs, "three");
            });
        });
    }
}

/// A gather forwards to each child in order and each child's own chain is walked before
/// the next child is asked, as asyncio's recursion does: on one worker the tasks at the
/// ends of the chains wake (and log) in that depth-first order.
#[test]
fn forwarding_through_a_gather_keeps_the_recursions_order() {
    util::deadline(|| {
        util::rt1().block_on(async {
            let trace = util::Trace::new();
            let suspended = Suspended::new(4);
            let leaf = |name: &'static str| {
                let trace = trace.clone();
                let wait = then_report(asyncio::sleep(LONG), &suspended);
                asyncio::create_task(async move {
                    let out = wait.await;
                    trace.push(name);
                    out?;
                    Ok::<(), TaskError>(())
                })
            };
            let a = link(leaf("a-leaf"), &suspended);
            let b = leaf("b-leaf");
            let gather = then_report(asyncio::gather(vec![a, b]), &suspended);
            let gathering = asyncio::create_task(async move {
                gather.await?;
                Ok::<(), TaskError>(())
            });
            suspended.all.wait().await.unwrap();
            assert!(gathering.cancel(Some("fan")));
            let err = gathering.await.unwrap_err().untracked();
            assert_eq!(cancel_msg(&err).as_deref(), Some("fan"));
            assert_eq!(trace.get(), ["a-leaf", "b-leaf"]);
        });
    });
}
