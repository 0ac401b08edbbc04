//! An option given a value of the wrong kind: the error points at the value.

#[asyncio::test(eager = 1)]
async fn eager_is_a_bool() {}

#[asyncio::test(worker_threads = "2")]
async fn worker_threads_is_an_integer() {}

#[asyncio::test(deadline = 5)]
async fn deadline_is_a_string() {}

#[asyncio::test(eager)]
async fn eager_needs_a_value() {}

fn main() {}
