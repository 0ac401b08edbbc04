//! The body runs as the main task, which any worker may poll: a body that holds an `Rc`
//! across an await is rejected, and the error points at the body, not at the attribute.

use std::rc::Rc;

#[asyncio::main]
async fn main() {
    let rc = Rc::new(1);
    asyncio::sleep(std::time::Duration::ZERO).await.unwrap();
    drop(rc);
}
