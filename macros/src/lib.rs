//! `#[asyncio::main]` and `#[asyncio::test]`: an `async fn` run as the main task of a new
//! [asyncio](https://docs.rs/asyncio) runtime, ending as `asyncio::run` ends (the tasks
//! still pending are cancelled and waited for, then the runtime shuts down).
//!
//! Use them through the `asyncio` crate (its default feature `macros` re-exports them),
//! not from this crate: the expansion names `::asyncio`.
//!
//! * `options.rs`: the attribute's options and their checks;
//! * `deadline.rs`: the syntax of a test's `deadline = "5s"`;
//! * `expand.rs`: the signature checks and the generated `fn`.
//!
//! Every misuse is a compile error pointing at the offending tokens, never a panic of the
//! macro (the compile-fail tests are `tests/ui/macro_*.rs` of the `asyncio` crate).

mod deadline;
mod expand;
mod options;

use proc_macro::TokenStream;

use options::{Entry, Options};

/// Runs an `async fn` as the main task of a new runtime: `asyncio::run` as an attribute.
///
/// ```
/// #[asyncio::main]
/// async fn main() {
///     let t = asyncio::create_task(async { 20 });
///     assert_eq!(t.await.unwrap() + 1, 21);
/// }
/// ```
///
/// The function keeps its attributes, visibility, name and return type, so `main` may
/// return a `Result` (its error is printed and the process exits with 1):
///
/// ```
/// #[asyncio::main(worker_threads = 2, eager = true)]
/// async fn main() -> Result<(), asyncio::Exception> {
///     assert_eq!(asyncio::get_running_loop()?.num_workers(), 2);
///     let t = asyncio::create_task(async { 1 });
///     assert!(t.done(), "eager: its first step ran inside create_task");
///     let n: u32 = "42".parse()?; // any error converts into `asyncio::Exception`
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
///
/// # Options
/// * `worker_threads = N` (`1..=65535`): `Builder::worker_threads(N)`. Default: one
///   worker per CPU, as `asyncio::run`. `1` is the deterministic mode (asyncio's FIFO
///   order).
/// * `eager = true|false`: `Builder::eager_tasks`, asyncio's `eager_task_factory`.
///   Default: `false`.
///
/// # What it expands to
/// `async fn main() -> Ret { body }` becomes a `fn main() -> Ret` whose body is, in
/// effect (with `worker_threads`/`eager` as `Builder` calls):
/// ```
/// # type Ret = ();
/// fn the_body_must_be_send<F: std::future::Future<Output = Ret> + Send>(f: F) -> F {
///     f
/// }
/// let body = the_body_must_be_send(async move { /* body */ });
/// let runner = asyncio::Runner::with_builder(asyncio::Builder::new()).unwrap();
/// let out = runner.run(body);
/// runner.close();
/// out
/// ```
/// so, as for `asyncio::run`, the body must be `Send + 'static` and its output `Send`
/// (return `Result<_, asyncio::Exception>`, `std::io::Result` or
/// `Result<_, Box<dyn Error + Send + Sync>>`, not `Box<dyn Error>`). A panic in the body
/// resumes out of `main`; the runtime is still closed on the way out.
///
/// A `!Send` value held across an await is an error on the body; one such value is
/// `std::env::Args`: read the arguments before (`let args: Vec<String> =
/// std::env::args().collect();`) or in a plain `fn`.
///
/// # Compile errors
/// A fn that is not `async`, has arguments or is generic; an unknown option, a repeated
/// one, a value of the wrong kind, `worker_threads = 0`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Entry::Main, args, item)
}

/// Runs an `async fn` test as the main task of a new runtime, a 1-worker one unless told
/// otherwise, optionally under a deadline after which the test fails.
///
/// ```
/// # // A doctest cannot run a `#[test]`: this checks that it expands and compiles.
/// #[asyncio::test]
/// async fn sleeps_and_cancels() {
///     let t = asyncio::create_task(asyncio::sleep(std::time::Duration::from_secs(3600)));
///     t.cancel(Some("enough"));
///     assert!(t.await.unwrap_err().is_cancelled());
/// }
///
/// #[asyncio::test(worker_threads = 2, eager = true, deadline = "10s")]
/// async fn returns_a_result() -> Result<(), asyncio::Exception> {
///     assert_eq!(asyncio::get_running_loop()?.num_workers(), 2);
///     let n: u32 = "7".parse()?;
///     assert_eq!(n, 7);
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// It adds `#[test]` itself (a second one is a compile error); other attributes, such as
/// `#[should_panic(expected = "...")]` or `#[ignore]`, stay as they are.
///
/// # Options
/// * `worker_threads = N` (`1..=65535`). Default: `1`, the deterministic mode in which
///   tasks and callbacks run in asyncio's exact FIFO order; give `2` or more to test
///   under real parallelism.
/// * `eager = true|false`: asyncio's `eager_task_factory`. Default: `false`.
/// * `deadline = "..."`: a whole number and a unit, `ms`, `s` or `min` (`"500ms"`,
///   `"5s"`, `"2min"`). Default: none. At the deadline the body is cancelled, as
///   `asyncio::timeout` cancels its body (its cleanup runs), and the test panics with
///   ``test `path::name` did not finish within its deadline of 5s``. The deadline is
///   delivered at the body's await points, like any cancellation: a body that blocks its
///   worker thread, or loops without awaiting, cannot be interrupted; and a body that
///   swallows the cancellation still fails the test once it finishes.
///
/// The runtime closes as `asyncio::run` closes it, so a task the test left pending is
/// cancelled and waited for, and one that swallows its cancellation forever keeps the
/// test from ending (as it keeps `asyncio.run` from returning).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Entry::Test, args, item)
}

/// Parses and expands; any error becomes a `compile_error!` at its span.
fn entry(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    let options = Options::parse(entry, args.into());
    let item = syn::parse::<syn::ItemFn>(item);
    // A rejected `main` still leaves a `fn main`, so the error is not followed by
    // "`main` function not found in crate".
    let stand_in = match &item {
        Ok(item) if item.sig.ident == "main" => quote::quote!(
            fn main() {}
        ),
        _ => proc_macro2::TokenStream::new(),
    };
    let expanded = match (options, item) {
        (Ok(options), Ok(item)) => expand::expand(entry, options, item),
        (Err(mut a), Err(b)) => {
            a.combine(b);
            Err(a)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    expanded
        .unwrap_or_else(|err| {
            let err = err.into_compile_error();
            quote::quote!(#err #stand_in)
        })
        .into()
}
