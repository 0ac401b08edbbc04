//! A task's output must say whether it is a plain value or a `Result` whose `Err` is the
//! task's exception: a type of your own needs `impl asyncio::TaskOutput for T {}`, and the
//! compiler says so.

struct Report;

fn main() {
    asyncio::run(async {
        let _t = asyncio::create_task(async { Report });
    });
}
