//! The task call graph (asyncio 3.14's `capture_call_graph`, `print_call_graph`,
//! `python -m asyncio pstree`): who awaits whom — a task, a gather, a shield, a
//! `Future`, a lock — with the line of the await; `TaskGroup` and `wait_for`/`timeout`
//! scopes; the whole runtime as a `pstree`-like tree, also from a foreign thread while
//! two workers run; a done task leaves the graph.
//!
//! The trees are compared after [`normalise`] (ids and line numbers vary); the lines
//! themselves are checked in `awaiting_records_the_line_of_the_await`.

mod util;

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use asyncio::{AwaitedKind, Event, ScopeKind, Task, TaskGroup, TaskRef, TaskStatus};
use util::{deadline, rt, rt1, WORKER_COUNTS};

const LONG: Duration = Duration::from_secs(3600);

fn named<F>(name: &str, fut: F) -> Task<<F::Output as asyncio::IntoOutcome>::Value>
where
    F: std::future::Future + Send + 'static,
    F::Output: asyncio::IntoOutcome,
{
    Task::builder().name(name).create_task(fut)
}

/// A task body that waits for `stop`.
fn wait_on(stop: &Arc<Event>) -> impl std::future::Future<Output = ()> + Send + 'static {
    let stop = stop.clone();
    async move {
        let _ = stop.wait().await;
    }
}

/// Yields until no task but the caller is queued: every other task is suspended where it
/// waits (synchronising on the tasks' state, not on time).
async fn until_all_wait() {
    let me = asyncio::current_task().unwrap();
    for _ in 0..1000 {
        asyncio::sleep(Duration::ZERO).await.unwrap();
        let tree = asyncio::Handle::current().task_tree();
        if tree
            .tasks()
            .iter()
            .all(|t| t.id() == me.id() || t.status() == TaskStatus::Waiting)
        {
            return;
        }
    }
    panic!("tasks never all suspended");
}

/// Runs `body` on a 1-worker and a 2-worker runtime (what it checks does not depend on
/// the order tasks run in), each under the test deadline.
fn on_each_runtime<F>(body: impl Fn() -> F + Send + Clone + 'static)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send,
{
    for n in WORKER_COUNTS {
        let body = body.clone();
        deadline(move || rt(n).block_on(body()));
    }
}

/// The line of this file that ends with `marker` (a trailing comment): the expected
/// line stays with its code whatever `cargo fmt` does to the layout.
fn line_marked(marker: &str) -> u32 {
    let src = include_str!("call_graph.rs");
    let i = src
        .lines()
        .position(|l| l.trim_end().ends_with(marker))
        .unwrap_or_else(|| panic!("no line ends with {marker}"));
    i as u32 + 1
}

/// Replaces the digits after `id=`, `Task-` and `.rs:` with `N`.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for marker in ["id=", "Task-", ".rs:"] {
            if let Some(after) = rest.strip_prefix(marker) {
                let digits = after.chars().take_while(char::is_ascii_digit).count();
                if digits > 0 {
                    out.push_str(marker);
                    out.push('N');
                    rest = &after[digits..];
                    continue 'outer;
                }
            }
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[test]
fn normalise_replaces_ids_and_lines() {
    assert_eq!(
        normalise("(T) Task-12 [id=12, waiting] at tests/x.rs:40 id=x"),
        "(T) Task-N [id=N, waiting] at tests/x.rs:N id=x"
    );
}

/// `task.await`, `(&mut task).await`, `gather(..)`, `shield(..)`, `wait_for(..)` and
/// `Future::new()` report the user's line, not the runtime's.
#[test]
fn awaiting_records_the_line_of_the_await() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let t1 = named("t1", wait_on(&stop));
        let t1_ref = t1.task_ref();
        let by_value = named("by_value", async move {
            t1.await // @await
        });
        let mut t2 = named("t2", wait_on(&stop));
        let t2_ref = t2.task_ref();
        let by_mut = named("by_mut", async move {
            (&mut t2).await // @await-mut
        });
        let t3 = named("t3", wait_on(&stop));
        let gathering = named("gathering", async move {
            asyncio::gather2(t3, async {}).await // @gather
        });
        let t4 = named("t4", wait_on(&stop));
        let shielding = named("shielding", async move {
            asyncio::shield(t4).await // @shield
        });
        let t5 = named("t5", wait_on(&stop));
        let waiting = named("waiting", async move {
            asyncio::wait_for(t5, Some(LONG)).await // @wait_for
        });
        let fut = asyncio::Future::<i32>::new(); // @future
        let f = fut.clone();
        let on_future = named("on_future", f.into_future());
        let await_line = line_marked("// @await");
        let mut_line = line_marked("// @await-mut");
        let gather_line = line_marked("// @gather");
        let shield_line = line_marked("// @shield");
        let wait_for_line = line_marked("// @wait_for");
        let future_line = line_marked("// @future");
        until_all_wait().await;

        let line_of = |t: &TaskRef| {
            let g = asyncio::capture_call_graph(t).unwrap();
            let a = g.task().awaiting().unwrap().clone();
            let at = a.location().unwrap();
            assert_eq!(at.file(), file!());
            (a.kind(), at.line())
        };
        assert_eq!(
            line_of(&by_value.task_ref()),
            (AwaitedKind::Task, await_line)
        );
        assert_eq!(line_of(&by_mut.task_ref()), (AwaitedKind::Task, mut_line));
        assert_eq!(
            line_of(&gathering.task_ref()),
            (AwaitedKind::Gather, gather_line)
        );
        assert_eq!(
            line_of(&shielding.task_ref()),
            (AwaitedKind::Shield, shield_line)
        );
        assert_eq!(
            line_of(&waiting.task_ref()),
            (AwaitedKind::Task, wait_for_line)
        );
        assert_eq!(
            line_of(&on_future.task_ref()),
            (AwaitedKind::Future, future_line)
        );
        let scope = asyncio::capture_call_graph(&waiting.task_ref()).unwrap();
        let scope = &scope.task().scopes()[0];
        assert_eq!(
            (scope.kind(), scope.location().line()),
            (ScopeKind::WaitFor, wait_for_line)
        );
        // The awaited tasks' graphs lead back up to their awaiters.
        let up = asyncio::capture_call_graph(&t1_ref).unwrap();
        assert_eq!(up.awaited_by().len(), 1);
        assert_eq!(up.awaited_by()[0].task().name(), "by_value");
        let up = asyncio::capture_call_graph(&t2_ref).unwrap();
        assert_eq!(up.awaited_by()[0].task().name(), "by_mut");

        stop.set();
        fut.set_result(1).unwrap();
        for t in [by_value, by_mut] {
            t.await.unwrap();
        }
        gathering.await.unwrap();
        shielding.await.unwrap();
        waiting.await.unwrap().unwrap();
        assert_eq!(on_future.await.unwrap(), 1);
    });
}

