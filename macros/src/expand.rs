//! The expansion: the `async fn` becomes a plain `fn` with the same attributes,
//! visibility, name and return type, whose body does what `asyncio::run` does:
//!
//! ```text
//! let body = the_body_must_be_send(async move { ..the fn's body.. }); // Output = Ret
//! let runner = asyncio::Runner::with_builder(Builder::new().worker_threads(..)..)?;
//! let out = runner.run(body);   // the main task; a panic or cancellation resumes here
//! runner.close();               // cancel the tasks still pending, wait for them, shut down
//! out
//! ```
//!
//! so a program or test written with the attribute ends as `asyncio::run` ends. The body
//! runs as the main task: it must be `Send + 'static` with a `Send` output, as for
//! `asyncio::run`. The bound `Future<Output = Ret> + Send` of `the_body_must_be_send`
//! gives the block its type up front (so `?` in it knows what to convert into) and puts a
//! type mismatch or a missing `Send` on the body rather than on the attribute.
//!
//! With a test's `deadline`, the body runs inside `asyncio::timeout(deadline)` within the
//! main task: at the deadline the body is cancelled at its await point, as asyncio's
//! `async with timeout()` does, and the test then panics naming itself and the deadline
//! (also when the body swallowed the cancellation and finished late). Locals of the
//! expansion use `Span::mixed_site()`, so the body cannot see or shadow them.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, ReturnType, Type};

use crate::options::{Entry, Options};

/// Checks `item` and expands it for `entry` with `options`.
pub(crate) fn expand(entry: Entry, options: Options, item: ItemFn) -> syn::Result<TokenStream> {
    check_signature(entry, &item)?;
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = item;
    sig.asyncness = None;

    let body = Ident::new("body", Span::mixed_site());
    let runner = Ident::new("runner", Span::mixed_site());
    let out = Ident::new("out", Span::mixed_site());

    // The output the body must have: the fn's return type, unless that is an
    // `impl Trait` (which a bound cannot name; the body's own type is used then).
    let output_bound = match &sig.output {
        ReturnType::Default => quote!(<Output = ()>),
        ReturnType::Type(_, ty) if !matches!(**ty, Type::ImplTrait(_)) => {
            quote_spanned!(ty.span()=> <Output = #ty>)
        }
        ReturnType::Type(..) => quote!(),
    };

    let mut builder = quote!(::asyncio::Builder::new());
    // Tests default to the deterministic 1-worker mode; programs to one worker per CPU.
    let workers = match entry {
        Entry::Main => options.worker_threads,
        Entry::Test => Some(options.worker_threads.unwrap_or(1)),
    };
    if let Some(n) = workers {
        builder = quote!(#builder.worker_threads(#n));
    }
    if let Some(eager) = options.eager {
        builder = quote!(#builder.eager_tasks(#eager));
    }

    let attribute = entry.attribute();
    let name = &sig.ident;
    let main_task = match &options.deadline {
        None => quote!(#body),
        Some(deadline) => {
            let millis = deadline.millis;
            let text = &deadline.text;
            let scope = Ident::new("scope", Span::mixed_site());
            let expired = Ident::new("expired", Span::mixed_site());
            quote! {
                async move {
                    let #scope = ::asyncio::timeout(::core::option::Option::Some(
                        ::core::time::Duration::from_millis(#millis),
                    ));
                    let #expired = #scope.handle();
                    match #scope.run(#body).await {
                        ::core::result::Result::Ok(#out) if !#expired.expired() => #out,
                        _ => ::std::panic!(
                            "test `{}` did not finish within its deadline of {} \
                             (`#[asyncio::test(deadline = \"{}\")]`): its body was cancelled",
                            ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                            #text,
                            #text,
                        ),
                    }
                }
            }
        }
    };

    // The body as an `async move` block passed through `the_body_must_be_send`: its
    // bound gives the block its output type before the block is checked (so `?` in it
    // knows what to convert into, and a mismatch points at the body), and checks the
    // `Send` that `Runner::run` needs with the error on the body, not on the attribute.
    let body_check = quote_spanned! {block.span()=>
        fn the_body_must_be_send<
            F: ::core::future::Future #output_bound + ::core::marker::Send,
        >(f: F) -> F {
            f
        }
        let #body = the_body_must_be_send(async move #block);
    };

    // An output that is not `Send` fails `Runner::run`'s bound: the call carries the
    // return type's span, so the error points there.
    let output_span = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => block.span(),
    };
    let run = quote_spanned!(output_span=> #runner.run(#main_task));

    let test_attr = match entry {
        Entry::Main => quote!(),
        Entry::Test => quote!(#[::core::prelude::v1::test]),
    };
    Ok(quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            #body_check
            let #runner = ::asyncio::Runner::with_builder(#builder).unwrap_or_else(|err| {
                ::std::panic!("{}: failed to start the runtime: {}", #attribute, err)
            });
            let #out = #run;
            #runner.close();
            #out
        }
    })
}

/// What the attribute cannot take: a fn that is not `async`, has arguments, is generic,
/// or (for tests) already has a `#[test]`.
fn check_signature(entry: Entry, item: &ItemFn) -> syn::Result<()> {
    let sig = &item.sig;
    let attribute = entry.attribute();
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span,
            format!("the `async` keyword is missing from the function declaration: `{attribute}` runs an `async fn`"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            format!(
                "a `{attribute}` function cannot be generic: nothing would pick its type arguments"
            ),
        ));
    }
    if !sig.inputs.is_empty() || sig.variadic.is_some() {
        let what = match entry {
            Entry::Main => "`main` takes no arguments (read them with `std::env::args()`)",
            Entry::Test => "a test takes no arguments",
        };
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            format!("{what}: `{attribute}` calls the function with none"),
        ));
    }
    if entry == Entry::Test {
        if let Some(attr) = item.attrs.iter().find(|a| is_test_attribute(a)) {
            return Err(syn::Error::new_spanned(
                attr,
                "a second test attribute: `#[asyncio::test]` already makes this a test; remove this one",
            ));
        }
    }
    Ok(())
}

/// `#[test]` or `#[core::prelude::v1::test]`-style paths ending in `test`.
fn is_test_attribute(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    path.segments.last().is_some_and(|s| s.ident == "test")
        && (path.segments.len() == 1
            || path
                .segments
                .first()
                .is_some_and(|s| s.ident == "core" || s.ident == "std"))
}
