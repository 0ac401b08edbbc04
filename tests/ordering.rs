//! FIFO order in the deterministic 1-worker mode (docs/design.md §3.1): tasks and callbacks run in
//! exactly asyncio's `call_soon` order.
//!
//! Each test mirrors a short CPython 3.13 script, kept as a comment above it; the expected
//! trace is what `PYENV_VERSION=3.13.0 python script.py` printed. Every test runs on
//! `Builder::new().worker_threads(1)`.

use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

mod util;

use asyncio::{Builder, Runtime, Task};

const HANG_GUARD: Duration = Duration::from_secs(60);

fn one_worker() -> Runtime {
    Builder::new().worker_threads(1).build().unwrap()
}

/// A shared event trace.
#[derive(Clone, Default)]
struct Trace(Arc<Mutex<Vec<String>>>);

impl Trace {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

async fn sleep0() {
    asyncio::sleep(Duration::ZERO).await.unwrap();
}

// import asyncio
//
// async def main():
//     trace = []
//     loop = asyncio.get_running_loop()
//     async def step(name):
//         trace.append(f"{name}1")
//         await asyncio.sleep(0)
//         trace.append(f"{name}2")
//     loop.call_soon(trace.append, "cb1")
//     a = asyncio.create_task(step("A"))
//     loop.call_soon(trace.append, "cb2")
//     b = asyncio.create_task(step("B"))
//     loop.call_soon(trace.append, "cb3")
//     await a
//     await b
//     print(trace)
//
// asyncio.run(main())
// -> ['cb1', 'A1', 'cb2', 'B1', 'cb3', 'A2', 'B2']
#[test]
fn call_soon_callbacks_interleave_with_task_steps() {
    util::deadline(|| {
        let rt = one_worker();
        let trace = rt.block_on(async {
            let trace = Trace::default();
            let step = |name: &'static str| {
                let trace = trace.clone();
                async move {
                    trace.push(format!("{name}1"));
                    sleep0().await;
                    trace.push(format!("{name}2"));
                }
            };
            let cb = |s: &'static str| {
                let trace = trace.clone();
                move || trace.push(s)
            };
            asyncio::call_soon(cb("cb1"));
            let a = asyncio::create_task(step("A"));
            asyncio::call_soon(cb("cb2"));
            let b = asyncio::create_task(step("B"));
            asyncio::call_soon(cb("cb3"));
            a.await.unwrap();
            b.await.unwrap();
            trace.take()
        });
        assert_eq!(trace, ["cb1", "A1", "cb2", "B1", "cb3", "A2", "B2"]);
    });
}

// import asyncio
//
// async def main():
//     trace = []
//     async def worker(name):
//         for i in range(3):
//             trace.append(f"{name}{i}")
//             await asyncio.sleep(0)
//     tasks = [asyncio.create_task(worker(n)) for n in "ABC"]
//     for i in range(3):
//         trace.append(f"main{i}")
//         await asyncio.sleep(0)
//     for t in tasks:
//         await t
//     print(trace)
//
// asyncio.run(main())
// -> ['main0', 'A0', 'B0', 'C0', 'main1', 'A1', 'B1', 'C1', 'main2', 'A2', 'B2', 'C2']
#[test]
fn sleep_zero_round_robin() {
    util::deadline(|| {
        let rt = one_worker();
        let trace = rt.block_on(async {
            let trace = Trace::default();
            let tasks: Vec<Task<()>> = ["A", "B", "C"]
                .into_iter()
                .map(|name| {
                    let trace = trace.clone();
                    asyncio::create_task(async move {
                        for i in 0..3 {
                            trace.push(format!("{name}{i}"));
                            sleep0().await;
                        }
                    })
                })
                .collect();
            for i in 0..3 {
                trace.push(format!("main{i}"));
                sleep0().await;
            }
            for t in tasks {
                t.await.unwrap();
            }
            trace.take()
        });
        assert_eq!(
            trace,
            ["main0", "A0", "B0", "C0", "main1", "A1", "B1", "C1", "main2", "A2", "B2", "C2"]
        );
    });
}

