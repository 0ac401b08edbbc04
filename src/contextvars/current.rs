//! The current context of a thread, and the context a task or callback carries.
//!
//! ## Protocol
//! Every thread has a current context: a thread-local [`TaskContext`], either a
//! *private* map (the thread's own, or that of the task or callback running on it) or a
//! shared [`Context`](super::Context) object. `ContextVar::get`/`set` read and write it.
//!
//! A task carries its context in its future ([`InContext`]). Each poll swaps it into the
//! thread-local and swaps the thread's previous one back afterwards — also when the poll
//! unwinds, by a guard — so that:
//! * the writes of a step stay in the task's own context and persist across its awaits;
//! * whatever worker polls the task next sees them (the context moves with the future,
//!   whose access the task's RUNNING bit already serialises: no lock, no atomics);
//! * nested steps (an eager task created inside a step, `Context::run` inside a task)
//!   restore the outer context when they end.
//!
//! **The shortcut.** When the task's context and the thread's are both pristine (no
//! values, no id: nothing was ever set in either, the common case), the swap is skipped:
//! the thread's pristine context stands for the task's during the step. A thread-local
//! `Cell<bool>` (`PRISTINE`, cleared by every write) says so in one load. If the step
//! wrote something, the guard moves the thread's context into the task's slot and puts a
//! pristine one back; otherwise nothing moves. On `yield_many` (a poll per yield) the
//! two swaps per poll were about 20% of the profile.
//!
//! A task created without `.context(ctx)` gets a *private copy* of its creator's current
//! context: the creator's `Arc<Vars>` cloned ([`capture`]), or nothing at all when no
//! variable is set — a task created where no variable was ever set allocates nothing
//! more. The cell keeps it in one word ([`ContextSlot`]): empty while pristine, else a
//! box whose contents the polls move into the thread's context and back ([`enter`]). A private
//! context gets an id (for [`Token`](super::Token) checks) only when something is set in
//! it.
//!
//! A task created with `.context(ctx)` shares the `Context` object: its values live
//! behind the object's lock, so tasks sharing it see each other's writes, also when they
//! step at the same time on two workers.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context as TaskCx, Poll};

use crate::contextvars::vars::{Value, Vars};
use crate::loom::sync::atomic::AtomicBool;
use crate::loom::{IdCounter, Mutex, StdArc};

/// Ids of contexts (private ones, once a token is made in them, and `Context` objects):
/// one process-wide range, so a token's context id never matches another context.
static CONTEXT_IDS: IdCounter = IdCounter::new();

/// A `Context` object's state (shared by the `Context` handle, and the tasks and
/// callbacks created with it).
pub(crate) struct ContextInner {
    /// Unique, from [`CONTEXT_IDS`].
    pub(crate) id: u64,
    /// The values (`None`: empty). Held only to clone, compare or swap the `Arc`: no user
    /// code runs under this lock.
    pub(crate) vars: Mutex<Option<StdArc<Vars>>>,
    /// Set while a `Context::run` is in progress (PEP 567: entering twice is an error).
    /// A flag only, publishing nothing: Relaxed suffices.
    pub(crate) entered: AtomicBool,
}

impl ContextInner {
    pub(crate) fn new(vars: Option<StdArc<Vars>>) -> ContextInner {
        ContextInner {
            id: CONTEXT_IDS.next(),
            vars: Mutex::new(vars),
            entered: AtomicBool::new(false),
        }
    }

    pub(crate) fn snapshot(&self) -> Option<StdArc<Vars>> {
        self.vars.lock().clone()
    }
}

impl std::fmt::Debug for ContextInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("id", &self.id).finish()
    }
}

/// The context a thread is in, or a task or callback carries. A clone is the same
/// context (same values, same id; the same object), not a copy: only a `Runner` clones,
/// to keep its context while a run carries it.
#[derive(Clone)]
pub(crate) enum TaskContext {
    /// A context nobody else can enter: a thread's own, a task's copy, a callback's copy.
    Private {
        /// The values (`None`: empty, the common case).
        vars: Option<StdArc<Vars>>,
        /// Assigned when the first token is made in it (0: none yet).
        id: u64,
    },
    /// A `Context` object, maybe shared with other tasks and threads.
    Object(StdArc<ContextInner>),
}

