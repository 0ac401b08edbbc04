//! `#[asyncio::main]` runs an `async fn`: a plain `fn` is rejected, pointing at `fn`.

#[asyncio::main]
fn main() {}