// import asyncio
//
// async def main():
//     trace = []
//     loop = asyncio.get_running_loop()
//     def cb(name, depth):
//         trace.append(name)
//         if depth:
//             loop.call_soon(cb, name + "'", depth - 1)
//     loop.call_soon(cb, "a", 2)
//     loop.call_soon(cb, "b", 2)
//     for i in range(4):
//         trace.append(f"main{i}")
//         await asyncio.sleep(0)
//     print(trace)
//
// asyncio.run(main())
// -> ['main0', 'a', 'b', 'main1', "a'", "b'", 'main2', "a''", "b''", 'main3']
#[test]
fn callbacks_scheduled_from_within_callbacks() {
    util::deadline(|| {
        fn cb(trace: Trace, name: String, depth: u32) {
            trace.push(name.clone());
            if depth > 0 {
                asyncio::call_soon(move || cb(trace, format!("{name}'"), depth - 1));
            }
        }
        let rt = one_worker();
        let trace = rt.block_on(async {
            let trace = Trace::default();
            let (t1, t2) = (trace.clone(), trace.clone());
            asyncio::call_soon(move || cb(t1, "a".into(), 2));
            asyncio::call_soon(move || cb(t2, "b".into(), 2));
            for i in 0..4 {
                trace.push(format!("main{i}"));
                sleep0().await;
            }
            trace.take()
        });
        assert_eq!(
            trace,
            ["main0", "a", "b", "main1", "a'", "b'", "main2", "a''", "b''", "main3"]
        );
    });
}

// import asyncio
//
// async def main():
//     trace = []
//     loop = asyncio.get_running_loop()
//     async def work():
//         trace.append("work")
//     t = asyncio.create_task(work())
//     t.add_done_callback(lambda _: trace.append("d1"))
//     t.add_done_callback(lambda _: trace.append("d2"))
//     loop.call_soon(trace.append, "cb")
//     for i in range(3):
//         trace.append(f"main{i}")
//         await asyncio.sleep(0)
//     print(trace)
//
// asyncio.run(main())
// -> ['main0', 'work', 'cb', 'main1', 'd1', 'd2', 'main2']
#[test]
fn done_callbacks_are_scheduled_with_call_soon_in_registration_order() {
    util::deadline(|| {
        let rt = one_worker();
        let trace = rt.block_on(async {
            let trace = Trace::default();
            let tw = trace.clone();
            let t = asyncio::create_task(async move { tw.push("work") });
            for d in ["d1", "d2"] {
                let trace = trace.clone();
                t.add_done_callback(move |_| trace.push(d));
            }
            let tc = trace.clone();
            asyncio::call_soon(move || tc.push("cb"));
            for i in 0..3 {
                trace.push(format!("main{i}"));
                sleep0().await;
            }
            drop(t);
            trace.take()
        });
        assert_eq!(trace, ["main0", "work", "cb", "main1", "d1", "d2", "main2"]);
    });
}

