//! `to_thread` / `Handle::run_in_executor` (asyncio's `threads.py`,
//! `loop.run_in_executor`): results and panics, cancellation of the awaiter (a running
//! closure keeps running, a queued one never starts), the bounded blocking pool, idle
//! threads exiting, and shutdown that drops queued jobs and never hangs on a running one.
//!
//! Mirrors CPython 3.13 `Lib/test/test_asyncio/test_threads.py` where a test exists.
//! Synchronisation with the blocking closures uses channels, never sleeps.

mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::TaskError;
use util::{rt, DropCount, WORKER_COUNTS};

#[test]
fn test_to_thread() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let result = rt(n).block_on(async {
                asyncio::to_thread(|| [40, 2].iter().sum::<i32>())
                    .await
                    .unwrap()
            });
            assert_eq!(result, 42);
        }
    });
}

#[test]
fn test_to_thread_exception() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let err = rt(n).block_on(async {
                asyncio::to_thread(|| -> u32 { panic!("test") })
                    .await
                    .unwrap_err()
            });
            match err {
                TaskError::Panicked(p) => assert_eq!(p.message(), "test"),
                other => panic!("{other:?}"),
            }
        }
    });
}

#[test]
fn test_to_thread_once() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let calls = Arc::new(AtomicUsize::new(0));
            let c = calls.clone();
            rt(n).block_on(async move {
                asyncio::to_thread(move || {
                    c.fetch_add(1, Ordering::SeqCst);
                })
                .await
                .unwrap();
            });
            assert_eq!(calls.load(Ordering::SeqCst), 1);
        }
    });
}

#[test]
fn test_to_thread_concurrent() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let calls = Arc::new(Mutex::new(Vec::new()));
            let c = calls.clone();
            rt(n).block_on(async move {
                let futs: Vec<_> = (0..10)
                    .map(|_| {
                        let c = c.clone();
                        asyncio::create_task(asyncio::to_thread(move || c.lock().unwrap().push(1)))
                    })
                    .collect();
                for f in futs {
                    f.await.unwrap();
                }
            });
            assert_eq!(calls.lock().unwrap().iter().sum::<i32>(), 10);
        }
    });
}

// to_thread(func, 'test', something=True): arguments travel in the closure.
#[test]
fn test_to_thread_args_kwargs() {
    util::deadline(|| {
        let out = rt(2).block_on(async {
            let (arg, something) = ("test".to_owned(), true);
            asyncio::to_thread(move || format!("{arg} {something}"))
                .await
                .unwrap()
        });
        assert_eq!(out, "test true");
    });
}

/// `loop.run_in_executor(None, f)` from a thread outside the runtime.
#[test]
fn test_run_in_executor_from_foreign_thread() {
    util::deadline(|| {
        let rt = rt(2);
        let handle = rt.handle().clone();
        let job = std::thread::spawn(move || handle.run_in_executor(|| "ran"))
            .join()
            .unwrap();
        assert_eq!(rt.block_on(job).unwrap(), "ran");
    });
}

/// The awaiting task is cancelled while the closure runs: the task gets `CancelledError`
/// at once, the closure keeps running to its end (asyncio), its result is dropped.
#[test]
fn test_to_thread_cancelled_awaiter_closure_keeps_running() {
    util::deadline(|| {
        for n in WORKER_COUNTS {
            let rt = rt(n);
            let (started_tx, started_rx) = mpsc::channel::<()>();
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let (done_tx, done_rx) = mpsc::channel::<&'static str>();
            let drops = DropCount::default();
            let token = drops.token();
            let task = rt.create_task(async move {
                asyncio::to_thread(move || {
                    started_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                    done_tx.send("finished").unwrap();
                    token // the result, dropped since nobody awaits it any more
                })
                .await
                .map(drop)
            });
            started_rx.recv().unwrap();
            task.cancel(Some("stop"));
            let err = rt.block_on(async move { task.await.unwrap_err().untracked() });
            assert_eq!(err.as_cancelled().unwrap().message(), Some("stop"));
            assert_eq!(drops.get(), 0, "still running");
            go_tx.send(()).unwrap();
            assert_eq!(done_rx.recv().unwrap(), "finished");
            drop(rt); // waits for the blocking thread: the result is dropped by then
            assert_eq!(drops.get(), 1);
        }
    });
}

