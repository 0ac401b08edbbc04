//! Context variables (Python's `contextvars`, PEP 567) and asyncio's use of them: each
//! task runs in a copy of its creator's context taken at creation (or in the `Context`
//! given with `.context(ctx)`), callbacks and done callbacks in the context of their
//! registration, `to_thread` in the caller's. Reset/run rules and their errors.
//!
//! Each rule is checked against CPython 3.13 with the script quoted above its test.
//! Tests that depend on asyncio's order run on one worker; the others on 1 and 2.

mod util;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::contextvars::{copy_context, Context, ContextError, ContextVar};
use util::{deadline, rt, rt1, WORKER_COUNTS};

// ---- PEP 567 rules, no runtime --------------------------------------------------------

/// ```python
/// v = contextvars.ContextVar('v', default='d'); w = contextvars.ContextVar('w')
/// print(w.get('x'), v.get('x'), v.get())    # x x d
/// ```
#[test]
fn get_prefers_the_value_then_the_given_default_then_the_var_default() {
    let v = ContextVar::with_default("v", "d");
    let w: ContextVar<&str> = ContextVar::new("w");
    assert_eq!(
        (w.get_or("x"), v.get_or("x"), v.get()),
        ("x", "x", Some("d"))
    );
    assert_eq!(w.get(), None);
    let t = v.set("set");
    assert_eq!((v.get_or("x"), v.get()), ("set", Some("set")));
    v.reset(&t).unwrap();
    assert_eq!(v.get(), Some("d"));
}

/// ```python
/// t = v.set(1); v.reset(t); v.reset(t)   # RuntimeError: <Token ...> has already been used once
/// ctx = copy_context(); tok = v.set(2)
/// ctx.run(v.reset, tok)                   # ValueError: <Token ...> was created in a different Context
/// w.reset(tok)                            # ValueError: <Token ...> was created by a different ContextVar
/// print(tok.old_value is Token.MISSING, t.old_value)   # True <Token.MISSING>
/// ```
#[test]
fn reset_rules_and_errors_in_pythons_order() {
    let v = ContextVar::with_default("v", 0);
    let w = ContextVar::new("w");
    let t = v.set(1);
    assert_eq!(t.old_value(), None);
    assert_eq!(v.reset(&t), Ok(()));
    assert_eq!(v.reset(&t), Err(ContextError::TokenUsed));
    // A used token is reported as used before anything else.
    assert_eq!(w.reset(&t), Err(ContextError::TokenUsed));

    let ctx = copy_context();
    let tok = v.set(2);
    assert_eq!(
        ctx.run(|| v.reset(&tok)).unwrap(),
        Err(ContextError::DifferentContext)
    );
    assert_eq!(w.reset(&tok), Err(ContextError::DifferentVar));
    assert!(!tok.used(), "a failed reset leaves the token usable");
    let again = v.set(3);
    assert_eq!(again.old_value(), Some(2));
    v.reset(&again).unwrap();
    v.reset(&tok).unwrap();
    assert_eq!(v.get(), Some(0));
    assert_eq!(tok.var_name(), "v");
}

/// ```python
/// ctx.run(ctx.run, print, 'x')   # RuntimeError: cannot enter context: <...> is already entered
/// ```
#[test]
fn context_run_twice_is_an_error_and_run_keeps_its_writes() {
    let v = ContextVar::new("v");
    v.set("outer");
    let ctx = copy_context();
    assert_eq!(
        ctx.run(|| ctx.run(|| ())).unwrap(),
        Err(ContextError::AlreadyEntered)
    );
    ctx.run(|| {
        assert_eq!(v.get(), Some("outer"));
        v.set("inner");
    })
    .unwrap();
    assert_eq!(v.get(), Some("outer"));
    assert_eq!(ctx.get(&v), Some("inner"));
    assert!(ctx.contains(&v));
    assert_eq!(ctx.len(), 1);
    // Entered again after the run ended, also after a run that panicked.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ctx.run(|| panic!("in run")).unwrap()
    }));
    assert!(panicked.is_err());
    assert_eq!(
        v.get(),
        Some("outer"),
        "the caller's context is back after a panic"
    );
    assert_eq!(ctx.run(|| v.get()).unwrap(), Some("inner"));
    // A token made in a run is reset in a later run of the same context.
    let tok = ctx.run(|| v.set("second")).unwrap();
    assert_eq!(v.reset(&tok), Err(ContextError::DifferentContext));
    assert_eq!(ctx.run(|| v.reset(&tok)).unwrap(), Ok(()));
    assert_eq!(ctx.get(&v), Some("inner"));
    let empty = Context::new();
    assert!(empty.is_empty());
    assert_eq!(empty.run(|| v.get()).unwrap(), None);
}

