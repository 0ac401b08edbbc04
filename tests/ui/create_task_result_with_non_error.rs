//! The `Err` of a task's `Result` output is its exception: it must be an error
//! (`std::error::Error + Send + Sync + 'static`) or an `asyncio::Exception`. A `String`
//! is neither; `asyncio::Exception::msg(s)` is the way to raise a message.

fn main() {
    asyncio::run(async {
        let _t = asyncio::create_task(async { Err::<u32, String>("bad".into()) });
    });
}
