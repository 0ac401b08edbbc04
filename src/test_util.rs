//! Hooks into the runtime's internals for this crate's own tests and benches.
//!
//! **Not part of the public API**: hidden from the documentation, exempt from semver,
//! may change or go away at any time. The integration tests use these counters to check
//! that nothing is left behind (timers, completion hooks, task cells, registry entries)
//! and that the workers' idle bookkeeping is consistent.
//!
//! ```
//! use asyncio::test_util::HandleTestExt;
//! let rt = asyncio::Runtime::new().unwrap();
//! assert_eq!(rt.handle().live_timers(), 0);
//! ```

use crate::runtime::Handle;
use crate::task::TaskRef;

/// Internal counters of a runtime.
pub trait HandleTestExt {
    /// Timers registered (sleeps, `call_later`, timeouts).
    fn live_timers(&self) -> usize;
    /// Tasks in the scheduled registry (scheduled at least once and not done).
    fn registered_tasks(&self) -> usize;
    /// Debug builds: task and callback cells of this runtime allocated and not yet freed
    /// (`None` in release builds). Back to 0 once the runtime is dropped and no handle
    /// is left.
    fn live_cells(&self) -> Option<usize>;
    /// The idle coordinator's counts: `(unparked workers, searching workers)`. A runtime
    /// with nothing to do settles at `(0, 0)`.
    fn idle_counts(&self) -> (usize, usize);
}

impl HandleTestExt for Handle {
    fn live_timers(&self) -> usize {
        self.shared.timers.len()
    }

    fn registered_tasks(&self) -> usize {
        self.shared.registry.len()
    }

    fn live_cells(&self) -> Option<usize> {
        self.shared.live_cells()
    }

    fn idle_counts(&self) -> (usize, usize) {
        self.shared.idle.counts()
    }
}

/// Internal counters of a task.
pub trait TaskRefTestExt {
    /// Done callbacks and completion waiters registered on the task and not yet run
    /// (composition functions must leave none behind when they return early).
    fn hooks(&self) -> usize;
}

impl TaskRefTestExt for TaskRef {
    fn hooks(&self) -> usize {
        crate::task::hooks::hook_count(self)
    }
}

/// Size in bytes of a task header (the fixed part of every task allocation).
pub fn task_header_size() -> usize {
    crate::task::core::HEADER_SIZE
}