// ---- tasks ----------------------------------------------------------------------------

/// ```python
/// v.set('before')
/// async def child(tag):
///     seen.append((tag, v.get())); v.set(tag); await asyncio.sleep(0); seen.append((tag, v.get()))
/// a = asyncio.create_task(child('a')); v.set('after'); b = asyncio.create_task(child('b'))
/// await a; await b; print(seen, v.get())
/// # [('a', 'before'), ('b', 'after'), ('a', 'a'), ('b', 'b')] after
/// ```
#[test]
fn a_task_runs_in_a_copy_taken_at_creation_and_its_writes_stay_private() {
    static V: ContextVar<&str> = ContextVar::with_default("v", "unset");
    let seen = deadline(|| {
        rt1().block_on(async {
            V.set("before");
            let seen = Arc::new(Mutex::new(Vec::new()));
            let child = |tag: &'static str| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push((tag, V.get().unwrap()));
                    V.set(tag);
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                    seen.lock().unwrap().push((tag, V.get().unwrap()));
                }
            };
            let a = asyncio::create_task(child("a"));
            V.set("after");
            let b = asyncio::create_task(child("b"));
            a.await.unwrap();
            b.await.unwrap();
            assert_eq!(V.get(), Some("after"));
            let seen = seen.lock().unwrap().clone();
            seen
        })
    });
    assert_eq!(
        seen,
        [("a", "before"), ("b", "after"), ("a", "a"), ("b", "b")]
    );
}

/// Writes persist across awaits and follow the task to whichever worker polls it;
/// many tasks setting the same variable never see each other's values.
#[test]
fn many_tasks_keep_their_own_values_across_awaits_on_any_worker() {
    static V: ContextVar<usize> = ContextVar::new("v");
    for n in WORKER_COUNTS {
        deadline(move || {
            rt(n).block_on(async {
                V.set(usize::MAX);
                let tasks: Vec<_> = (0..64)
                    .map(|i| {
                        asyncio::create_task(async move {
                            assert_eq!(V.get(), Some(usize::MAX));
                            let token = V.set(i);
                            for _ in 0..10 {
                                asyncio::sleep(Duration::ZERO).await.unwrap();
                                assert_eq!(V.get(), Some(i));
                            }
                            V.reset(&token).unwrap();
                            V.get()
                        })
                    })
                    .collect();
                for t in tasks {
                    assert_eq!(t.await.unwrap(), Some(usize::MAX));
                }
                assert_eq!(V.get(), Some(usize::MAX));
            })
        });
    }
}

/// A token made in one task is from another context in a second task, and in the
/// creator.
#[test]
fn a_token_from_another_task_is_refused() {
    static V: ContextVar<u8> = ContextVar::new("v");
    for n in WORKER_COUNTS {
        deadline(move || {
            rt(n).block_on(async {
                let asyncio::Value(token) =
                    asyncio::create_task(async { asyncio::Value(V.set(1)) })
                        .await
                        .unwrap();
                assert_eq!(V.reset(&token), Err(ContextError::DifferentContext));
                let token = Arc::new(token);
                let t = token.clone();
                let other = asyncio::create_task(async move { asyncio::Value(V.reset(&t)) });
                assert_eq!(other.await.unwrap().0, Err(ContextError::DifferentContext));
                assert!(!token.used());
            })
        });
    }
}