impl TaskContext {
    /// An empty private context.
    pub(crate) const EMPTY: TaskContext = TaskContext::Private { vars: None, id: 0 };

    /// `true` for an empty private context.
    pub(crate) fn is_empty_private(&self) -> bool {
        matches!(self, TaskContext::Private { vars: None, .. })
    }

    /// `true` for [`TaskContext::EMPTY`] itself: no values and no id (nothing was ever
    /// set in it). Two pristine contexts are interchangeable.
    fn is_pristine(&self) -> bool {
        matches!(self, TaskContext::Private { vars: None, id: 0 })
    }
}

impl Default for TaskContext {
    fn default() -> Self {
        TaskContext::EMPTY
    }
}

crate::loom::thread_local_const! {
    static CURRENT: RefCell<TaskContext> = RefCell::new(TaskContext::EMPTY);
}

crate::loom::thread_local_const! {
    /// `true` only while this thread's [`CURRENT`] is pristine (`false` may also mean
    /// pristine: it is only a shortcut). A `Cell<bool>` has no destructor, so reading it
    /// is one thread-local load, where `CURRENT` needs its registration check and a
    /// `RefCell` borrow. [`write`] clears it; [`enter`] and [`Entered`]'s drop set it to
    /// what they leave in `CURRENT`.
    static PRISTINE: Cell<bool> = Cell::new(true);
}

/// Records whether this thread's `CURRENT` is now pristine (nothing if the thread is
/// being torn down).
fn set_pristine(pristine: bool) {
    let _ = PRISTINE.try_with(|p| p.set(pristine));
}

/// `true` if this thread's `CURRENT` is known to be pristine.
fn known_pristine() -> bool {
    PRISTINE.try_with(Cell::get).unwrap_or(false)
}

/// A private copy of this thread's current context (what a new task, a callback or
/// `to_thread` runs in). Allocates nothing: at most one `Arc` clone.
pub(crate) fn capture() -> TaskContext {
    TaskContext::Private {
        vars: current_vars(),
        id: 0,
    }
}

/// The values of this thread's current context.
pub(crate) fn current_vars() -> Option<StdArc<Vars>> {
    CURRENT
        .try_with(|c| match &*c.borrow() {
            TaskContext::Private { vars, .. } => vars.clone(),
            TaskContext::Object(inner) => inner.snapshot(),
        })
        .ok()
        .flatten()
}

/// This thread's current context, copied with its id when it is a private one (what a
/// `Runner` keeps between runs); `None` for a `Context` object or a thread being torn
/// down.
pub(crate) fn current_private() -> Option<TaskContext> {
    CURRENT
        .try_with(|c| match &*c.borrow() {
            TaskContext::Private { vars, id } => Some(TaskContext::Private {
                vars: vars.clone(),
                id: *id,
            }),
            TaskContext::Object(_) => None,
        })
        .ok()
        .flatten()
}

/// The value of variable `var` in this thread's current context.
pub(crate) fn read(var: u64) -> Option<Value> {
    CURRENT
        .try_with(|c| match &*c.borrow() {
            TaskContext::Private { vars, .. } => vars.as_ref().and_then(|v| v.get(var).cloned()),
            TaskContext::Object(inner) => {
                inner.vars.lock().as_ref().and_then(|v| v.get(var).cloned())
            }
        })
        .ok()
        .flatten()
}

/// `true` if this thread's current context has id `context` (never for 0).
pub(crate) fn is_current(context: u64) -> bool {
    context != 0
        && CURRENT
            .try_with(|c| match &*c.borrow() {
                TaskContext::Private { id, .. } => *id == context,
                TaskContext::Object(inner) => inner.id == context,
            })
            .unwrap_or(false)
}

/// What a write found and did.
pub(crate) struct Written {
    /// The value before the write (`None`: not set).
    pub(crate) old: Option<Value>,
    /// The id of the context written to (0: the thread's context is gone, nothing was
    /// written).
    pub(crate) context: u64,
}

