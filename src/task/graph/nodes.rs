//! What the call graph is made of: a snapshot of one task ([`TaskNode`]), what it is
//! suspended on ([`Awaiting`]) and the scopes it is inside ([`TaskScope`]).

use std::fmt;
use std::panic::Location;

use crate::task::{TaskId, TaskRef};

/// What kind of awaitable a task is suspended on.
///
/// ```
/// assert_eq!(asyncio::AwaitedKind::Gather.to_string(), "gather");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AwaitedKind {
    /// Another task (`task.await`, also inside `wait_for(task, ..)`).
    Task,
    /// A [`gather`](crate::gather) of tasks.
    Gather,
    /// A [`shield`](crate::shield) around a task.
    Shield,
    /// An [`asyncio::Future`](crate::Future).
    Future,
    /// [`Lock::acquire`](crate::Lock::acquire) (also inside `Condition::wait`).
    Lock,
    /// [`Event::wait`](crate::Event::wait).
    Event,
    /// [`Semaphore::acquire`](crate::Semaphore::acquire).
    Semaphore,
    /// [`Condition::wait`](crate::Condition::wait).
    Condition,
    /// A [`Queue`](crate::Queue)'s `get`, `put` or `join`.
    Queue,
    /// A runtime-aware awaitable with no more to say (a `to_thread` job).
    Other,
    /// Several awaitables at once (a `select!` over runtime-aware awaitables).
    Several,
}

impl fmt::Display for AwaitedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AwaitedKind::Task => "await",
            AwaitedKind::Gather => "gather",
            AwaitedKind::Shield => "shield",
            AwaitedKind::Future => "Future",
            AwaitedKind::Lock => "Lock.acquire",
            AwaitedKind::Event => "Event.wait",
            AwaitedKind::Semaphore => "Semaphore.acquire",
            AwaitedKind::Condition => "Condition.wait",
            AwaitedKind::Queue => "Queue",
            AwaitedKind::Other => "awaitable",
            AwaitedKind::Several => "several awaitables",
        })
    }
}

/// What a task is suspended on: the awaitable's kind, where the await (or the
/// awaitable) was written, and the tasks it waits for.
///
/// ```
/// use std::sync::Arc;
/// asyncio::run(async {
///     let stop = Arc::new(asyncio::Event::new());
///     let s = stop.clone();
///     let child = asyncio::create_task(async move { s.wait().await.unwrap() });
///     let c = child.task_ref();
///     let parent = asyncio::create_task(async move { child.await.unwrap() });
///     asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
///     let graph = asyncio::capture_call_graph(&parent).unwrap();
///     let awaiting = graph.task().awaiting().unwrap();
///     assert_eq!(awaiting.kind(), asyncio::AwaitedKind::Task);
///     assert_eq!(awaiting.tasks(), [c.id()]);
///     assert!(awaiting.location().unwrap().file().ends_with(".rs"));
///     stop.set();
///     parent.await.unwrap();
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaiting {
    kind: AwaitedKind,
    at: Option<&'static Location<'static>>,
    tasks: Vec<TaskId>,
}

impl Awaiting {
    pub(crate) fn new(
        kind: AwaitedKind,
        at: Option<&'static Location<'static>>,
        tasks: Vec<TaskId>,
    ) -> Awaiting {
        Awaiting { kind, at, tasks }
    }

    pub(crate) fn of_tasks(
        kind: AwaitedKind,
        at: Option<&'static Location<'static>>,
        tasks: &[TaskRef],
    ) -> Awaiting {
        Awaiting::new(kind, at, tasks.iter().map(TaskRef::id).collect())
    }

    /// The kind of awaitable.
    pub fn kind(&self) -> AwaitedKind {
        self.kind
    }

    /// Where it was awaited (`task.await`) or made (`gather(..)`, `shield(..)`,
    /// `Future::new()`), if known.
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.at
    }

    /// The tasks it waits for, in its order (a gather's argument order).
    pub fn tasks(&self) -> &[TaskId] {
        &self.tasks
    }
}

impl fmt::Display for Awaiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)?;
        match (self.kind, self.at) {
            (AwaitedKind::Future, Some(at)) => write!(f, " created {}:{}", at.file(), at.line()),
            (_, Some(at)) => write!(f, " {}:{}", at.file(), at.line()),
            (_, None) => Ok(()),
        }
    }
}

/// What kind of scope a task is inside.
///
/// ```
/// assert_eq!(asyncio::ScopeKind::TaskGroup.to_string(), "TaskGroup");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScopeKind {
    /// [`TaskGroup::run`](crate::TaskGroup::run): its children are under it.
    TaskGroup,
    /// A [`timeout`](crate::timeout) or [`timeout_at`](crate::timeout_at) scope.
    Timeout,
    /// [`wait_for`](crate::wait_for).
    WaitFor,
}