/// ```python
/// shared = contextvars.Context()
/// async def a(): v.set('a'); await asyncio.sleep(0); return v.get()
/// async def b(): await asyncio.sleep(0); return v.get()
/// ta = asyncio.create_task(a(), context=shared); tb = asyncio.create_task(b(), context=shared)
/// print('shared', await ta, await tb, shared.get(v))   # shared a a a
/// ```
#[test]
fn tasks_given_one_context_share_it() {
    static V: ContextVar<&str> = ContextVar::with_default("v", "unset");
    let out = deadline(|| {
        rt1().block_on(async {
            V.set("main");
            let shared = Context::new();
            let ta = asyncio::Task::builder()
                .context(&shared)
                .create_task(async {
                    V.set("a");
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                    V.get().unwrap()
                });
            let tb = asyncio::Task::builder()
                .context(&shared)
                .create_task(async {
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                    V.get().unwrap()
                });
            let out = (
                ta.await.unwrap(),
                tb.await.unwrap(),
                shared.get(&V).unwrap(),
            );
            assert_eq!(V.get(), Some("main"));
            out
        })
    });
    assert_eq!(out, ("a", "a", "a"));
}

/// Tasks sharing a context on two workers see every write (no lost update), and a
/// `Context::run` of it meanwhile is not refused because a task steps in it.
#[test]
fn tasks_sharing_a_context_on_two_workers_see_each_others_writes() {
    let vars: Arc<Vec<ContextVar<usize>>> =
        Arc::new((0..8).map(|_| ContextVar::new("slot")).collect());
    for n in WORKER_COUNTS {
        let vars = vars.clone();
        deadline(move || {
            rt(n).block_on(async move {
                let shared = Arc::new(Context::new());
                let tasks: Vec<_> = (0..vars.len())
                    .map(|i| {
                        let vars = vars.clone();
                        asyncio::Task::builder()
                            .context(&shared)
                            .create_task(async move {
                                vars[i].set(i);
                                asyncio::sleep(Duration::ZERO).await.unwrap();
                            })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                for (i, var) in vars.iter().enumerate() {
                    assert_eq!(shared.get(var), Some(i));
                }
                assert_eq!(shared.run(|| vars[3].get()).unwrap(), Some(3));
            })
        });
    }
}

/// ```python
/// async def e(): r = v.get(); v.set('eager'); return r
/// t = asyncio.eager_task_factory(loop, e())
/// print('eager', t.done(), t.result(), v.get())   # eager True main main
/// ```
#[test]
fn an_eager_task_runs_its_first_step_in_its_own_copy() {
    static V: ContextVar<&str> = ContextVar::new("v");
    for n in WORKER_COUNTS {
        deadline(move || {
            rt(n).block_on(async {
                V.set("main");
                let t = asyncio::create_eager_task(async {
                    let r = V.get();
                    V.set("eager");
                    r
                });
                assert!(t.done());
                assert_eq!(V.get(), Some("main"));
                assert_eq!(t.await.unwrap(), Some("main"));
                // One that suspends keeps its context after graduating.
                let t = asyncio::create_eager_task(async {
                    V.set("eager");
                    asyncio::sleep(Duration::ZERO).await.unwrap();
                    V.get()
                });
                assert!(!t.done());
                assert_eq!(V.get(), Some("main"));
                assert_eq!(t.await.unwrap(), Some("eager"));
            })
        });
    }
}

/// A panic in a task's step leaves the worker's context as it was.
#[test]
fn a_panicking_step_restores_the_workers_context() {
    static V: ContextVar<&str> = ContextVar::new("v");
    for n in WORKER_COUNTS {
        deadline(move || {
            rt(n).block_on(async {
                V.set("main");
                let t = asyncio::create_eager_task(async {
                    V.set("panicking");
                    panic!("boom");
                    #[allow(unreachable_code)]
                    ()
                });
                assert!(t.await.unwrap_err().is_panic());
                assert_eq!(V.get(), Some("main"));
                let clean = asyncio::create_task(async { V.get() });
                assert_eq!(clean.await.unwrap(), Some("main"));
            })
        });
    }
}

// ---- callbacks and threads ------------------------------------------------------------

/// ```python
/// v.set('at-call_soon'); loop.call_soon(lambda: out.append(('soon', v.get())))
/// v.set('at-call_later'); loop.call_later(0.001, lambda: out.append(('later', v.get())))
/// v.set('at-add_done'); fut.add_done_callback(lambda f: out.append(('done', v.get())))
/// async def completer(): v.set('completer'); fut.set_result(1)
/// v.set('main'); await asyncio.create_task(completer())
/// # [('soon', 'at-call_soon'), ('done', 'at-add_done'), ('later', 'at-call_later'), ...]
/// def cb_set(): v.set('cb')
/// loop.call_soon(cb_set); await asyncio.sleep(0); print('after cb', v.get())  # after cb main
/// ```
#[test]
fn callbacks_run_in_the_context_of_their_registration() {
    static V: ContextVar<&str> = ContextVar::new("v");
    for n in WORKER_COUNTS {
        deadline(move || {
            rt(n).block_on(async {
                // A queue, not a channel: the main task must not block the worker.
                let tx = Arc::new(asyncio::Queue::new(0));
                V.set("at-call_soon");
                let t = tx.clone();
                asyncio::call_soon(move || t.put_nowait(("soon", V.get())).unwrap());
                V.set("at-call_later");
                let t = tx.clone();
                asyncio::call_later(Duration::from_millis(1), move || {
                    t.put_nowait(("later", V.get())).unwrap()
                });
                let fut = asyncio::Future::<u32>::new();
                V.set("at-add_done");
                let t = tx.clone();
                fut.add_done_callback(move |_| t.put_nowait(("done", V.get())).unwrap());
                let task = asyncio::create_task(asyncio::sleep(Duration::ZERO));
                V.set("at-task-done");
                let t = tx.clone();
                task.add_done_callback(move |_| t.put_nowait(("task-done", V.get())).unwrap());
                V.set("main");
                let f = fut.clone();
                asyncio::create_task(async move {
                    V.set("completer");
                    f.set_result(1).unwrap();
                })
                .await
                .unwrap();
                task.await.unwrap();
                let t = tx.clone();
                asyncio::call_soon(move || {
                    V.set("cb");
                    t.put_nowait(("cb", V.get())).unwrap();
                });
                let mut seen = Vec::new();
                for _ in 0..5 {
                    seen.push(tx.get().await.unwrap());
                }
                seen.sort();
                assert_eq!(
                    seen,
                    [
                        ("cb", Some("cb")),
                        ("done", Some("at-add_done")),
                        ("later", Some("at-call_later")),
                        ("soon", Some("at-call_soon")),
                        ("task-done", Some("at-task-done")),
                    ]
                );
                assert_eq!(V.get(), Some("main"));
            })
        });
    }
}

/// `call_soon_threadsafe` from a foreign thread carries that thread's context, as
/// CPython's does (`context=None`: a copy of the caller's).
#[test]
fn call_soon_threadsafe_carries_the_calling_threads_context() {
    static V: ContextVar<&str> = ContextVar::new("v");
    for n in WORKER_COUNTS {
        deadline(move || {
            let rt = rt(n);
            let handle = rt.handle().clone();
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                V.set("foreign");
                handle.call_soon_threadsafe(move || tx.send(V.get()).unwrap());
            })
            .join()
            .unwrap();
            assert_eq!(rx.recv().unwrap(), Some("foreign"));
            drop(rt);
        });
    }
}