/// Sets (`Some`) or removes (`None`) variable `var` in this thread's current context,
/// returning the old value and the context's id. With `only_in`, writes only if the
/// current context has that id (and `None` is returned otherwise).
pub(crate) fn write(var: u64, value: Option<Value>, only_in: Option<u64>) -> Option<Written> {
    // The replaced map is dropped after the borrow and the lock are released: dropping it
    // may drop user values, whose destructors may use context variables.
    let mut replaced = None;
    // Whatever it writes, the context is no longer pristine (a private one gets an id).
    set_pristine(false);
    let written = CURRENT
        .try_with(|c| {
            let mut current = c.borrow_mut();
            match &mut *current {
                TaskContext::Private { vars, id } => {
                    if let Some(want) = only_in {
                        if *id != want {
                            return None;
                        }
                    }
                    if *id == 0 {
                        *id = CONTEXT_IDS.next();
                    }
                    let old = vars.as_ref().and_then(|v| v.get(var).cloned());
                    let new = Vars::with(vars.as_deref(), var, value);
                    replaced = mem::replace(vars, new);
                    Some(Written { old, context: *id })
                }
                TaskContext::Object(inner) => {
                    if only_in.is_some_and(|want| inner.id != want) {
                        return None;
                    }
                    let mut vars = inner.vars.lock();
                    let old = vars.as_ref().and_then(|v| v.get(var).cloned());
                    let new = Vars::with(vars.as_deref(), var, value);
                    replaced = mem::replace(&mut *vars, new);
                    Some(Written {
                        old,
                        context: inner.id,
                    })
                }
            }
        })
        .unwrap_or(Some(Written {
            old: None,
            context: 0,
        }));
    drop(replaced);
    written
}

/// Where a context is kept between steps: a plain [`TaskContext`] (a thread's own, a
/// callback's, a `Context::run`), or a task cell's one-word [`ContextSlot`]. [`enter`]
/// moves it into the thread-local for a step and back.
pub(crate) trait ContextStorage {
    /// `true` if what is kept is pristine (no values, no id).
    fn is_pristine(&self) -> bool;
    /// Moves the context out, leaving a pristine one (allocates nothing, drops nothing).
    fn take(&mut self) -> TaskContext;
    /// Keeps what a step left, in place of the pristine context `take` left.
    fn put(&mut self, left: TaskContext);
}

impl ContextStorage for TaskContext {
    fn is_pristine(&self) -> bool {
        TaskContext::is_pristine(self)
    }

    fn take(&mut self) -> TaskContext {
        mem::take(self)
    }

    fn put(&mut self, left: TaskContext) {
        // What is replaced is the empty context `take` left: dropping it runs no user
        // code, even while unwinding.
        *self = left;
    }
}

/// `slot` is this thread's current context until the guard drops; then the thread's
/// previous context is back and `slot` holds what the step left (its writes included).
pub(crate) struct Entered<'a, S: ContextStorage> {
    slot: &'a mut S,
    swap: Swap,
}

/// What [`enter`] did with the thread's current context.
enum Swap {
    /// `slot` and the thread's context were both pristine, so nothing was moved: the
    /// thread's (pristine) context stands for `slot`'s during the step. The common case
    /// (no variable ever set), at the cost of two loads of a `Cell<bool>`.
    Skipped,
    /// `slot`'s context was moved into the thread-local; this is the thread's previous
    /// one, put back on drop.
    Swapped(TaskContext),
    /// The thread-local is gone (thread teardown): the step runs in no context.
    NoThreadContext,
}

/// Enters `slot` (see [`Entered`]). At most two thread-local swaps of a small value;
/// nothing is allocated or dropped and no user code runs, except that a pristine
/// [`ContextSlot`] boxes what its step's first write left when the guard drops.
pub(crate) fn enter<S: ContextStorage>(slot: &mut S) -> Entered<'_, S> {
    if slot.is_pristine() && known_pristine() {
        return Entered {
            slot,
            swap: Swap::Skipped,
        };
    }
    let ctx = slot.take();
    let pristine = ctx.is_pristine();
    let swap = match CURRENT.try_with(|c| c.replace(ctx)) {
        Ok(prev) => {
            set_pristine(pristine);
            Swap::Swapped(prev)
        }
        Err(_) => Swap::NoThreadContext,
    };
    Entered { slot, swap }
}

