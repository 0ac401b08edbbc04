//! The task state word: one `AtomicUsize` holding the lifecycle bits and the
//! reference count.
//!
//! ```text
//!  bit  name               meaning
//!  0    RUNNING            a thread holds the right to poll / drop the future
//!  1    COMPLETE           the future is gone; the stage holds the output (final)
//!  2    NOTIFIED           a `Notified` reference for this task sits in a run queue
//!                          (or the running thread must re-queue it after this poll)
//!  3    JOIN_INTEREST      the `Task<T>` handle is alive
//!  4    JOIN_WAKER         the join waker slot is set and owned by the runtime
//!  5    CANCELLED          force-cancel requested (`abort`, shutdown, forced cancel):
//!                          the future is dropped at the next chance
//!  6    MUST_CANCEL        an asyncio `cancel()` awaits delivery at the next
//!                          runtime-aware await point (the message is in `Extra`)
//!  7    OUTCOME_CANCELLED  with COMPLETE: the task ended cancelled
//!  8    OUTCOME_RAISED     with COMPLETE: the task ended with an exception (a panic
//!                          or the `Err` of its `Result` output)
//!  9    REGISTERED         the task is in the scheduled registry
//!  10   HAS_HOOKS          `Extra` holds something completion must handle: done
//!                          callbacks, completion waiters, a cancel waiter to release
//!  11   SHARED_OUTPUT      a `Task<T>` handle was cloned: JOIN_INTEREST stands for all
//!                          the handles (counted under the `Extra` lock), and every
//!                          handle reads the output by cloning it, none moves it out
//!  12   INLINE_REQUEST     one `cancel()` request without a message, counted here
//!                          because the asyncio fields were not allocated when it was
//!                          made (`lazy_fields.rs`); whoever next locks the fields
//!                          folds it into their request count
//!  13.. reference count    one unit per `Notified`, `Task<T>`, `TaskRef`, `Waker`,
//!                          registry entry
//! ```
//!
//! Every transition is a single read-modify-write that returns what the caller must do
//! next (tokio's `transition_to_*` style), so there is one modification order and no
//! state the caller has to re-derive. The rules of ownership, as in tokio:
//!
//! 1. Only the thread that set RUNNING touches the future or writes the stage.
//! 2. Once COMPLETE is set, the stage is owned by the `Task<T>` handle if JOIN_INTEREST is
//!    set (by all of them, reading only, with SHARED_OUTPUT; the last one drops it), else
//!    by the thread that completed the task.
//! 3. The join waker slot belongs to the `Task<T>` handle while JOIN_WAKER is unset, and
//!    to the runtime while it is set; the runtime reads it only after COMPLETE.

use std::fmt;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const JOIN_INTEREST: usize = 1 << 3;
const JOIN_WAKER: usize = 1 << 4;
const CANCELLED: usize = 1 << 5;
const MUST_CANCEL: usize = 1 << 6;
const OUTCOME_CANCELLED: usize = 1 << 7;
const OUTCOME_RAISED: usize = 1 << 8;
const REGISTERED: usize = 1 << 9;
const HAS_HOOKS: usize = 1 << 10;
const SHARED_OUTPUT: usize = 1 << 11;
const INLINE_REQUEST: usize = 1 << 12;

const LIFECYCLE_MASK: usize = RUNNING | COMPLETE;
const REF_COUNT_SHIFT: usize = 13;
const REF_ONE: usize = 1 << REF_COUNT_SHIFT;
const FLAGS_MASK: usize = REF_ONE - 1;

/// What [`State::try_inline_cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InlineCancel {
    /// MUST_CANCEL armed and the request counted in INLINE_REQUEST.
    Armed,
    /// The task is complete: the request is refused.
    Complete,
    /// Something the fields' lock orders is going on: take the lock.
    UseFields,
}

/// How a task ended; recorded in the state word when COMPLETE is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The future returned a value.
    Returned,
    /// The task ended cancelled.
    Cancelled,
    /// The task raised: its future (or its destructor) panicked, or it returned the
    /// `Err` of a `Result` output.
    Raised,
}

