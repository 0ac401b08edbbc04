//! Eager start (docs/design.md §4.3): the first step runs inline inside `create_task` on a worker,
//! with `current_task()` swapped and the task in the eager registry; completion in that
//! step never queues the task; suspension graduates it; nesting is capped; off the
//! workers tasks are scheduled normally.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_eager_task_factory.py`.

mod util;

use asyncio::test_util::HandleTestExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{CancelledError, TaskRef};
use util::{cancel_msg, rt, rt1, Trace, WORKER_COUNTS};

fn eager_rt(n: usize) -> asyncio::Runtime {
    asyncio::Builder::new()
        .worker_threads(n)
        .eager_tasks(true)
        .build()
        .unwrap()
}

// async def coro(): return 'hello'
// t = loop.create_task(coro()); assertTrue(t.done()); await t == 'hello'
#[test]
fn test_eager_completion() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            eager_rt(n).block_on(async {
                let t = asyncio::create_task(async { "hello" });
                assert!(t.done(), "completed during its eager step");
                assert_eq!(
                    asyncio::get_running_loop().unwrap().registered_tasks(),
                    1,
                    "only the main task is in the scheduled registry"
                );
                assert_eq!(t.await.unwrap(), "hello");
            });
        }
    });
}

// async def coro(): await asyncio.sleep(0.1); return 'finished after blocking'
// t = create_task(coro()); assertFalse(t.done()); await t
#[test]
fn test_block_after_eager_step() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            eager_rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    asyncio::sleep(Duration::from_millis(5)).await?;
                    Ok::<_, CancelledError>("finished after blocking")
                });
                assert!(!t.done());
                assert_eq!(t.await.unwrap(), "finished after blocking");
            });
        }
    });
}

// t = create_task(coro_without_blocking()); t.cancel(); await t -> result; not cancelled
#[test]
fn test_cancellation_after_eager_completion() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            eager_rt(n).block_on(async {
                let t = asyncio::create_task(async { "finished without blocking" });
                assert!(!t.cancel(None), "a finished task cannot be cancelled");
                let r = t.task_ref();
                assert_eq!(t.await.unwrap(), "finished without blocking");
                assert!(!r.cancelled());
            });
        }
    });
}

// t = create_task(blocking()); t.cancel('cancellation message'); cancelling() > 0
// await t -> CancelledError('cancellation message')
#[test]
fn test_cancellation_after_eager_step_blocks() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let err = eager_rt(n).block_on(async {
                let t = asyncio::create_task(async {
                    asyncio::sleep(Duration::from_millis(100)).await?;
                    Ok::<_, CancelledError>("finished after blocking")
                });
                t.cancel(Some("cancellation message"));
                assert!(t.cancelling() > 0);
                t.await.unwrap_err().untracked()
            });
            assert_eq!(cancel_msg(&err).as_deref(), Some("cancellation message"));
        }
    });
}

// captured = current_task() inside the eager step; is t; same after blocking
#[test]
fn test_current_task() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            eager_rt(n).block_on(async {
                let captured: Arc<Mutex<Option<TaskRef>>> = Arc::default();
                let c = captured.clone();
                let main = asyncio::current_task().unwrap();
                let t = asyncio::create_task(async move {
                    let me = asyncio::current_task().unwrap();
                    *c.lock().unwrap() = Some(me.clone());
                    asyncio::sleep(Duration::from_millis(1)).await.unwrap();
                    assert_eq!(asyncio::current_task().unwrap(), me);
                });
                assert_eq!(captured.lock().unwrap().as_ref(), Some(&*t));
                assert_eq!(
                    asyncio::current_task().unwrap(),
                    main,
                    "the creator again after the step"
                );
                t.await.unwrap();
            });
        }
    });
}

// cap = all_tasks() inside the eager step; t in cap; t not in all_tasks() after
#[test]
fn test_all_tasks_with_eager_completion() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            eager_rt(n).block_on(async {
                let captured: Arc<Mutex<Vec<TaskRef>>> = Arc::default();
                let c = captured.clone();
                let t = asyncio::create_task(async move {
                    *c.lock().unwrap() = asyncio::all_tasks();
                });
                assert!(
                    captured.lock().unwrap().contains(&t),
                    "listed during its eager step"
                );
                assert!(!asyncio::all_tasks().contains(&t), "done: not listed");
                assert!(t.done());
            });
        }
    });
}

// t1, t2 = create_task(coro(fut1, fut2)) x2 -> both blocked, both in all_tasks(); then
// finished after fut1, fut2 are set
#[test]
fn test_all_tasks_with_blocking() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            eager_rt(n).block_on(async {
                let fut1 = asyncio::Future::<u32>::new();
                let fut2 = asyncio::Future::<u32>::new();
                let mk = || {
                    let (f1, f2) = (fut1.clone(), fut2.clone());
                    asyncio::create_task(async move {
                        f1.await.unwrap();
                        f2.await.unwrap()
                    })
                };
                let t1 = mk();
                let t2 = mk();
                let all = asyncio::all_tasks();
                assert!(
                    all.contains(&t1) && all.contains(&t2),
                    "graduated tasks are listed"
                );
                fut1.set_result(1).unwrap();
                fut2.set_result(2).unwrap();
                assert_eq!(t1.await.unwrap(), 2);
                assert_eq!(t2.await.unwrap(), 2);
            });
        }
    });
}