/// A task awaiting a task: the awaiting task is the root, the awaited one under its
/// `.await`; the awaited one's call graph leads up to the awaiting one.
#[test]
fn task_awaiting_task() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let child = named("child", wait_on(&stop));
        let c = child.task_ref();
        let parent = named("parent", async move { child.await });
        until_all_wait().await;
        let tree = asyncio::Handle::current().task_tree().to_string();
        assert_eq!(
            normalise(&tree),
            "\
└── (T) Task-N [id=N, running]
└── (T) parent [id=N, waiting]
    └── await tests/call_graph.rs:N
        └── (T) child [id=N, waiting]
            └── Event.wait
"
        );
        let graph = asyncio::capture_call_graph(&c).unwrap();
        assert_eq!(
            normalise(&graph.to_string()),
            "\
* Task(name='child', id=N, waiting)
  + Awaiting:
  |   Event.wait
  + Awaited by:
    * Task(name='parent', id=N, waiting)
      + Awaiting:
      |   await tests/call_graph.rs:N
"
        );
        stop.set();
        parent.await.unwrap();
    });
}

/// Nested gathers: each child under the gather that waits for it, in argument order.
#[test]
fn nested_gather() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let c = named("c", wait_on(&stop));
        let d = named("d", wait_on(&stop));
        let a = named("a", async move { asyncio::gather2(c, d).await });
        let b = named("b", wait_on(&stop));
        let root = named("root", async move { asyncio::gather2(a, b).await });
        until_all_wait().await;
        let tree = asyncio::Handle::current().task_tree().to_string();
        assert_eq!(
            normalise(&tree),
            "\
└── (T) Task-N [id=N, running]
└── (T) root [id=N, waiting]
    └── gather tests/call_graph.rs:N
        ├── (T) a [id=N, waiting]
        │   └── gather tests/call_graph.rs:N
        │       ├── (T) c [id=N, waiting]
        │       │   └── Event.wait
        │       └── (T) d [id=N, waiting]
        │           └── Event.wait
        └── (T) b [id=N, waiting]
            └── Event.wait
"
        );
        stop.set();
        root.await.unwrap();
    });
}