/// ```python
/// out.append(('thread', await asyncio.to_thread(v.get)))
/// def thread_set(): v.set('in-thread'); return v.get()
/// out.append(('thread-set', await asyncio.to_thread(thread_set), v.get()))
/// # ('thread', 'main'), ('thread-set', 'in-thread', 'main')
/// ```
#[test]
fn to_thread_runs_in_a_copy_of_the_callers_context() {
    static V: ContextVar<&str> = ContextVar::new("v");
    for n in WORKER_COUNTS {
        deadline(move || {
            rt(n).block_on(async {
                V.set("main");
                assert_eq!(asyncio::to_thread(|| V.get()).await.unwrap(), Some("main"));
                let set = asyncio::to_thread(|| {
                    V.set("in-thread");
                    V.get()
                });
                assert_eq!(set.await.unwrap(), Some("in-thread"));
                assert_eq!(V.get(), Some("main"));
                // The pool thread is reused: the next job does not see the last one's set.
                V.set("second");
                assert_eq!(
                    asyncio::to_thread(|| V.get()).await.unwrap(),
                    Some("second")
                );
            })
        });
    }
}

/// `asyncio.run(main)` runs `main` in a copy of the caller's context: values set before
/// are seen, values set inside do not leak out.
#[test]
fn run_sees_the_callers_values_and_keeps_its_own() {
    static V: ContextVar<&str> = ContextVar::new("v");
    deadline(|| {
        V.set("caller");
        let inside = asyncio::run(async {
            let seen = V.get();
            V.set("inside");
            seen
        });
        assert_eq!(inside, Some("caller"));
        assert_eq!(V.get(), Some("caller"));
    });
}

