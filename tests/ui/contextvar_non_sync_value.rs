//! A context variable's value is shared by every copy of the context it is set in, and
//! those copies move to other workers with their tasks: `set` (and `get`) require
//! `T: Send + Sync`. A `Cell` (Send, not Sync) must be rejected.

use std::cell::Cell;

fn main() {
    let var: asyncio::ContextVar<Cell<u32>> = asyncio::ContextVar::new("cell");
    var.set(Cell::new(1));
}
