//! `#[asyncio::test]` runs an `async fn`: a plain `fn` is rejected, pointing at `fn`.

#[asyncio::test]
fn plain() {}

fn main() {}