// import asyncio
//
// async def main():
//     trace = []
//     async def child(name):
//         trace.append(name)
//     async def parent(name):
//         trace.append(f"{name}-start")
//         asyncio.create_task(child(f"{name}-child"))
//         asyncio.get_running_loop().call_soon(trace.append, f"{name}-cb")
//         await asyncio.sleep(0)
//         trace.append(f"{name}-end")
//     p = asyncio.create_task(parent("P"))
//     q = asyncio.create_task(parent("Q"))
//     await p
//     await q
//     await asyncio.sleep(0)
//     print(trace)
//
// asyncio.run(main())
// -> ['P-start', 'Q-start', 'P-child', 'P-cb', 'P-end', 'Q-child', 'Q-cb', 'Q-end']
#[test]
fn tasks_and_callbacks_created_inside_tasks_queue_behind_existing_work() {
    util::deadline(|| {
        let rt = one_worker();
        let trace = rt.block_on(async {
            let trace = Trace::default();
            let parent = |name: &'static str| {
                let trace = trace.clone();
                async move {
                    trace.push(format!("{name}-start"));
                    let tc = trace.clone();
                    drop(asyncio::create_task(async move {
                        tc.push(format!("{name}-child"))
                    }));
                    let tb = trace.clone();
                    asyncio::call_soon(move || tb.push(format!("{name}-cb")));
                    sleep0().await;
                    trace.push(format!("{name}-end"));
                }
            };
            let p = asyncio::create_task(parent("P"));
            let q = asyncio::create_task(parent("Q"));
            p.await.unwrap();
            q.await.unwrap();
            sleep0().await;
            trace.take()
        });
        assert_eq!(
            trace,
            ["P-start", "Q-start", "P-child", "P-cb", "P-end", "Q-child", "Q-cb", "Q-end"]
        );
    });
}