impl<S: ContextStorage> Drop for Entered<'_, S> {
    fn drop(&mut self) {
        match mem::replace(&mut self.swap, Swap::NoThreadContext) {
            Swap::Skipped => {
                // Still pristine: the step set nothing; `slot` is pristine as it was.
                // Otherwise the step's context moves to `slot` and the thread's pristine
                // one (what it had before) is back.
                if !known_pristine() {
                    if let Ok(left) = CURRENT.try_with(|c| c.replace(TaskContext::EMPTY)) {
                        set_pristine(true);
                        self.slot.put(left);
                    }
                }
            }
            Swap::Swapped(prev) => {
                let pristine = prev.is_pristine();
                if let Ok(left) = CURRENT.try_with(|c| c.replace(prev)) {
                    set_pristine(pristine);
                    self.slot.put(left);
                }
            }
            Swap::NoThreadContext => {}
        }
    }
}

/// A task's or callback's context as its cell keeps it: one word. `None` is the pristine
/// context (nothing set, no id; the common case), which allocates nothing. A context with
/// values or an id lives in a box, allocated when the task is created in such a context
/// or when one of its steps first writes a variable, and kept for the task's life: every
/// later poll moves the box's contents into the thread's context and back, moving no
/// allocation.
#[derive(Default)]
pub(crate) struct ContextSlot(Option<Box<TaskContext>>);

impl ContextSlot {
    fn new(context: TaskContext) -> ContextSlot {
        if context.is_pristine() {
            ContextSlot(None)
        } else {
            ContextSlot(Some(Box::new(context)))
        }
    }
}

impl ContextStorage for ContextSlot {
    fn is_pristine(&self) -> bool {
        self.0.as_deref().is_none_or(TaskContext::is_pristine)
    }

    /// The box, once there, stays: it is left holding a pristine context.
    fn take(&mut self) -> TaskContext {
        self.0.as_deref_mut().map_or(TaskContext::EMPTY, mem::take)
    }

    /// Into the box if there is one; otherwise boxed only if not pristine.
    fn put(&mut self, left: TaskContext) {
        match &mut self.0 {
            Some(boxed) => **boxed = left,
            None if !left.is_pristine() => self.0 = Some(Box::new(left)),
            None => {}
        }
    }
}

/// A future (a task's, a callback's) that runs every poll in its own context.
pub(crate) struct InContext<F> {
    context: ContextSlot,
    future: F,
}

impl<F> InContext<F> {
    pub(crate) fn new(context: TaskContext, future: F) -> InContext<F> {
        InContext {
            context: ContextSlot::new(context),
            future,
        }
    }
}

impl<F: Future> Future for InContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is pinned structurally (never moved out of `self`, dropped in
        // place with it); `context` is not pinned, it is only swapped.
        let this = unsafe { self.get_unchecked_mut() };
        let _entered = enter(&mut this.context);
        // SAFETY: see above.
        unsafe { Pin::new_unchecked(&mut this.future) }.poll(cx)
    }
}

