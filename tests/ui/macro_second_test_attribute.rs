//! `#[asyncio::test]` adds `#[test]` itself: a second one is rejected.

#[asyncio::test]
#[test]
async fn twice() {}

fn main() {}
