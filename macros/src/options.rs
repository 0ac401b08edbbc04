//! The options of `#[asyncio::main(...)]` and `#[asyncio::test(...)]`: a comma-separated
//! list of `name = value`, each name at most once. Every mistake (an unknown name, a
//! missing or wrong value, `worker_threads = 0`, an option the macro does not take) is a
//! compile error whose span is the offending token.
//!
//! | option | value | `main` | `test` |
//! |---|---|---|---|
//! | `worker_threads` | integer literal, `1..=65535` | default: one per CPU | default: `1` |
//! | `eager` | `true` or `false` | default: `false` | default: `false` |
//! | `deadline` | string, see `deadline.rs` | not taken | default: none |

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, Meta, Token};

use crate::deadline::Deadline;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// `#[asyncio::main]`
    Main,
    /// `#[asyncio::test]`
    Test,
}

impl Entry {
    /// The attribute as the user writes it, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Entry::Main => "#[asyncio::main]",
            Entry::Test => "#[asyncio::test]",
        }
    }

    fn known_options(self) -> &'static str {
        match self {
            Entry::Main => "`worker_threads`, `eager`",
            Entry::Test => "`worker_threads`, `eager`, `deadline`",
        }
    }
}

/// The runtime's limit on workers (`Builder::build` rejects more).
const MAX_WORKERS: u64 = 65_535;

/// The options as given; `None` is "not given" (the expansion picks the default).
#[derive(Default)]
pub(crate) struct Options {
    /// `worker_threads = N`
    pub(crate) worker_threads: Option<usize>,
    /// `eager = true|false`
    pub(crate) eager: Option<bool>,
    /// `deadline = "5s"` (tests only)
    pub(crate) deadline: Option<Deadline>,
}

impl Options {
    /// Parses the attribute's arguments for `entry`.
    pub(crate) fn parse(entry: Entry, args: TokenStream) -> syn::Result<Options> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
        let mut options = Options::default();
        for meta in metas {
            let name_value = match meta {
                Meta::NameValue(nv) => nv,
                other => {
                    let name = path_name(other.path());
                    return Err(syn::Error::new_spanned(
                        other,
                        format!("`{name}` needs a value: write `{name} = ...`"),
                    ));
                }
            };
            let name = path_name(&name_value.path);
            let span = syn::spanned::Spanned::span(&name_value.path);
            match (name.as_str(), entry) {
                ("worker_threads", _) => {
                    let n = worker_threads(&name_value.value)?;
                    set_once(&mut options.worker_threads, n, &name, span)?;
                }
                ("eager", _) => {
                    let b = boolean(&name, &name_value.value)?;
                    set_once(&mut options.eager, b, &name, span)?;
                }
                ("deadline", Entry::Test) => {
                    let lit = string(&name, &name_value.value)?;
                    set_once(&mut options.deadline, Deadline::parse(lit)?, &name, span)?;
                }
                ("deadline", Entry::Main) => {
                    return Err(syn::Error::new(
                        span,
                        "`deadline` is an option of `#[asyncio::test]`; \
                         for a program, wrap the body in `asyncio::timeout`",
                    ))
                }
                _ => {
                    return Err(syn::Error::new(
                        span,
                        format!(
                            "unknown option `{name}` of `{}`; its options are {}",
                            entry.attribute(),
                            entry.known_options()
                        ),
                    ))
                }
            }
        }
        Ok(options)
    }
}

fn path_name(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}

fn set_once<T>(slot: &mut Option<T>, value: T, name: &str, span: Span) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            span,
            format!("option `{name}` is given twice"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn literal(value: &Expr) -> Option<&Lit> {
    match value {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        _ => None,
    }
}

fn worker_threads(value: &Expr) -> syn::Result<usize> {
    let bad = || {
        syn::Error::new_spanned(
            value,
            format!("`worker_threads` takes an integer literal from 1 to {MAX_WORKERS}"),
        )
    };
    let Some(Lit::Int(int)) = literal(value) else {
        return Err(bad());
    };
    match int.base10_parse::<u64>() {
        Ok(0) => Err(syn::Error::new_spanned(
            value,
            "`worker_threads = 0`: a runtime needs at least one worker",
        )),
        Ok(n) if n <= MAX_WORKERS => Ok(n as usize),
        _ => Err(bad()),
    }
}

fn boolean(name: &str, value: &Expr) -> syn::Result<bool> {
    match literal(value) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("`{name}` takes `true` or `false`"),
        )),
    }
}

fn string<'a>(name: &str, value: &'a Expr) -> syn::Result<&'a syn::LitStr> {
    match literal(value) {
        Some(Lit::Str(s)) => Ok(s),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("`{name}` takes a string such as \"5s\" or \"500ms\""),
        )),
    }
}
