//! `create_task` must reject a `!Send` future (here one holding an `Rc` across an
//! await): any worker thread may poll the task, and work stealing moves it between them.

use std::rc::Rc;
use std::time::Duration;

fn main() {
    asyncio::run(async {
        let task = asyncio::create_task(async {
            let shared = Rc::new(1);
            asyncio::sleep(Duration::ZERO).await.unwrap();
            *shared
        });
        drop(task);
    });
}