/// A task group's children are under the group, under its parent task, while the body
/// runs and while the group waits for them at its exit; what the body awaits is under
/// the group too (it runs inside it).
#[test]
fn task_group_with_children() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let s = stop.clone();
        let root = named("root", async move {
            TaskGroup::run(|tg| async move {
                tg.create_task_with(Task::builder().name("one"), wait_on(&s))
                    .unwrap();
                tg.create_task_with(Task::builder().name("two"), wait_on(&s))
                    .unwrap();
                s.wait().await?;
                Ok::<_, asyncio::CancelledError>(())
            })
            .await
        });
        until_all_wait().await;
        let tree = normalise(&asyncio::Handle::current().task_tree().to_string());
        assert_eq!(
            tree,
            "\
└── (T) Task-N [id=N, running]
└── (T) root [id=N, waiting]
    └── TaskGroup tests/call_graph.rs:N
        ├── (T) one [id=N, waiting]
        │   └── Event.wait
        ├── (T) two [id=N, waiting]
        │   └── Event.wait
        └── Event.wait
"
        );
        let root_ref = root.task_ref();
        let node = asyncio::capture_call_graph(&root_ref).unwrap();
        assert_eq!(node.task().scopes().len(), 1);
        assert_eq!(node.task().scopes()[0].tasks().len(), 2);
        stop.set();
        root.await.unwrap();
        // The group's scope left with it.
        let tree = asyncio::Handle::current().task_tree();
        assert_eq!(tree.tasks().len(), 1);
    });
}

/// The body of a group done, the parent waits at the group's exit: the children stay
/// under the group (the exit registers no waiter: nothing else is under it).
#[test]
fn task_group_exit_waits_for_children() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let s = stop.clone();
        let root = named("root", async move {
            TaskGroup::run(|tg| async move {
                tg.create_task_with(Task::builder().name("child"), wait_on(&s))
                    .unwrap();
                Ok::<_, asyncio::CancelledError>(())
            })
            .await
        });
        until_all_wait().await;
        let tree = normalise(&asyncio::Handle::current().task_tree().to_string());
        assert_eq!(
            tree,
            "\
└── (T) Task-N [id=N, running]
└── (T) root [id=N, waiting]
    └── TaskGroup tests/call_graph.rs:N
        └── (T) child [id=N, waiting]
            └── Event.wait
"
        );
        stop.set();
        root.await.unwrap();
    });
}

/// `shield(task)`: the shielded task under the shield.
#[test]
fn shield_shows_the_inner_task() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let inner = named("inner", wait_on(&stop));
        let outer = named("outer", async move { asyncio::shield(inner).await });
        until_all_wait().await;
        let tree = normalise(&asyncio::Handle::current().task_tree().to_string());
        assert_eq!(
            tree,
            "\
└── (T) Task-N [id=N, running]
└── (T) outer [id=N, waiting]
    └── shield tests/call_graph.rs:N
        └── (T) inner [id=N, waiting]
            └── Event.wait
"
        );
        stop.set();
        outer.await.unwrap();
    });
}

/// `wait_for(task, d)` and `timeout(d).run(..)` are scopes of the awaiting task; what
/// the body awaits is inside them.
#[test]
fn wait_for_and_timeout_scopes() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let leaf = named("leaf", wait_on(&stop));
        let s = stop.clone();
        let outer = named("outer", async move {
            asyncio::timeout(Some(LONG))
                .run(async move { asyncio::wait_for(leaf, Some(LONG)).await })
                .await
        });
        let scoped = named("scoped", async move {
            asyncio::timeout(None)
                .run(async move { s.wait().await })
                .await
        });
        until_all_wait().await;
        let tree = normalise(&asyncio::Handle::current().task_tree().to_string());
        assert_eq!(
            tree,
            "\
└── (T) Task-N [id=N, running]
└── (T) outer [id=N, waiting]
    └── timeout tests/call_graph.rs:N
        └── wait_for tests/call_graph.rs:N
            └── await tests/call_graph.rs:N
                └── (T) leaf [id=N, waiting]
                    └── Event.wait
└── (T) scoped [id=N, waiting]
    └── timeout tests/call_graph.rs:N
        └── Event.wait
"
        );
        stop.set();
        outer.await.unwrap().unwrap().unwrap();
        scoped.await.unwrap().unwrap();
        // Both scopes left the registry.
        let me = asyncio::current_task().unwrap();
        let g = asyncio::capture_call_graph(&me).unwrap();
        assert!(g.task().scopes().is_empty());
    });
}

