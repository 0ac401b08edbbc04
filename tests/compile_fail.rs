//! What must not compile: each file of `tests/ui/` is one misuse the type system has to
//! reject, with the compiler's error as its `.stderr` snapshot (the top comment of each
//! file says what it proves). The positive side, and the negative auto-trait facts in
//! bulk, are in `tests/auto_traits.rs`.
//!
//! The snapshots are the exact compiler output, so a new Rust release may reword them:
//! regenerate with `TRYBUILD=overwrite cargo test -p asyncio --test compile_fail` and
//! check each diff still shows the intended error.

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
