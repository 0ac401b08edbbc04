//! `create_task` must reject a `!Send` output (here an `Rc`) even if the future itself
//! is `Send`: the output moves from the worker that finishes the task to whoever awaits
//! or drops the `Task`. (`Value` passes any output through, so only `Send` is asked.)

use std::rc::Rc;

fn main() {
    asyncio::run(async {
        let task = asyncio::create_task(async { asyncio::Value(Rc::new(1u32)) });
        drop(task);
    });
}