/// A task awaiting an `asyncio::Future`: the future, with the line that created it.
#[test]
fn task_awaiting_a_future() {
    on_each_runtime(|| async {
        let fut = asyncio::Future::<u8>::new(); // @created
        let created = line_marked("// @created");
        let f = fut.clone();
        let t = named("t", async move { f.await });
        let t_ref = t.task_ref();
        until_all_wait().await;
        let g = asyncio::capture_call_graph(&t_ref).unwrap();
        let a = g.task().awaiting().unwrap();
        assert_eq!(a.kind(), AwaitedKind::Future);
        assert_eq!(a.location().unwrap().line(), created);
        assert!(a.tasks().is_empty());
        assert_eq!(
            normalise(&a.to_string()),
            "Future created tests/call_graph.rs:N"
        );
        fut.set_result(3).unwrap();
        assert_eq!(t.await.unwrap(), 3);
    });
}

/// The whole tree of a program mixing them, exactly.
#[test]
fn tree_of_a_mixed_program() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let fut = asyncio::Future::<i32>::new();
        let (s, f) = (stop.clone(), fut.clone());
        let root = named("root", async move {
            TaskGroup::run(|tg| async move {
                let inner = named("inner", wait_on(&s));
                let a = named("a", async move { asyncio::shield(inner).await });
                let b = named("b", async move { f.await });
                tg.create_task_with(Task::builder().name("gatherer"), async move {
                    asyncio::gather2(a, b).await
                })
                .unwrap();
                let leaf = named("leaf", wait_on(&s));
                tg.create_task_with(Task::builder().name("waiter"), async move {
                    asyncio::wait_for(leaf, Some(LONG)).await
                })
                .unwrap();
                s.wait().await?;
                Ok::<_, asyncio::CancelledError>(())
            })
            .await
        });
        until_all_wait().await;
        let tree = normalise(&asyncio::Handle::current().task_tree().to_string());
        assert_eq!(
            tree,
            "\
└── (T) Task-N [id=N, running]
└── (T) root [id=N, waiting]
    └── TaskGroup tests/call_graph.rs:N
        ├── (T) gatherer [id=N, waiting]
        │   └── gather tests/call_graph.rs:N
        │       ├── (T) a [id=N, waiting]
        │       │   └── shield tests/call_graph.rs:N
        │       │       └── (T) inner [id=N, waiting]
        │       │           └── Event.wait
        │       └── (T) b [id=N, waiting]
        │           └── Future created tests/call_graph.rs:N
        ├── (T) waiter [id=N, waiting]
        │   └── wait_for tests/call_graph.rs:N
        │       └── await tests/call_graph.rs:N
        │           └── (T) leaf [id=N, waiting]
        │               └── Event.wait
        └── Event.wait
"
        );
        stop.set();
        fut.set_result(0).unwrap();
        root.await.unwrap();
    });
}