/// ```python
/// async def setv(): v.set('first')
/// async def getv(): return v.get()
/// with asyncio.Runner() as r:
///     r.run(setv()); print(r.run(getv()), v.get())   # first unset
/// ```
#[test]
fn runner_runs_share_one_context() {
    static V: ContextVar<&str> = ContextVar::with_default("v", "unset");
    deadline(|| {
        let runner = asyncio::Runner::new().unwrap();
        runner.run(async {
            V.set("first");
        });
        let seen = runner.run(async {
            // Tasks of a later run inherit it too.
            asyncio::create_task(async { V.get() }).await.unwrap()
        });
        assert_eq!((seen, V.get()), (Some("first"), Some("unset")));
        runner.close();
    });
}

/// A token made in one `run` of a `Runner` is reset in the next: the same context.
#[test]
fn runner_token_of_one_run_resets_in_the_next() {
    static V: ContextVar<u32> = ContextVar::new("v");
    deadline(|| {
        let runner = asyncio::Runner::new().unwrap();
        let token = runner.run(async { V.set(1) });
        assert_eq!(runner.run(async move { V.reset(&token) }), Ok(()));
        assert_eq!(runner.run(async { V.get() }), None);
        runner.close();
    });
}

/// A signal handler runs in a copy of the context of its registration, afresh for each
/// signal (asyncio makes the handler's `Handle` with `context=None`). The only test of
/// this binary that raises a signal, and only once its handler is registered.
#[test]
fn a_signal_handler_runs_in_the_context_of_its_registration() {
    static V: ContextVar<&str> = ContextVar::new("v");
    deadline(|| {
        rt1().block_on(async {
            let seen = Arc::new(asyncio::Queue::new(0));
            let s = seen.clone();
            V.set("at-registration");
            asyncio::signal::add_signal_handler(libc::SIGUSR1, move || {
                s.put_nowait(V.get()).unwrap();
                V.set("in-handler"); // in this call's copy only
            })
            .unwrap();
            V.set("main");
            for _ in 0..2 {
                // SAFETY: `kill` with our own pid only sends a signal, which has a handler.
                assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) }, 0);
                assert_eq!(seen.get().await.unwrap(), Some("at-registration"));
            }
            assert!(asyncio::signal::remove_signal_handler(libc::SIGUSR1).unwrap());
            assert_eq!(V.get(), Some("main"));
        })
    });
}

/// A task created inside `ctx.run(..)` copies `ctx`; an eager task given `ctx` itself
/// while `ctx.run` is in progress runs (CPython 3.13 raises `RuntimeError: cannot enter
/// context` from its eager step, and its loop is left inconsistent:
/// docs/asyncio-differences.md), and writes to `ctx`.
#[test]
fn tasks_created_inside_context_run() {
    static V: ContextVar<&str> = ContextVar::new("v");
    for n in WORKER_COUNTS {
        deadline(move || {
            rt(n).block_on(async {
                V.set("main");
                let ctx = Context::new();
                let (copied, eager) = ctx
                    .run(|| {
                        V.set("in-ctx");
                        let copied = asyncio::create_task(async {
                            let seen = V.get();
                            V.set("copy");
                            seen
                        });
                        let eager = asyncio::Task::builder()
                            .eager_start(true)
                            .context(&ctx)
                            .create_task(async {
                                let seen = V.get();
                                V.set("eager");
                                seen
                            });
                        (copied, eager)
                    })
                    .unwrap();
                assert!(eager.done());
                assert_eq!(eager.await.unwrap(), Some("in-ctx"));
                assert_eq!(copied.await.unwrap(), Some("in-ctx"));
                assert_eq!(ctx.get(&V), Some("eager"));
                assert_eq!(V.get(), Some("main"));
            })
        });
    }
}
