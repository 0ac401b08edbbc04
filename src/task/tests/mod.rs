//! Loom models of the task protocols: the state word driven through the real cell and
//! harness, wakers, join handles, cancellation, done callbacks, the registries.
//!
//! Compiled only with `RUSTFLAGS="--cfg loom"` for `cargo test --lib`: see
//! `loom-tests/README.md`. Helpers: `crate::loom_model`.

mod loom_cancel_chain_vs_completion;
mod loom_cancel_during_step_vs_future_waiter;
mod loom_cancel_during_step_vs_waiter_registration;
mod loom_cancel_vs_completion_and_delegation;
mod loom_cancel_vs_resume_after_completion;
mod loom_done_callback_vs_completion;
mod loom_eager_graduation_vs_all_tasks;
mod loom_graph_snapshot_vs_resume_and_completion;
mod loom_inline_cancel_vs_first_waiter_registration;
mod loom_join_waker_order_vs_hooks;
mod loom_lazy_fields_first_use_race;
mod loom_panic_vs_cancel;
mod loom_registry_insert_remove_vs_all_tasks;
mod loom_result_vs_completion;
mod loom_shared_output_vs_completion;
mod loom_state_abort_vs_run;
mod loom_state_complete_vs_join_handle;
mod loom_state_wake_vs_run;
mod loom_task_abort_vs_run_vs_join_drop;
mod loom_task_wake_vs_run_vs_join_drop;
mod loom_waker_refcount_after_complete;