/// `cancelling()` and the message of the pending request show on the task's line.
#[test]
fn cancel_requests_show_with_their_message() {
    deadline(|| {
        rt1().block_on(async {
            let stop = Arc::new(Event::new());
            let s = stop.clone();
            // Catches the first cancellation and waits again.
            let stubborn = named("stubborn", async move {
                if s.wait().await.is_err() {
                    let _ = s.wait().await;
                }
            });
            until_all_wait().await;
            stubborn.cancel(Some("please stop"));
            until_all_wait().await;
            let tree = normalise(&asyncio::Handle::current().task_tree().to_string());
            assert_eq!(
                tree,
                "\
└── (T) Task-N [id=N, running]
└── (T) stubborn [id=N, waiting, cancelling=1, msg=\"please stop\"]
    └── Event.wait
"
            );
            stop.set();
            stubborn.await.unwrap();
        })
    });
}

/// Two tasks awaiting each other: neither is a root; both are drawn, once each.
#[test]
fn a_cycle_is_drawn_once() {
    deadline(|| {
        rt1().block_on(async {
            let slot = asyncio::Future::<Task<()>>::new();
            let s = slot.clone();
            let b = named("b", async move {
                let a = s.await.unwrap();
                a.await
            });
            let a = named("a", async move { b.await });
            slot.set_result(a.clone()).unwrap();
            until_all_wait().await;
            let tree = normalise(&asyncio::Handle::current().task_tree().to_string());
            assert_eq!(
                tree,
                "\
└── (T) Task-N [id=N, running]
└── (T) b [id=N, waiting]
    └── await tests/call_graph.rs:N
        └── (T) a [id=N, waiting]
            └── await tests/call_graph.rs:N
                └── (T) b [id=N] (see above)
"
            );
            // The call graph stops at the cycle too.
            let g = asyncio::capture_call_graph(&a).unwrap();
            assert_eq!(g.awaited_by()[0].task().name(), "b");
            assert_eq!(g.awaited_by()[0].awaited_by()[0].task().name(), "a");
            assert!(g.awaited_by()[0].awaited_by()[0].awaited_by().is_empty());
            a.cancel(None);
            assert!(a.await.unwrap_err().is_cancelled());
        })
    });
}

/// A task that finished leaves the graph: not in the tree, no call graph, and its awaiter
/// no longer shows it.
#[test]
fn a_done_task_disappears() {
    for n in WORKER_COUNTS {
        deadline(move || {
            rt(n).block_on(async {
                let stop = Arc::new(Event::new());
                let t = named("short", wait_on(&stop));
                let t_ref = t.task_ref();
                let tree = asyncio::Handle::current().task_tree();
                assert!(tree.get(t_ref.id()).is_some());
                assert!(asyncio::capture_call_graph(&t_ref).is_some());
                stop.set();
                t.await.unwrap();
                let tree = asyncio::Handle::current().task_tree();
                assert!(tree.get(t_ref.id()).is_none());
                assert!(!tree.to_string().contains("short"));
                assert!(asyncio::capture_call_graph(&t_ref).is_none());
            })
        });
    }
}

/// From a thread that is not a worker, while two workers run tasks that come and go:
/// every snapshot lists each live task once, and the stable part of the program shows as
/// it is.
#[test]
fn tree_from_a_foreign_thread_while_two_workers_run() {
    deadline(|| {
        let rt = rt(2);
        let handle = rt.handle().clone();
        let stop = Arc::new(Event::new());
        let s = stop.clone();
        let root = handle.create_task(async move {
            let mids: Vec<_> = (0..4)
                .map(|i| {
                    let leaf = named(&format!("leaf{i}"), wait_on(&s));
                    named(&format!("mid{i}"), async move { leaf.await })
                })
                .collect();
            asyncio::gather(mids).await
        });
        let s = stop.clone();
        let churn = handle.create_task(async move {
            while !s.is_set() {
                let t = asyncio::create_task(async { asyncio::sleep(Duration::ZERO).await });
                let _ = t.await;
            }
        });
        // Snapshots until the stable part shows (the test's deadline bounds the wait).
        loop {
            let tree = handle.task_tree();
            let text = tree.to_string();
            // Every live task is drawn in full exactly once.
            let full = text
                .lines()
                .filter(|l| l.contains("(T) ") && !l.ends_with("(see above)"))
                .count();
            assert_eq!(full, tree.tasks().len(), "{text}");
            let mids: Vec<_> = tree
                .tasks()
                .iter()
                .filter(|t| t.name().starts_with("mid"))
                .collect();
            let whole = mids.len() == 4
                && mids
                    .iter()
                    .all(|t| t.awaiting().is_some_and(|a| a.kind() == AwaitedKind::Task))
                && text.contains("gather tests/call_graph.rs:");
            if whole {
                break;
            }
            std::thread::yield_now();
        }
        stop.set();
        let results = rt.block_on(root).unwrap();
        assert_eq!(results.len(), 4);
        rt.block_on(churn).unwrap();
        assert!(handle.task_tree().tasks().is_empty());
    });
}

/// Polls two tasks in each poll (a hand-written `select!`): done when either is.
struct Either<'a> {
    a: &'a mut Task<()>,
    b: &'a mut Task<()>,
}

impl std::future::Future for Either<'_> {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let this = &mut *self;
        let a = std::pin::pin!((&mut *this.a).into_future()).poll(cx);
        let b = std::pin::pin!((&mut *this.b).into_future()).poll(cx);
        if a.is_ready() || b.is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }
}

/// A task suspended on two runtime awaitables at once (a `select!`): the graph says so
/// instead of picking one, and draws neither task under it.
#[test]
fn two_awaitables_in_one_poll_show_as_several() {
    on_each_runtime(|| async {
        let stop = Arc::new(Event::new());
        let mut a = named("a", wait_on(&stop));
        let mut b = named("b", wait_on(&stop));
        let selecting = named("selecting", async move {
            // `a` and `b` move into the task; `Either` borrows them there.
            let (a, b) = (&mut a, &mut b);
            Either { a, b }.await
        });
        until_all_wait().await;
        let g = asyncio::capture_call_graph(&selecting.task_ref()).unwrap();
        let awaiting = g.task().awaiting().unwrap();
        assert_eq!(awaiting.kind(), AwaitedKind::Several);
        assert!(awaiting.tasks().is_empty());
        let tree = normalise(&asyncio::Handle::current().task_tree().to_string());
        assert!(
            tree.contains("└── (T) selecting [id=N, waiting]\n    └── several awaitables\n"),
            "{tree}"
        );
        stop.set();
        selecting.await.unwrap();
    });
}