// import asyncio
//
// async def main():
//     trace = []
//     async def record(i):
//         trace.append(i)
//     tasks = [asyncio.create_task(record(i)) for i in range(1000)]
//     for t in tasks:
//         await t
//     print(trace == list(range(1000)))
//
// asyncio.run(main())
// -> True
/// 1000 tasks is well past the multi-worker local-queue capacity (256): FIFO must hold.
#[test]
fn create_task_order_is_fifo_past_the_local_queue_capacity() {
    util::deadline(|| {
        let rt = one_worker();
        let trace = rt.block_on(async {
            let trace = Arc::new(Mutex::new(Vec::new()));
            let tasks: Vec<Task<()>> = (0..1000)
                .map(|i| {
                    let trace = trace.clone();
                    asyncio::create_task(async move { trace.lock().unwrap().push(i) })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let v = trace.lock().unwrap().clone();
            v
        });
        assert_eq!(trace, (0..1000).collect::<Vec<_>>());
    });
}

// import asyncio, threading
//
// async def main():
//     loop = asyncio.get_running_loop()
//     trace, done = [], asyncio.Event()
//     def submit():
//         for i in range(1000):
//             loop.call_soon_threadsafe(trace.append, i)
//         loop.call_soon_threadsafe(done.set)
//     threading.Thread(target=submit).start()
//     await done.wait()
//     print(trace == list(range(1000)))
//
// asyncio.run(main())
// -> True
/// Callbacks submitted from one foreign thread run in submission order.
#[test]
fn call_soon_threadsafe_from_a_thread_runs_in_submission_order() {
    util::deadline(|| {
        let rt = one_worker();
        let (tx, rx) = mpsc::channel();
        let handle = rt.handle().clone();
        thread::spawn(move || {
            for i in 0..1000 {
                let tx = tx.clone();
                handle.call_soon_threadsafe(move || tx.send(i).unwrap());
            }
        })
        .join()
        .unwrap();
        let got: Vec<i32> = (0..1000)
            .map(|_| rx.recv_timeout(HANG_GUARD).unwrap())
            .collect();
        let first_bad = got.iter().enumerate().find(|(i, v)| *i as i32 != **v);
        assert!(
            first_bad.is_none(),
            "call_soon_threadsafe order broken on 1 worker, first at position {:?}; \
         around it: {:?}",
            first_bad.map(|(i, _)| i),
            first_bad.map(|(i, _)| &got[i.saturating_sub(3)..(i + 6).min(got.len())])
        );
    });
}

// import asyncio, threading
//
// async def main():
//     loop = asyncio.get_running_loop()
//     trace = []
//     async def record(i):
//         trace.append(i)
//     def submit():
//         return [asyncio.run_coroutine_threadsafe(record(i), loop) for i in range(1000)]
//     futs = await asyncio.to_thread(submit)
//     for f in futs:
//         await asyncio.wrap_future(f)
//     print(trace == list(range(1000)))
//
// asyncio.run(main())
// -> True
/// Tasks created from one foreign thread start in creation order.
#[test]
fn tasks_created_from_a_thread_start_in_creation_order() {
    util::deadline(|| {
        let rt = one_worker();
        let trace = Arc::new(Mutex::new(Vec::new()));
        let handle = rt.handle().clone();
        let t2 = trace.clone();
        let tasks = thread::spawn(move || {
            (0..1000)
                .map(|i| {
                    let trace = t2.clone();
                    handle.create_task(async move { trace.lock().unwrap().push(i) })
                })
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        rt.block_on(async move {
            for t in tasks {
                t.await.unwrap();
            }
        });
        let got = trace.lock().unwrap().clone();
        let first_bad = got.iter().enumerate().find(|(i, v)| *i as i32 != **v);
        assert!(
            first_bad.is_none(),
            "task start order broken on 1 worker, first at position {:?}; around it: {:?}",
            first_bad.map(|(i, _)| i),
            first_bad.map(|(i, _)| &got[i.saturating_sub(3)..(i + 6).min(got.len())])
        );
    });
}

// import asyncio
//
// async def main():
//     trace = []
//     async def child(name):
//         await asyncio.sleep(0)
//         trace.append(f"{name} done")
//     async def ticker():
//         for i in range(6):
//             trace.append(f"tick{i}")
//             await asyncio.sleep(0)
//     async def direct():
//         await asyncio.create_task(child("d"))
//         trace.append("direct resumed")
//     async def shielded():
//         await asyncio.shield(asyncio.create_task(child("s")))
//         trace.append("shield resumed")
//     async def gathered():
//         await asyncio.gather(asyncio.create_task(child("g")))
//         trace.append("gather resumed")
//     k = asyncio.create_task(ticker())
//     await asyncio.gather(direct(), shielded(), gathered())
//     await k
//     print(trace)
//
// asyncio.run(main())
// -> ['tick0', 'tick1', 'tick2', 'd done', 's done', 'g done', 'tick3', 'direct resumed',
//     'tick4', 'shield resumed', 'gather resumed', 'tick5']
/// Awaiting a task resumes one hop after it finishes (its done callback wakes the
/// awaiter); `shield` and `gather` two hops (the child's done callback sets the outer
/// future, whose done callback wakes the awaiter).
#[test]
fn awaiting_a_task_is_one_hop_shield_and_gather_two() {
    util::deadline(|| {
        let rt = one_worker();
        let trace = rt.block_on(async {
            let trace = Trace::default();
            let tc = trace.clone();
            let child = move |name: &'static str| {
                let trace = tc.clone();
                asyncio::create_task(async move {
                    sleep0().await;
                    trace.push(format!("{name} done"));
                })
            };
            let tr = trace.clone();
            let k = asyncio::create_task(async move {
                for i in 0..6 {
                    tr.push(format!("tick{i}"));
                    sleep0().await;
                }
            });
            let (tr, c) = (trace.clone(), child.clone());
            let direct = asyncio::create_task(async move {
                c("d").await.unwrap();
                tr.push("direct resumed");
            });
            let (tr, c) = (trace.clone(), child.clone());
            let shielded = asyncio::create_task(async move {
                asyncio::shield(c("s")).await.unwrap();
                tr.push("shield resumed");
            });
            let (tr, c) = (trace.clone(), child.clone());
            let gathered = asyncio::create_task(async move {
                asyncio::gather(vec![c("g")]).await.unwrap();
                tr.push("gather resumed");
            });
            asyncio::gather3(direct, shielded, gathered).await.unwrap();
            k.await.unwrap();
            trace.take()
        });
        assert_eq!(
            trace,
            [
                "tick0",
                "tick1",
                "tick2",
                "d done",
                "s done",
                "g done",
                "tick3",
                "direct resumed",
                "tick4",
                "shield resumed",
                "gather resumed",
                "tick5"
            ]
        );
    });
}
