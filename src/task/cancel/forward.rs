//! Forwarding a cancel along what tasks await: an explicit depth-first walk, never a
//! recursion, with cycle detection.
//!
//! `cancel(A)` where A awaits B, which awaits C, ... is asyncio's recursion
//! `A.cancel() -> B.cancel() -> C.cancel()`: every task on the chain gets the request
//! (counted, with the message) and the last one that has nothing (or a refusing waiter)
//! to forward to arms *must_cancel*. A gather forwards to each of its children in order,
//! each child's chain being walked before the next child is asked.
//!
//! Written as recursion, a chain of 100,000 awaiting tasks overflows the worker's stack,
//! and a cycle (A awaits B, B awaits A) never ends. So the walk keeps its own stack of
//! [`Step`]s, visiting tasks in exactly the recursion's order (so wake-ups, and therefore
//! one-worker schedules, are the same), and the set of tasks whose forward is in progress
//! (the current *path*). A task asked again while it is on the path closes a cycle: it
//! refuses (it already has this request), and the task that asked it arms
//! *must_cancel* itself, as for any refusing waiter. That task then wakes, receives the
//! cancellation at the await point it is suspended on (a request pending when a step
//! begins is delivered, not forwarded again: `deliver.rs`), and the cycle unwinds through
//! ordinary completions: every task of the cycle gets exactly one request.

use std::collections::HashSet;

use crate::loom::StdArc as Arc;

use crate::task::cancel::waiter::{CancelFanOut, CancelTarget};
use crate::task::TaskRef;

/// The tasks whose forward is in progress on the current walk.
#[derive(Default)]
pub(crate) struct Path {
    ids: HashSet<u64>,
}

impl Path {
    /// An empty path (a walk that has not started).
    pub(crate) fn new() -> Path {
        Path::default()
    }

    /// `true` if `task` was asked on this path already: asking it again closes a cycle.
    pub(crate) fn contains(&self, task: &TaskRef) -> bool {
        !self.ids.is_empty() && self.ids.contains(&task.id().as_u64())
    }
}

/// What step 1 of a request (`TaskRef::request_cancel`) found.
pub(crate) enum Request {
    /// Done, or already asked on this path: not accepted.
    Refused,
    /// Accepted and armed: the task was woken to receive it.
    Armed,
    /// Accepted and counted; the task is suspended on `CancelTarget`, which must be asked
    /// next.
    Forward(CancelTarget),
}

/// Who asked a target, and so what a refusal means.
enum Origin {
    /// A task whose counted request is being forwarded: if the target refuses, the task
    /// arms *must_cancel* itself (asyncio's `cancel()` after `_fut_waiter.cancel()`
    /// returned `False`).
    Task(TaskRef),
    /// The caller of the walk, which wants the answer of the first hop (the task running
    /// an await point, or a gather asked as a whole).
    Caller,
}

/// One pending piece of the recursion.
enum Step {
    /// Ask `target` on behalf of `origin`.
    Forward {
        origin: Origin,
        target: CancelTarget,
    },
    /// Ask the tasks of a fan-out (a gather) one after another; `next` is the index of
    /// the next one, `any` whether one accepted so far.
    FanOut {
        origin: Origin,
        fan: Arc<dyn CancelFanOut>,
        next: usize,
        any: bool,
    },
    /// A task's forward is over: it leaves the path.
    Leave(u64),
}

/// The walk: its stack, its path, the message it carries, and the answer for the caller.
struct Walk {
    stack: Vec<Step>,
    path: Path,
    msg: Option<Arc<str>>,
    accepted_for_caller: bool,
}

/// `from` (whose request was counted) is suspended on `target`: forwards the request
/// along everything it leads to.
pub(crate) fn forward_from(from: &TaskRef, target: CancelTarget, msg: Option<Arc<str>>) {
    let mut walk = Walk::new(msg);
    walk.enter(from.clone(), target);
    walk.run();
}

/// The running task `me` offers its pending request to `target`, the awaitable it is
/// suspended on, at the end of the step that made the request
/// (`deliver::forward_request_made_during_step`). Returns whether
/// `target` accepted. `me` is on the path, so a chain that leads back to it ends at the
/// task before it, which arms the request itself (and the cycle unwinds from there).
pub(crate) fn offer(me: &TaskRef, target: CancelTarget, msg: Option<Arc<str>>) -> bool {
    let mut walk = Walk::new(msg);
    walk.path.ids.insert(me.id().as_u64());
    walk.stack.push(Step::Forward {
        origin: Origin::Caller,
        target,
    });
    walk.run();
    walk.accepted_for_caller
}

impl Walk {
    fn new(msg: Option<Arc<str>>) -> Walk {
        Walk {
            stack: Vec::new(),
            path: Path::new(),
            msg,
            accepted_for_caller: false,
        }
    }

    /// `from` joins the path until everything its forward to `target` leads to is done.
    fn enter(&mut self, from: TaskRef, target: CancelTarget) {
        self.path.ids.insert(from.id().as_u64());
        self.stack.push(Step::Leave(from.id().as_u64()));
        self.stack.push(Step::Forward {
            origin: Origin::Task(from),
            target,
        });
    }

    fn run(&mut self) {
        while let Some(step) = self.stack.pop() {
            match step {
                Step::Leave(id) => {
                    self.path.ids.remove(&id);
                }
                Step::Forward { origin, target } => self.forward(origin, target),
                Step::FanOut {
                    origin,
                    fan,
                    next,
                    any,
                } => self.fan_out(origin, fan, next, any),
            }
        }
    }

    fn forward(&mut self, origin: Origin, target: CancelTarget) {
        let accepted = match target {
            CancelTarget::Task(task, _) => self.ask(task),
            CancelTarget::Tasks(fan) => {
                // The answer comes once every task of the fan-out was asked.
                self.stack.push(Step::FanOut {
                    origin,
                    fan,
                    next: 0,
                    any: false,
                });
                return;
            }
            CancelTarget::Other(waiter) => waiter.cancel_waiter(self.msg.clone()),
            CancelTarget::Ambiguous => false,
        };
        self.answer(origin, accepted);
    }

    fn fan_out(&mut self, origin: Origin, fan: Arc<dyn CancelFanOut>, next: usize, any: bool) {
        let Some(task) = fan.tasks().get(next).cloned() else {
            if any {
                fan.accepted(self.msg.clone());
            }
            self.answer(origin, any);
            return;
        };
        // Below the task's own forward, so that its chain is walked before the next task
        // of the fan-out is asked (the recursion's order).
        let resume = self.stack.len();
        self.stack.push(Step::FanOut {
            origin,
            fan,
            next: next + 1,
            any,
        });
        if self.ask(task) {
            if let Step::FanOut { any, .. } = &mut self.stack[resume] {
                *any = true;
            }
        }
    }

    /// What a target answered `origin`.
    fn answer(&mut self, origin: Origin, accepted: bool) {
        match origin {
            Origin::Task(from) if !accepted => from.arm_after_refusal(self.msg.clone()),
            Origin::Task(_) => {}
            Origin::Caller => self.accepted_for_caller = accepted,
        }
    }

    /// Step 1 of the request on `task`; its forward, if any, is pushed to run next.
    /// Returns whether it accepted.
    fn ask(&mut self, task: TaskRef) -> bool {
        match task.request_cancel(self.msg.clone(), &self.path) {
            Request::Refused => false,
            Request::Armed => true,
            Request::Forward(target) => {
                self.enter(task, target);
                true
            }
        }
    }
}
