//! An option given twice, and `deadline` (a test option) on `main`.

#[asyncio::test(eager = true, eager = false)]
async fn twice() {}

#[asyncio::main(deadline = "5s")]
async fn main() {}