/// What a new cell starts with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Initial {
    /// References handed out at creation.
    pub(crate) refs: usize,
    /// A `Notified` is among them and will be pushed to a run queue.
    pub(crate) notified: bool,
    /// A `Task<T>` is among them.
    pub(crate) join_interest: bool,
    /// The creating thread polls the task right away (eager start): RUNNING is set and
    /// the creator's reference plays the role of the `Notified`.
    pub(crate) running: bool,
    /// The task is inserted into the scheduled registry (which holds one of the refs).
    pub(crate) registered: bool,
}

pub(crate) struct State {
    val: AtomicUsize,
}

/// A copy of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

#[must_use]
pub(crate) enum TransitionToRunning {
    /// The caller now owns the future; the snapshot is the state after the transition.
    Success(Snapshot),
    /// The caller owns the future and must cancel it (CANCELLED was set).
    Cancelled,
    /// Running or complete elsewhere; the caller's ref was consumed.
    Failed,
    /// As `Failed`, and that was the last ref: deallocate.
    Dealloc,
}

#[must_use]
pub(crate) enum TransitionToIdle {
    /// Idle; the poll's ref was consumed.
    Ok,
    /// Woken during the poll: the caller must re-queue the task with the new ref it now
    /// holds (its own ref is consumed).
    OkNotified,
    /// Idle and that was the last ref.
    OkDealloc,
    /// Force-cancel was requested during the poll: the caller still owns the future and
    /// must cancel it.
    Cancelled,
}

#[must_use]
pub(crate) enum TransitionToNotifiedByVal {
    /// Nothing to submit; the caller's ref was consumed.
    DoNothing,
    /// The caller must submit a `Notified` made from its ref.
    Submit,
    /// Nothing to submit and that was the last ref.
    Dealloc,
}

#[must_use]
pub(crate) enum TransitionToNotifiedByRef {
    DoNothing,
    /// A new ref was created: the caller must submit it as a `Notified`.
    Submit,
}

#[must_use]
pub(crate) struct TransitionToJoinHandleDrop {
    pub(crate) drop_waker: bool,
    pub(crate) drop_output: bool,
}

#[must_use]
pub(crate) enum TransitionToShutdown {
    /// The caller now holds RUNNING and must cancel the future.
    Cancel,
    /// Someone else is running it (they will see CANCELLED) or it is complete.
    NothingToDo,
}

