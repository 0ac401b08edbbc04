//! Runtime hooks (tokio's `on_thread_start`/`on_thread_stop` and its unstable
//! `on_task_spawn`/`on_task_terminate`), set on the [`Builder`](crate::Builder).
//!
//! * **Thread hooks** run on every thread the runtime starts — its workers and the
//!   threads of its blocking pool — first thing after the thread starts, and last thing
//!   before it ends.
//! * **Task hooks** run with the task's [`TaskRef`] (id, name, ...): `on_task_spawn` in the
//!   call that creates it (before an eager first step, before the task is queued),
//!   `on_task_terminate` on the thread that completes it, once it is done (`done()` is
//!   `true`, its outcome set), before its done callbacks run. Callbacks scheduled with
//!   `call_soon` are not tasks and run no task hook.
//!
//! A hook is user code the runtime calls on its own stack: a panic in it goes to the
//! exception handler ("Exception in a runtime hook") and changes nothing else. With no hook
//! set, spawning and completing a task pay one branch each.

use crate::loom::StdArc as Arc;
use std::fmt;

use crate::task::TaskRef;

/// A thread hook.
pub(crate) type ThreadHook = Arc<dyn Fn() + Send + Sync + 'static>;

/// A task hook.
pub(crate) type TaskHook = Arc<dyn Fn(&TaskRef) + Send + Sync + 'static>;

/// The hooks a runtime was built with.
#[derive(Clone, Default)]
pub(crate) struct RuntimeHooks {
    pub(crate) on_thread_start: Option<ThreadHook>,
    pub(crate) on_thread_stop: Option<ThreadHook>,
    pub(crate) on_task_spawn: Option<TaskHook>,
    pub(crate) on_task_terminate: Option<TaskHook>,
}

impl fmt::Debug for RuntimeHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeHooks")
            .field("on_thread_start", &self.on_thread_start.is_some())
            .field("on_thread_stop", &self.on_thread_stop.is_some())
            .field("on_task_spawn", &self.on_task_spawn.is_some())
            .field("on_task_terminate", &self.on_task_terminate.is_some())
            .finish()
    }
}

impl crate::runtime::scheduler::Shared {
    /// Runs a thread hook on this thread, if set (guarded).
    pub(crate) fn run_thread_hook(&self, hook: &Option<ThreadHook>) {
        if let Some(hook) = hook {
            self.run_user_code(crate::runtime::exception::UserCode::Hook, None, || hook());
        }
    }

    /// Runs a task hook for `task`, if set (guarded).
    #[inline]
    pub(crate) fn run_task_hook(&self, hook: &Option<TaskHook>, task: &TaskRef) {
        if let Some(hook) = hook {
            self.run_user_code(
                crate::runtime::exception::UserCode::Hook,
                Some(task.header()),
                || hook(task),
            );
        }
    }
}
