//! Nothing would pick the type arguments of a generic `main` or test.

#[asyncio::main]
async fn main<T: Default>() {
    let _ = T::default();
}

#[asyncio::test]
async fn generic_test<T>()
where
    T: Default,
{
}
