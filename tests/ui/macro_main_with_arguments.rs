//! `#[asyncio::main]` calls the function with no arguments: parameters are rejected.

#[asyncio::main]
async fn main(args: Vec<String>) {
    let _ = args;
}
