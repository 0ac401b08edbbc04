//! [`TaskTree`]: every live task of a runtime as a tree, the way `python -m asyncio
//! pstree` prints one.
//!
//! A task's children are the nodes of what it waits for: each scope it is inside
//! (outermost first; a task group with its children), then the awaitable it is
//! suspended on (under the innermost scope: the body awaits inside it), with the tasks
//! that awaitable waits for. The roots are the tasks no other live task waits for, by
//! id. Each task is drawn once, with its subtree, where it is first reached; reached
//! again (two awaiters, or a cycle of tasks awaiting each other), it is a one-line
//! reference `(see above)`. Tasks left over after the roots (a cycle that nothing
//! outside awaits) start trees of their own, by id, so every live task appears.

use std::collections::HashSet;
use std::fmt;

use crate::loom::sync::Arc;
use crate::runtime::scheduler::Shared;
use crate::task::graph::snapshot;
use crate::task::graph::TaskNode;
use crate::task::TaskId;

/// Every live task of a runtime, who awaits whom (`python -m asyncio pstree`). Made by
/// [`Handle::task_tree`](crate::Handle::task_tree); print it with `{}`.
///
/// A snapshot taken while the workers run: each task is read at a slightly different
/// moment (see [`capture_call_graph`](crate::capture_call_graph)).
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
///     let tree = asyncio::Handle::current().task_tree();
///     let text = tree.to_string();
///     // `└── (T) parent [id=.., waiting]` / `    └── await src/...:N` / `        └── (T) child ...`
///     assert!(text.contains("└── (T) parent"));
///     assert!(text.contains("        └── (T) child"));
///     assert_eq!(tree.tasks().len(), 3); // with the main task
///     c.cancel(None);
///     assert!(parent.await.unwrap_err().is_cancelled());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct TaskTree {
    nodes: Vec<TaskNode>,
}

impl TaskTree {
    pub(crate) fn capture(shared: &Arc<Shared>) -> TaskTree {
        TaskTree {
            nodes: snapshot::capture(shared),
        }
    }

    /// The live tasks, by id.
    pub fn tasks(&self) -> &[TaskNode] {
        &self.nodes
    }

    /// The task with this id, if it was live.
    pub fn get(&self, id: TaskId) -> Option<&TaskNode> {
        self.nodes
            .binary_search_by_key(&id, TaskNode::id)
            .ok()
            .map(|i| &self.nodes[i])
    }
}

/// One line to draw, and what is under it.
enum Item {
    Task(TaskId),
    Label(String, Vec<Item>),
}

struct Renderer<'a> {
    tree: &'a TaskTree,
    drawn: HashSet<TaskId>,
    out: String,
}

impl<'a> Renderer<'a> {
    /// The items under a task: its scopes, the innermost holding its awaitable.
    fn items_of(&self, node: &TaskNode) -> Vec<Item> {
        let live = |ids: &[TaskId]| -> Vec<Item> {
            ids.iter()
                .filter(|id| self.tree.get(**id).is_some())
                .map(|id| Item::Task(*id))
                .collect()
        };
        let mut inner: Vec<Item> = match node.awaiting() {
            Some(a) => vec![Item::Label(a.to_string(), live(a.tasks()))],
            None => Vec::new(),
        };
        for scope in node.scopes().iter().rev() {
            let mut under = live(scope.tasks());
            under.append(&mut inner);
            inner = vec![Item::Label(scope.to_string(), under)];
        }
        inner
    }

    fn draw(&mut self, item: &Item, prefix: &str, last: bool) {
        let branch = if last { "└── " } else { "├── " };
        let below = format!("{prefix}{}", if last { "    " } else { "│   " });
        match item {
            Item::Task(id) => {
                let Some(node) = self.tree.get(*id) else {
                    return;
                };
                if !self.drawn.insert(*id) {
                    self.line(
                        prefix,
                        branch,
                        &format!("(T) {} [id={}] (see above)", node.name(), id),
                    );
                    return;
                }
                self.line(prefix, branch, &node.to_string());
                let items = self.items_of(node);
                self.draw_all(&items, &below);
            }
            Item::Label(text, under) => {
                self.line(prefix, branch, text);
                self.draw_all(under, &below);
            }
        }
    }

    fn draw_all(&mut self, items: &[Item], prefix: &str) {
        for (i, item) in items.iter().enumerate() {
            self.draw(item, prefix, i + 1 == items.len());
        }
    }

    fn line(&mut self, prefix: &str, branch: &str, text: &str) {
        self.out.push_str(prefix);
        self.out.push_str(branch);
        self.out.push_str(text);
        self.out.push('\n');
    }
}

impl fmt::Display for TaskTree {
    /// One tree per root task, as `pstree`:
    ///
    /// ```text
    /// └── (T) main [id=1, waiting]
    ///     └── gather src/main.rs:12
    ///         ├── (T) a [id=2, waiting]
    ///         └── (T) b [id=3, waiting, cancelling=1, msg="stop"]
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let awaited: HashSet<TaskId> = self
            .nodes
            .iter()
            .flat_map(|n| n.children().filter(move |c| *c != n.id()))
            .collect();
        let mut r = Renderer {
            tree: self,
            drawn: HashSet::new(),
            out: String::new(),
        };
        let roots: Vec<TaskId> = self
            .nodes
            .iter()
            .map(TaskNode::id)
            .filter(|id| !awaited.contains(id))
            .collect();
        for id in roots {
            r.draw(&Item::Task(id), "", true);
        }
        // Cycles nothing outside awaits.
        let left: Vec<TaskId> = self
            .nodes
            .iter()
            .map(TaskNode::id)
            .filter(|id| !r.drawn.contains(id))
            .collect();
        for id in left {
            if !r.drawn.contains(&id) {
                r.draw(&Item::Task(id), "", true);
            }
        }
        f.write_str(&r.out)
    }
}