impl State {
    pub(crate) fn new(init: Initial) -> State {
        let mut v = init.refs * REF_ONE;
        if init.notified {
            v |= NOTIFIED;
        }
        if init.join_interest {
            v |= JOIN_INTEREST;
        }
        if init.running {
            v |= RUNNING;
        }
        if init.registered {
            v |= REGISTERED;
        }
        State {
            val: AtomicUsize::new(v),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Ordering::Acquire))
    }

    /// Takes the right to poll. Clears NOTIFIED so wake-ups during the poll are seen.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_notified());
            if !next.is_idle() {
                next.ref_dec();
                let action = if next.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (action, Some(next));
            }
            next.0 |= RUNNING;
            next.0 &= !NOTIFIED;
            let action = if next.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success(next)
            };
            (action, Some(next))
        })
    }

    /// Gives up the right to poll after `Poll::Pending`.
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update_action(|curr| {
            debug_assert!(curr.is_running());
            if curr.is_cancelled() {
                return (TransitionToIdle::Cancelled, None);
            }
            let mut next = curr;
            next.0 &= !RUNNING;
            let action = if !next.is_notified() {
                next.ref_dec();
                if next.ref_count() == 0 {
                    TransitionToIdle::OkDealloc
                } else {
                    TransitionToIdle::Ok
                }
            } else {
                next.ref_inc();
                TransitionToIdle::OkNotified
            };
            (action, Some(next))
        })
    }

    /// RUNNING -> COMPLETE, recording the outcome. Returns the new state.
    pub(crate) fn transition_to_complete(&self, outcome: Outcome) -> Snapshot {
        let delta = RUNNING
            | COMPLETE
            | match outcome {
                Outcome::Returned => 0,
                Outcome::Cancelled => OUTCOME_CANCELLED,
                Outcome::Raised => OUTCOME_RAISED,
            };
        let prev = Snapshot(self.val.fetch_xor(delta, Ordering::AcqRel));
        debug_assert!(prev.is_running());
        debug_assert!(!prev.is_complete());
        debug_assert!(prev.0 & (OUTCOME_CANCELLED | OUTCOME_RAISED) == 0);
        Snapshot(prev.0 ^ delta)
    }

    /// Drops `count` refs at the end of completion. Returns `true` if the cell must be
    /// deallocated.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.val.fetch_sub(count * REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.ref_count() >= count);
        prev.ref_count() == count
    }

    /// A waker consumed by value asks for the task to be run.
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotifiedByVal {
        self.fetch_update_action(|mut next| {
            let action;
            if next.is_running() {
                next.0 |= NOTIFIED;
                next.ref_dec();
                debug_assert!(next.ref_count() > 0);
                action = TransitionToNotifiedByVal::DoNothing;
            } else if next.is_complete() || next.is_notified() {
                next.ref_dec();
                action = if next.ref_count() == 0 {
                    TransitionToNotifiedByVal::Dealloc
                } else {
                    TransitionToNotifiedByVal::DoNothing
                };
            } else {
                next.0 |= NOTIFIED;
                next.ref_inc();
                action = TransitionToNotifiedByVal::Submit;
            }
            (action, Some(next))
        })
    }

    /// A waker used by reference asks for the task to be run.
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotifiedByRef {
        self.fetch_update_action(|mut next| {
            if next.is_complete() {
                (TransitionToNotifiedByRef::DoNothing, None)
            } else if next.is_notified() {
                // Release store of the same value so the wake happens-before the poll.
                (TransitionToNotifiedByRef::DoNothing, Some(next))
            } else if next.is_running() {
                next.0 |= NOTIFIED;
                (TransitionToNotifiedByRef::DoNothing, Some(next))
            } else {
                next.0 |= NOTIFIED;
                next.ref_inc();
                (TransitionToNotifiedByRef::Submit, Some(next))
            }
        })
    }

    /// Requests a force-cancel and wakes the task if idle. Returns `true` if the caller
    /// must submit a new `Notified` (a ref was created for it).
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.fetch_update_action(|mut next| {
            if next.is_cancelled() || next.is_complete() {
                (false, None)
            } else if next.is_running() {
                next.0 |= NOTIFIED | CANCELLED;
                (false, Some(next))
            } else {
                next.0 |= CANCELLED;
                if !next.is_notified() {
                    next.0 |= NOTIFIED;
                    next.ref_inc();
                    (true, Some(next))
                } else {
                    (false, Some(next))
                }
            }
        })
    }

    /// Sets CANCELLED and takes RUNNING if the task is idle (shutdown path).
    pub(crate) fn transition_to_shutdown(&self) -> TransitionToShutdown {
        let mut prev = Snapshot(0);
        let _ = self.fetch_update(|mut next| {
            prev = next;
            if next.is_idle() {
                next.0 |= RUNNING;
            }
            next.0 |= CANCELLED;
            Some(next)
        });
        if prev.is_idle() {
            TransitionToShutdown::Cancel
        } else {
            TransitionToShutdown::NothingToDo
        }
    }

    /// Sets MUST_CANCEL. Returns the state before.
    pub(crate) fn set_must_cancel(&self) -> Snapshot {
        Snapshot(self.val.fetch_or(MUST_CANCEL, Ordering::AcqRel))
    }

    /// Sets SHARED_OUTPUT (a `Task<T>` handle is being cloned; the caller holds the
    /// `Extra` lock, where the handles are counted). Never cleared.
    pub(crate) fn set_shared_output(&self) {
        self.val.fetch_or(SHARED_OUTPUT, Ordering::AcqRel);
    }

    /// `cancel()` without a message on a task whose asyncio fields are not allocated:
    /// arms MUST_CANCEL and counts the request in INLINE_REQUEST, in one step, if the
    /// task is not complete and nothing that the fields' lock must order is going on:
    /// no hook or waiter (HAS_HOOKS), no request pending (MUST_CANCEL) or counted here
    /// already (INLINE_REQUEST). A waiter registration sets HAS_HOOKS before its waiter
    /// can be seen, so a request armed here came before it, as one arriving during the
    /// step that registers it (the end of the step then offers it to the waiter).
    pub(crate) fn try_inline_cancel(&self) -> InlineCancel {
        self.fetch_update_action(|curr| {
            if curr.is_complete() {
                (InlineCancel::Complete, None)
            } else if curr.0 & (HAS_HOOKS | MUST_CANCEL | INLINE_REQUEST) != 0 {
                (InlineCancel::UseFields, None)
            } else {
                (
                    InlineCancel::Armed,
                    Some(Snapshot(curr.0 | MUST_CANCEL | INLINE_REQUEST)),
                )
            }
        })
    }

    /// Clears INLINE_REQUEST; `true` if it was set (the caller, holding the fields'
    /// lock, adds the request to their count).
    pub(crate) fn take_inline_request(&self) -> bool {
        self.val.fetch_and(!INLINE_REQUEST, Ordering::AcqRel) & INLINE_REQUEST != 0
    }

    /// Clears MUST_CANCEL unless INLINE_REQUEST is set (a request armed without the
    /// fields' lock after their holder read the count: it must stay armed). `false`: left
    /// as it was.
    pub(crate) fn clear_must_cancel_unless_inline(&self) -> bool {
        self.fetch_update(|curr| {
            (!curr.has_inline_request()).then_some(Snapshot(curr.0 & !MUST_CANCEL))
        })
        .is_ok()
    }

    /// Clears MUST_CANCEL. Returns the state before.
    pub(crate) fn clear_must_cancel(&self) -> Snapshot {
        Snapshot(self.val.fetch_and(!MUST_CANCEL, Ordering::AcqRel))
    }

    /// Sets REGISTERED (the caller holds RUNNING and inserted the task into the
    /// scheduled registry, which holds one ref).
    pub(crate) fn set_registered(&self) {
        let prev = self.val.fetch_or(REGISTERED, Ordering::AcqRel);
        debug_assert!(prev & RUNNING != 0);
    }

    /// Sets HAS_HOOKS unless the task is complete. The caller holds the `Extra` lock and
    /// registers its hook only on success: HAS_HOOKS then precedes COMPLETE in the
    /// modification order, so the completing thread sees it and drains the hooks (under
    /// the same lock). On failure the task is complete and the caller handles its hook
    /// itself.
    pub(crate) fn set_has_hooks_if_pending(&self) -> bool {
        self.try_set_has_hooks().is_ok()
    }

    /// As [`set_has_hooks_if_pending`](Self::set_has_hooks_if_pending), returning the
    /// state after the transition (`Err`: the complete state). Whether JOIN_WAKER is set
    /// in it orders the new hook after or before the join waker (see `hooks.rs`).
    pub(crate) fn try_set_has_hooks(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|curr| {
            if curr.is_complete() {
                return None;
            }
            let mut next = curr;
            next.0 |= HAS_HOOKS;
            Some(next)
        })
    }

    /// Unsets JOIN_INTEREST (and JOIN_WAKER if not complete).
    pub(crate) fn transition_to_join_handle_dropped(&self) -> TransitionToJoinHandleDrop {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_join_interested());
            let mut t = TransitionToJoinHandleDrop {
                drop_waker: false,
                drop_output: false,
            };
            next.0 &= !JOIN_INTEREST;
            if !next.is_complete() {
                next.0 &= !JOIN_WAKER;
            } else {
                t.drop_output = true;
            }
            if !next.is_join_waker_set() {
                t.drop_waker = true;
            }
            (t, Some(next))
        })
    }

    /// Sets JOIN_WAKER; fails (returning the state) if the task completed.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|curr| {
            debug_assert!(curr.is_join_interested());
            debug_assert!(!curr.is_join_waker_set());
            if curr.is_complete() {
                return None;
            }
            let mut next = curr;
            next.0 |= JOIN_WAKER;
            Some(next)
        })
    }

    /// Unsets JOIN_WAKER; fails if the task completed.
    pub(crate) fn unset_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|curr| {
            debug_assert!(curr.is_join_interested());
            if curr.is_complete() {
                return None;
            }
            debug_assert!(curr.is_join_waker_set());
            let mut next = curr;
            next.0 &= !JOIN_WAKER;
            Some(next)
        })
    }

    /// Unsets JOIN_WAKER after completion (the runtime is done with the waker).
    pub(crate) fn unset_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_and(!JOIN_WAKER, Ordering::AcqRel));
        debug_assert!(prev.is_complete());
        debug_assert!(prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    pub(crate) fn ref_inc(&self) {
        // Relaxed is enough: a new ref is only made from an existing one (Boost's
        // reference-counting argument, as in `Arc`).
        let prev = self.val.fetch_add(REF_ONE, Ordering::Relaxed);
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Returns `true` if that was the last ref.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.ref_count() >= 1);
        prev.ref_count() == 1
    }

    fn fetch_update_action<F, T>(&self, mut f: F) -> T
    where
        F: FnMut(Snapshot) -> (T, Option<Snapshot>),
    {
        let mut curr = self.load();
        loop {
            let (output, next) = f(curr);
            let next = match next {
                Some(next) => next,
                None => return output,
            };
            match self
                .val
                .compare_exchange(curr.0, next.0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return output,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    fn fetch_update<F>(&self, mut f: F) -> Result<Snapshot, Snapshot>
    where
        F: FnMut(Snapshot) -> Option<Snapshot>,
    {
        let mut curr = self.load();
        loop {
            let next = match f(curr) {
                Some(next) => next,
                None => return Err(curr),
            };
            match self
                .val
                .compare_exchange(curr.0, next.0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(next),
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }
}

impl Snapshot {
    pub(crate) fn is_idle(self) -> bool {
        self.0 & LIFECYCLE_MASK == 0
    }
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING == RUNNING
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE == COMPLETE
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED == NOTIFIED
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST == JOIN_INTEREST
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER == JOIN_WAKER
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED == CANCELLED
    }
    pub(crate) fn is_must_cancel(self) -> bool {
        self.0 & MUST_CANCEL == MUST_CANCEL
    }
    pub(crate) fn is_registered(self) -> bool {
        self.0 & REGISTERED == REGISTERED
    }
    pub(crate) fn has_hooks(self) -> bool {
        self.0 & HAS_HOOKS == HAS_HOOKS
    }
    pub(crate) fn has_inline_request(self) -> bool {
        self.0 & INLINE_REQUEST == INLINE_REQUEST
    }
    pub(crate) fn is_shared_output(self) -> bool {
        self.0 & SHARED_OUTPUT == SHARED_OUTPUT
    }
    /// The outcome, once COMPLETE.
    pub(crate) fn outcome(self) -> Option<Outcome> {
        if !self.is_complete() {
            None
        } else if self.0 & OUTCOME_CANCELLED != 0 {
            Some(Outcome::Cancelled)
        } else if self.0 & OUTCOME_RAISED != 0 {
            Some(Outcome::Raised)
        } else {
            Some(Outcome::Returned)
        }
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_COUNT_SHIFT
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("join_interested", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("cancelled", &self.is_cancelled())
            .field("must_cancel", &self.is_must_cancel())
            .field("registered", &self.is_registered())
            .field("has_hooks", &self.has_hooks())
            .field("inline_request", &self.has_inline_request())
            .field("outcome", &self.outcome())
            .field("refs", &self.ref_count())
            .field("flags", &format_args!("{:#x}", self.0 & FLAGS_MASK))
            .finish()
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn state() -> State {
        State::new(Initial {
            refs: 1,
            notified: false,
            join_interest: true,
            running: false,
            registered: false,
        })
    }

    /// The inline request (`try_inline_cancel`): armed once, refused while anything the
    /// fields' lock orders is there, folded by `take_inline_request`, and kept armed
    /// against a holder of the lock that read the count before it
    /// (`clear_must_cancel_unless_inline`).
    #[test]
    fn inline_request_transitions() {
        let s = state();
        assert_eq!(s.try_inline_cancel(), InlineCancel::Armed);
        let snap = s.load();
        assert!(snap.is_must_cancel() && snap.has_inline_request());
        assert_eq!(snap.ref_count(), 1, "the ref count is below the flags");
        // A second request, or one while a hook exists, takes the lock.
        assert_eq!(s.try_inline_cancel(), InlineCancel::UseFields);
        assert!(
            !s.clear_must_cancel_unless_inline(),
            "the inline request stays armed"
        );
        assert!(s.load().is_must_cancel());
        assert!(s.take_inline_request());
        assert!(!s.take_inline_request(), "folded once");
        assert!(s.clear_must_cancel_unless_inline());
        assert!(!s.load().is_must_cancel());
        assert!(s.set_has_hooks_if_pending());
        assert_eq!(s.try_inline_cancel(), InlineCancel::UseFields);
    }
}