/// A job still queued when its awaiter is cancelled never starts (asyncio cancels the
/// `concurrent.futures` future, which succeeds while it is pending).
#[test]
fn test_to_thread_cancelled_before_start_never_runs() {
    util::deadline(|| {
        let rt = asyncio::Builder::new()
            .worker_threads(2)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let blocker = rt.handle().run_in_executor(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
        });
        started_rx.recv().unwrap(); // the only blocking thread is busy
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let (submitted_tx, submitted_rx) = mpsc::channel::<()>();
        let queued = rt.create_task(async move {
            let job = asyncio::get_running_loop()
                .unwrap()
                .run_in_executor(move || r.store(true, Ordering::SeqCst));
            submitted_tx.send(()).unwrap();
            job.await.map(drop)
        });
        submitted_rx.recv().unwrap(); // queued behind the busy thread
        queued.cancel(None);
        let err = rt.block_on(async move { queued.await.unwrap_err().untracked() });
        assert!(err.is_cancelled());
        go_tx.send(()).unwrap();
        rt.block_on(blocker).unwrap();
        // FIFO on one thread: the cancelled job would have run before this one.
        rt.block_on(rt.handle().run_in_executor(|| ())).unwrap();
        assert!(!ran.load(Ordering::SeqCst), "a cancelled queued job ran");
    });
}

/// `max_blocking_threads(2)`: never more than 2 jobs at once, the others queue (FIFO) and
/// all run.
#[test]
fn test_max_blocking_threads() {
    util::deadline(|| {
        let rt = asyncio::Builder::new()
            .worker_threads(2)
            .max_blocking_threads(2)
            .build()
            .unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let (started_tx, started_rx) = mpsc::channel::<usize>();
        let gates: Vec<_> = (0..5).map(|_| mpsc::channel::<()>()).collect();
        let mut jobs = Vec::new();
        let mut releases = Vec::new();
        for (i, (tx, rx)) in gates.into_iter().enumerate() {
            releases.push(tx);
            let (running, max_seen, started_tx) =
                (running.clone(), max_seen.clone(), started_tx.clone());
            jobs.push(rt.handle().run_in_executor(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                max_seen.fetch_max(now, Ordering::SeqCst);
                started_tx.send(i).unwrap();
                rx.recv().unwrap();
                running.fetch_sub(1, Ordering::SeqCst);
                i
            }));
        }
        // The first two start; the rest wait for a free thread.
        let a = started_rx.recv().unwrap();
        let b = started_rx.recv().unwrap();
        assert_eq!((a.min(b), a.max(b)), (0, 1));
        assert_eq!(rt.handle().blocking_threads(), 2);
        assert!(started_rx.try_recv().is_err(), "a third job started");
        // Releasing the two running jobs frees both threads: the next two queued jobs
        // start, in either order (two threads race to start them), and the fifth waits.
        releases[0].send(()).unwrap();
        releases[1].send(()).unwrap();
        let mut next = [started_rx.recv().unwrap(), started_rx.recv().unwrap()];
        next.sort();
        assert_eq!(next, [2, 3]);
        assert!(started_rx.try_recv().is_err(), "a third job runs at once");
        releases[2].send(()).unwrap();
        assert_eq!(started_rx.recv().unwrap(), 4);
        releases[3].send(()).unwrap();
        releases[4].send(()).unwrap();
        for (i, j) in jobs.into_iter().enumerate() {
            assert_eq!(rt.block_on(j).unwrap(), i);
        }
        assert_eq!(max_seen.load(Ordering::SeqCst), 2);
        assert!(rt.handle().blocking_threads() <= 2);
    });
}

/// Threads are created on demand and exit after the keep-alive without work.
#[test]
fn test_idle_blocking_threads_exit_after_keep_alive() {
    util::deadline(|| {
        let rt = asyncio::Builder::new()
            .worker_threads(1)
            .blocking_keep_alive(Duration::from_millis(1))
            .build()
            .unwrap();
        assert_eq!(rt.handle().blocking_threads(), 0);
        rt.block_on(rt.handle().run_in_executor(|| ())).unwrap();
        // Wait (without a deadline: the keep-alive is 1 ms) for the thread to leave.
        while rt.handle().blocking_threads() != 0 {
            std::thread::yield_now();
        }
        // A new job starts a new thread.
        rt.block_on(rt.handle().run_in_executor(|| 5)).unwrap();
    });
}

