//! [`capture_call_graph`]: one task and, upwards, the tasks that await it (CPython 3.14's
//! `asyncio.capture_call_graph(future=...)` and its `FutureCallGraph`).

use std::collections::HashSet;
use std::fmt;

use crate::task::graph::{snapshot, TaskNode};
use crate::task::{TaskId, TaskRef};

/// A task and the tasks awaiting it, recursively (CPython's `FutureCallGraph`): what it
/// is suspended on and the scopes it is inside take the place of the coroutine call stack
/// (a Rust future has no frames to walk). Print it with `{}`, as
/// `asyncio.print_call_graph` does.
///
/// ```
/// asyncio::run(async {
///     let child = asyncio::Task::builder()
///         .name("child")
///         .create_task(asyncio::sleep(std::time::Duration::from_secs(3600)));
///     let c = child.task_ref();
///     let parent = asyncio::Task::builder()
///         .name("parent")
///         .create_task(async move { child.await });
///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
///     let graph = asyncio::capture_call_graph(&c).unwrap();
///     assert_eq!(graph.task().name(), "child");
///     assert_eq!(graph.awaited_by()[0].task().name(), "parent");
///     let text = graph.to_string();
///     assert!(text.starts_with("* Task(name='child', id="));
///     assert!(text.contains("  + Awaited by:\n    * Task(name='parent', id="));
///     c.cancel(None);
///     assert!(parent.await.unwrap_err().is_cancelled());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct CallGraph {
    task: TaskNode,
    awaited_by: Vec<CallGraph>,
}

impl CallGraph {
    /// The task.
    pub fn task(&self) -> &TaskNode {
        &self.task
    }

    /// The live tasks waiting for this one (awaiting it, through a gather or a shield, or
    /// as the parent of its task group), each with its own awaiters. A task already on
    /// the chain below (a cycle) is listed without its awaiters.
    pub fn awaited_by(&self) -> &[CallGraph] {
        &self.awaited_by
    }

    fn render(&self, level: usize, out: &mut String) {
        let pad = "    ".repeat(level);
        let t = &self.task;
        out.push_str(&format!(
            "{pad}* Task(name={}, id={}, {}",
            py_quote(t.name()),
            t.id(),
            t.status()
        ));
        if t.cancelling() > 0 {
            out.push_str(&format!(", cancelling={}", t.cancelling()));
        }
        if let Some(msg) = t.cancel_message() {
            out.push_str(&format!(", msg={msg:?}"));
        }
        out.push_str(")\n");
        if t.awaiting().is_some() || !t.scopes().is_empty() {
            out.push_str(&format!("{pad}  + Awaiting:\n"));
            if let Some(a) = t.awaiting() {
                out.push_str(&format!("{pad}  |   {a}\n"));
            }
            for s in t.scopes().iter().rev() {
                out.push_str(&format!("{pad}  |   in {s}\n"));
            }
        }
        if !self.awaited_by.is_empty() {
            out.push_str(&format!("{pad}  + Awaited by:\n"));
            for g in &self.awaited_by {
                g.render(level + 1, out);
            }
        }
    }
}

/// A string as Python's `repr` quotes it (in `'`), as CPython prints a task's name.
fn py_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl fmt::Display for CallGraph {
    /// CPython's `print_call_graph` layout:
    ///
    /// ```text
    /// * Task(name='child', id=3, waiting)
    ///   + Awaiting:
    ///   |   Future created src/main.rs:7
    ///   + Awaited by:
    ///     * Task(name='parent', id=2, waiting)
    ///       + Awaiting:
    ///       |   await src/main.rs:9
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.render(0, &mut out);
        f.write_str(&out)
    }
}

/// The call graph of `task`: what it awaits, and the live tasks awaiting it, up to the
/// tasks nobody awaits (asyncio 3.14's `capture_call_graph(future=task)`). `None` if the
/// task is done. Callable from any thread, while the runtime runs.
///
/// Reads every live task of the task's runtime (to find who awaits it): a snapshot, each
/// task read at a slightly different moment, with each task's small lock taken briefly
/// and never two locks at once. A task shows what it is suspended on only while
/// suspended on a runtime-aware awaitable (another task, a gather, a shield, a `Future`,
/// a lock...): a running task, or one in `sleep`, awaits nothing here.
///
/// ```
/// asyncio::run(async {
///     let me = asyncio::current_task().unwrap();
///     let g = asyncio::capture_call_graph(&me).unwrap();
///     assert_eq!(g.task().id(), me.id());
///     assert!(g.awaited_by().is_empty());
/// });
/// ```
pub fn capture_call_graph(task: &TaskRef) -> Option<CallGraph> {
    if task.done() {
        return None;
    }
    let nodes = snapshot::capture(&task.header().scheduler);
    let mut path = HashSet::new();
    build(&nodes, task.id(), &mut path)
}

fn build(nodes: &[TaskNode], id: TaskId, path: &mut HashSet<TaskId>) -> Option<CallGraph> {
    let i = nodes.binary_search_by_key(&id, TaskNode::id).ok()?;
    let task = nodes[i].clone();
    let mut awaited_by = Vec::new();
    if path.insert(id) {
        for parent in nodes
            .iter()
            .filter(|n| n.id() != id && n.children().any(|c| c == id))
        {
            if let Some(g) = build(nodes, parent.id(), path) {
                awaited_by.push(g);
            }
        }
        path.remove(&id);
    }
    Some(CallGraph { task, awaited_by })
}

/// Prints the call graph of `task` to stdout (asyncio 3.14's
/// `print_call_graph(future=task)`); prints nothing if the task is done.
///
/// ```
/// asyncio::run(async {
///     asyncio::print_call_graph(&asyncio::current_task().unwrap());
/// });
/// ```
pub fn print_call_graph(task: &TaskRef) {
    if let Some(g) = capture_call_graph(task) {
        print!("{g}");
    }
}
