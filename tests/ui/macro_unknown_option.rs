//! An option the attribute does not know is an error naming it and listing the known ones.

#[asyncio::main(flavor = "multi_thread")]
async fn main() {}