/// `f`, made to run in a private copy of the current context; `f` itself when that is
/// empty (callers run it in an empty context then).
pub(crate) fn bind<A: ?Sized + 'static>(
    f: Box<dyn FnOnce(&A) + Send + 'static>,
) -> Box<dyn FnOnce(&A) + Send + 'static> {
    let mut context = capture();
    if context.is_empty_private() {
        return f;
    }
    Box::new(move |a| {
        let _entered = enter(&mut context);
        f(a)
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// What every task cell carries for its context (module docs, "Cost"): printed, and
    /// kept at one word; the thread's own context (`TaskContext`) at three.
    #[test]
    fn a_task_cell_carries_one_word_of_context() {
        let size = mem::size_of::<ContextSlot>();
        println!("ContextSlot: {size} bytes per task cell");
        assert_eq!(size, mem::size_of::<usize>());
        assert!(mem::size_of::<TaskContext>() <= 3 * mem::size_of::<usize>());
    }

    fn slot_value(slot: &ContextSlot, var: u64) -> Option<u8> {
        match slot.0.as_deref() {
            Some(TaskContext::Private { vars: Some(v), .. }) => {
                v.get(var).and_then(|x| x.downcast_ref::<u8>().copied())
            }
            _ => None,
        }
    }

    /// The one-word slot: a pristine slot stays unallocated through a step that sets
    /// nothing; the first write boxes the step's context into the slot (also when the
    /// step unwinds); the next step sees it and its writes stay in the same box; the
    /// thread gets its own context back each time.
    #[test]
    fn a_context_slot_boxes_on_the_first_write_and_swaps_after() {
        let mut slot = ContextSlot::default();
        drop(enter(&mut slot));
        assert!(slot.0.is_none() && known_pristine());

        // The thread has a value of its own (not pristine): the swap is not skipped.
        let mut outer = TaskContext::Private {
            vars: Vars::with(None, 9, Some(StdArc::new(9u8))),
            id: 0,
        };
        let outer_guard = enter(&mut outer);
        {
            let _step = enter(&mut slot);
            assert!(read(9).is_none(), "a task's step runs in its own context");
            write(1, Some(StdArc::new(1u8)), None);
        }
        assert_eq!(slot_value(&slot, 1), Some(1));
        assert!(read(1).is_none() && read(9).is_some());
        let boxed: *const TaskContext = &**slot.0.as_ref().unwrap();
        // A boxed slot: the next step sees its earlier write and keeps the same box.
        {
            let _step = enter(&mut slot);
            assert!(read(1).is_some() && read(9).is_none());
            write(2, Some(StdArc::new(2u8)), None);
        }
        assert!(std::ptr::eq(boxed, &**slot.0.as_ref().unwrap()));
        assert_eq!(
            (slot_value(&slot, 1), slot_value(&slot, 2)),
            (Some(1), Some(2))
        );
        assert!(read(2).is_none() && read(9).is_some());
        drop(outer_guard);
        assert!(known_pristine() && read(9).is_none());

        // Skipped swap, unwinding: the write still lands in the slot.
        let mut unwinding = ContextSlot::default();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _step = enter(&mut unwinding);
            write(3, Some(StdArc::new(3u8)), None);
            panic!("step");
        }));
        assert!(unwound.is_err());
        assert_eq!(slot_value(&unwinding, 3), Some(3));
        assert!(read(3).is_none() && known_pristine());

        // Boxed slots, unwinding, one step nested in another.
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _outer_step = enter(&mut slot);
            let _inner_step = enter(&mut unwinding);
            assert!(read(3).is_some() && read(1).is_none());
            write(4, Some(StdArc::new(4u8)), None);
            panic!("step");
        }));
        assert!(unwound.is_err());
        assert_eq!(slot_value(&unwinding, 4), Some(4));
        assert_eq!(slot_value(&slot, 4), None);
        assert!(read(4).is_none() && read(1).is_none() && known_pristine());
    }

    /// The shortcut (`Swap::Skipped`): a step entered with both contexts pristine moves
    /// nothing, yet what it sets ends in its own slot, also when it unwinds, and the
    /// thread is pristine again after; a nested step sees only its own writes.
    #[test]
    fn a_pristine_step_keeps_its_writes_and_leaves_the_thread_pristine() {
        let mut task = TaskContext::EMPTY;
        {
            let _entered = enter(&mut task);
            let mut child = TaskContext::EMPTY;
            {
                let _child = enter(&mut child);
                write(3, Some(StdArc::new(3u8)), None);
            }
            assert!(read(3).is_none(), "the child's write stays in the child");
            assert!(
                matches!(&child, TaskContext::Private { vars: Some(v), .. } if v.get(3).is_some())
            );
            write(1, Some(StdArc::new(1u8)), None);
            assert!(read(1).is_some());
        }
        assert!(read(1).is_none() && known_pristine());
        assert!(matches!(&task, TaskContext::Private { vars: Some(v), .. } if v.get(1).is_some()));

        let mut unwinding = TaskContext::EMPTY;
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _entered = enter(&mut unwinding);
            write(2, Some(StdArc::new(2u8)), None);
            panic!("step");
        }));
        assert!(unwound.is_err());
        assert!(read(2).is_none() && known_pristine());
        assert!(
            matches!(&unwinding, TaskContext::Private { vars: Some(v), .. } if v.get(2).is_some())
        );
    }

    /// A poll that unwinds puts the thread's context back and keeps the task's.
    #[test]
    fn an_unwinding_step_restores_the_thread_context() {
        let mut outer = TaskContext::Private {
            vars: Vars::with(None, 1, Some(StdArc::new(1u8))),
            id: 0,
        };
        let _outer = enter(&mut outer);
        let mut task = TaskContext::EMPTY;
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _entered = enter(&mut task);
            write(2, Some(StdArc::new(2u8)), None);
            panic!("step");
        }));
        assert!(unwound.is_err());
        assert!(read(1).is_some() && read(2).is_none());
        assert!(matches!(&task, TaskContext::Private { vars: Some(v), .. } if v.get(2).is_some()));
    }
}