// async def set_result(fut, val): fut.set_result(val)
// t = create_task(set_result(fut, 'my message')); assertTrue(t.done()); await fut
#[test]
fn test_await_future_during_eager_step() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let out = eager_rt(n).block_on(async {
                let fut = asyncio::Future::<&'static str>::new();
                let f = fut.clone();
                let t = asyncio::create_task(async move { f.set_result("my message").unwrap() });
                assert!(t.done());
                fut.await.unwrap()
            });
            assert_eq!(out, "my message");
        }
    });
}

// loop.set_task_factory(asyncio.eager_task_factory)
// trace: before; a = create_task(child("a")); mid; b = create_task(child("b")); after
// -> ['before', 'a start', 'mid', 'b start', 'after', 'a end', 'b end', 'done']
#[test]
fn test_eager_task_factory_set_trace() {
    util::deadline(|| {
        let trace = Trace::new();
        let tr = trace.clone();
        rt1().block_on(async move {
            let handle = asyncio::get_running_loop().unwrap();
            handle.set_task_factory(asyncio::EAGER_TASK_FACTORY);
            assert_eq!(handle.get_task_factory(), asyncio::TaskFactory::Eager);
            let child = |name: &'static str| {
                let tr = tr.clone();
                async move {
                    tr.push(format!("{name} start"));
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                    tr.push(format!("{name} end"));
                }
            };
            tr.push("before");
            let a = asyncio::create_task(child("a"));
            tr.push("mid");
            let b = asyncio::create_task(child("b"));
            tr.push("after");
            a.await.unwrap();
            b.await.unwrap();
            tr.push("done");
        });
        assert_eq!(
            trace.get(),
            ["before", "a start", "mid", "b start", "after", "a end", "b end", "done"]
        );
    });
}

/// `create_eager_task` and the builder work without the eager factory.
#[test]
fn create_eager_task_without_the_factory() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let lazy = asyncio::create_task(async { 1 });
                assert!(!lazy.done(), "the default factory queues");
                let eager = asyncio::create_eager_task(async { 2 });
                assert!(eager.done());
                let built = asyncio::Task::builder()
                    .eager_start(true)
                    .name("built")
                    .create_task(async { 3 });
                assert!(built.done());
                assert_eq!(built.get_name(), "built");
                assert_eq!(
                    lazy.await.unwrap() + eager.await.unwrap() + built.await.unwrap(),
                    6
                );
            });
        }
    });
}

/// Off the workers (a foreign thread), an eager request schedules the task normally.
#[test]
fn eager_from_a_foreign_thread_is_scheduled() {
    util::deadline(|| {
        let rt = eager_rt(2);
        let entered = Arc::new(AtomicBool::new(false));
        let e = entered.clone();
        let gate = asyncio::Future::<()>::new_on(rt.handle());
        let g = gate.clone();
        let t =
            asyncio::Task::builder()
                .eager_start(true)
                .create_task_on(rt.handle(), async move {
                    e.store(true, Ordering::SeqCst);
                    g.await.unwrap();
                });
        assert!(!t.done());
        gate.set_result(()).unwrap();
        rt.block_on(t).unwrap();
        assert!(entered.load(Ordering::SeqCst));
    });
}

/// Eager steps nest (each creates the next); past the depth cap the chain continues as
/// scheduled tasks, so a long chain cannot overflow the stack — here a 10,000-deep chain
/// on workers with a 256 KiB stack.
#[test]
fn nested_eager_chain_is_capped_and_completes() {
    util::deadline(|| {
        fn chain(depth: u64, max: u64, scheduled: Arc<AtomicU64>) -> asyncio::Task<u64> {
            asyncio::create_eager_task(async move {
                if depth == max {
                    return depth;
                }
                let next = chain(depth + 1, max, scheduled.clone());
                if !next.done() {
                    scheduled.fetch_add(1, Ordering::SeqCst);
                }
                next.await.unwrap()
            })
        }
        for n in WORKER_COUNTS {
            let rt = asyncio::Builder::new()
                .worker_threads(n)
                .thread_stack_size(256 * 1024)
                .build()
                .unwrap();
            let scheduled = Arc::new(AtomicU64::new(0));
            let s = scheduled.clone();
            let out = rt.block_on(async move { chain(0, 10_000, s).await.unwrap() });
            assert_eq!(out, 10_000);
            // Every 33rd creation hits the cap (32 nested steps) and is queued instead.
            assert!(scheduled.load(Ordering::SeqCst) >= 10_000 / 33);
        }
    });
}

/// A panic in the eager step is the task's exception, not the creator's.
#[test]
fn panic_in_eager_step_is_caught() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            rt(n).block_on(async {
                let t = asyncio::create_eager_task(async {
                    if true {
                        panic!("eager boom")
                    }
                });
                assert!(t.done());
                match t.await {
                    Err(asyncio::TaskError::Panicked(p)) => assert_eq!(p.message(), "eager boom"),
                    other => panic!("{other:?}"),
                }
            });
        }
    });
}