/// A panicking job does not take its thread's pool down.
#[test]
fn test_to_thread_panic_then_more_jobs() {
    util::deadline(|| {
        let rt = asyncio::Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        rt.block_on(async {
            assert!(asyncio::to_thread(|| panic!("boom"))
                .await
                .unwrap_err()
                .is_panic());
            assert_eq!(asyncio::to_thread(|| 7).await.unwrap(), 7);
        });
    });
}

/// Shutdown drops the jobs not started (their closures are dropped unrun) and does not
/// wait beyond its bound for a running one, which finishes on its own later.
#[test]
fn test_shutdown_drops_queued_jobs_and_does_not_hang_on_running_one() {
    util::deadline(|| {
        let rt = asyncio::Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let running = rt.handle().run_in_executor(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            done_tx.send(()).unwrap();
        });
        started_rx.recv().unwrap();
        let drops = DropCount::default();
        let token = drops.token();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let queued = rt.handle().run_in_executor(move || {
            let _t = token;
            r.store(true, Ordering::SeqCst);
        });
        // The running job blocks until we say so: the shutdown gives up waiting for it.
        let all_done = rt.shutdown_timeout(Duration::from_millis(20));
        assert!(!all_done, "the running blocking job cannot have finished");
        assert_eq!(drops.get(), 1, "the queued job was dropped");
        assert!(!ran.load(Ordering::SeqCst));
        // Its awaiter learns it will never run.
        let err = futures_lite_block_on(queued).unwrap_err();
        assert!(err.is_cancelled());
        // The running job finishes on its own, detached.
        go_tx.send(()).unwrap();
        done_rx.recv().unwrap();
        futures_lite_block_on(running).unwrap();
    });
}

/// A minimal `block_on` for awaiting a `ToThread` outside any runtime.
fn futures_lite_block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Dropping a runtime waits for running blocking jobs (within its bound): here the job
/// ends before the bound, so the drop returns once it finished. Dropping the job's
/// future detaches it (like dropping a task handle): it still runs.
#[test]
fn test_runtime_drop_waits_for_running_job() {
    util::deadline(|| {
        let rt = asyncio::Builder::new().worker_threads(1).build().unwrap();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        drop(rt.handle().run_in_executor(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            f.store(true, Ordering::SeqCst);
        }));
        started_rx.recv().unwrap();
        let releaser = std::thread::spawn(move || go_tx.send(()).unwrap());
        drop(rt);
        releaser.join().unwrap();
        assert!(finished.load(Ordering::SeqCst));
    });
}

#[test]
#[should_panic(expected = "no running event loop")]
fn test_to_thread_outside_runtime_panics() {
    util::deadline(|| {
        drop(asyncio::to_thread(|| ()));
    });
}

const STACK_CHILD_ENV: &str = "ASYNCIO_STACK_CHILD";

/// Uses about `depth` * 64 KiB of stack.
#[inline(never)]
fn deep(depth: usize) -> usize {
    let buf = std::hint::black_box([1u8; 64 * 1024]);
    if depth == 0 {
        buf[0] as usize
    } else {
        deep(depth - 1) + std::hint::black_box(buf[depth % buf.len()]) as usize
    }
}

/// `Builder::thread_stack_size` reaches the blocking pool's threads too: a job that needs
/// 8 MiB of stack runs on a runtime built with 32 MiB (it overflowed the default 2 MiB
/// when only the workers got the size). In a child process, since an overflow aborts it.
#[test]
fn thread_stack_size_reaches_blocking_threads() {
    if std::env::var_os(STACK_CHILD_ENV).is_some() {
        let rt = asyncio::Builder::new()
            .worker_threads(1)
            .thread_stack_size(32 << 20)
            .build()
            .unwrap();
        let used = rt.block_on(async { asyncio::to_thread(|| deep(128)).await.unwrap() });
        println!("child: deep stack ok ({used})");
        return;
    }
    util::deadline(|| {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "thread_stack_size_reaches_blocking_threads",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(STACK_CHILD_ENV, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("child: deep stack ok"),
            "child failed ({}): {stdout}\n{stderr}",
            out.status
        );
    });
}
