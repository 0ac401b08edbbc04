//! A deadline must be a whole number and a unit (`ms`, `s`, `min`), and not zero.

#[asyncio::test(deadline = "5 seconds")]
async fn unit_spelled_out() {}

#[asyncio::test(deadline = "1.5s")]
async fn fraction() {}

#[asyncio::test(deadline = "0ms")]
async fn zero() {}

fn main() {}