impl fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScopeKind::TaskGroup => "TaskGroup",
            ScopeKind::Timeout => "timeout",
            ScopeKind::WaitFor => "wait_for",
        })
    }
}

/// A scope a task is inside: a task group (with its live children) or a timeout.
///
/// ```
/// asyncio::run(async {
///     asyncio::TaskGroup::run(|tg| async move {
///         let me = asyncio::current_task().unwrap();
///         let child = tg.create_task(async { asyncio::sleep(std::time::Duration::ZERO).await })?;
///         let node = asyncio::capture_call_graph(&me).unwrap().task().clone();
///         assert_eq!(node.scopes()[0].kind(), asyncio::ScopeKind::TaskGroup);
///         assert_eq!(node.scopes()[0].tasks(), [child.id()]);
///         Ok::<_, asyncio::RuntimeError>(())
///     })
///     .await
///     .unwrap();
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskScope {
    kind: ScopeKind,
    at: &'static Location<'static>,
    tasks: Vec<TaskId>,
}

impl TaskScope {
    pub(crate) fn new(
        kind: ScopeKind,
        at: &'static Location<'static>,
        tasks: Vec<TaskId>,
    ) -> TaskScope {
        TaskScope { kind, at, tasks }
    }

    /// The kind of scope.
    pub fn kind(&self) -> ScopeKind {
        self.kind
    }

    /// Where the scope was written (`TaskGroup::run(..)`, `timeout(..)`, `wait_for(..)`).
    pub fn location(&self) -> &'static Location<'static> {
        self.at
    }

    /// A task group's children not done, by id; empty for a timeout.
    pub fn tasks(&self) -> &[TaskId] {
        &self.tasks
    }
}

impl fmt::Display for TaskScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}:{}", self.kind, self.at.file(), self.at.line())
    }
}

/// Where a live task is in its life when the snapshot reads it.
///
/// ```
/// assert_eq!(asyncio::TaskStatus::Waiting.to_string(), "waiting");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskStatus {
    /// A worker is polling it.
    Running,
    /// Queued to run.
    Scheduled,
    /// Suspended, waiting for a wake-up.
    Waiting,
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskStatus::Running => "running",
            TaskStatus::Scheduled => "scheduled",
            TaskStatus::Waiting => "waiting",
        })
    }
}

/// One live task as a snapshot read it: name, id, status, cancel requests, what it
/// awaits and the scopes it is inside.
///
/// ```
/// asyncio::run(async {
///     let me = asyncio::current_task().unwrap();
///     me.cancel(Some("bye"));
///     let node = asyncio::capture_call_graph(&me).unwrap().task().clone();
///     assert_eq!(node.id(), me.id());
///     assert_eq!(node.status(), asyncio::TaskStatus::Running);
///     assert_eq!((node.cancelling(), node.cancel_message()), (1, Some("bye")));
///     me.uncancel();
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskNode {
    pub(crate) id: TaskId,
    pub(crate) name: String,
    pub(crate) status: TaskStatus,
    pub(crate) cancelling: u32,
    pub(crate) cancel_message: Option<String>,
    pub(crate) scopes: Vec<TaskScope>,
    pub(crate) awaiting: Option<Awaiting>,
}

impl TaskNode {
    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The task's name (`get_name()`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Running, scheduled or waiting.
    pub fn status(&self) -> TaskStatus {
        self.status
    }

    /// `cancelling()`: cancel requests not withdrawn by `uncancel()`.
    pub fn cancelling(&self) -> u32 {
        self.cancelling
    }

    /// The message of the latest cancel request, while `cancelling() > 0`.
    pub fn cancel_message(&self) -> Option<&str> {
        self.cancel_message.as_deref()
    }

    /// The scopes the task is inside, outermost first.
    pub fn scopes(&self) -> &[TaskScope] {
        &self.scopes
    }

    /// What the task is suspended on, if it is a runtime-aware awaitable (`None` while it
    /// runs, or when it awaits `sleep` or a future foreign to the runtime).
    pub fn awaiting(&self) -> Option<&Awaiting> {
        self.awaiting.as_ref()
    }

    /// Every task this one waits for: its groups' children, then what it awaits.
    pub(crate) fn children(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.scopes
            .iter()
            .flat_map(|s| s.tasks.iter().copied())
            .chain(self.awaiting.iter().flat_map(|a| a.tasks.iter().copied()))
    }
}

impl fmt::Display for TaskNode {
    /// `(T) name [id=N, status, cancelling=K, msg="..."]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(T) {} [id={}, {}", self.name, self.id, self.status)?;
        if self.cancelling > 0 {
            write!(f, ", cancelling={}", self.cancelling)?;
        }
        if let Some(msg) = &self.cancel_message {
            write!(f, ", msg={msg:?}")?;
        }
        f.write_str("]")
    }
}
