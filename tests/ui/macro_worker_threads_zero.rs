//! `worker_threads = 0` (a runtime without workers) is rejected at compile time, as is
//! more than the runtime can have.

#[asyncio::main(worker_threads = 0)]
async fn main() {}

#[asyncio::test(worker_threads = 100000)]
async fn too_many() {}
