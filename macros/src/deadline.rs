//! The `deadline = "..."` option of `#[asyncio::test]`: a whole number followed by a
//! unit, `ms`, `s` or `min`, with nothing in between (`"500ms"`, `"5s"`, `"2min"`). It is
//! checked here, at compile time, so a typo is a compile error on the string, never a
//! panic of the test; the expansion receives it as whole milliseconds.

use syn::LitStr;

/// A test's deadline: its length and the text it was written as (for the failure message).
pub(crate) struct Deadline {
    /// The length in milliseconds; at least 1.
    pub(crate) millis: u64,
    /// The string as the user wrote it (`"5s"`), quoted back when the deadline expires.
    pub(crate) text: String,
}

/// The units a deadline may be written in, longest suffix first (so `ms` is not read as
/// `m` + `s`), with their length in milliseconds.
const UNITS: [(&str, u64); 3] = [("min", 60_000), ("ms", 1), ("s", 1_000)];

const SYNTAX: &str = "expected a whole number and a unit, `ms`, `s` or `min`, \
                      as in `deadline = \"500ms\"` or `deadline = \"5s\"`";

impl Deadline {
    /// Parses `lit`; the error, if any, points at it.
    pub(crate) fn parse(lit: &LitStr) -> syn::Result<Deadline> {
        let text = lit.value();
        let err = |msg: &str| syn::Error::new(lit.span(), msg);
        let Some((number, unit_millis)) = UNITS
            .iter()
            .find_map(|&(unit, millis)| text.strip_suffix(unit).map(|n| (n, millis)))
        else {
            return Err(err(&format!("unknown deadline `{text}`: {SYNTAX}")));
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(&format!("unknown deadline `{text}`: {SYNTAX}")));
        }
        let millis = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit_millis))
            .ok_or_else(|| err(&format!("deadline `{text}` is too long")))?;
        if millis == 0 {
            return Err(err(
                "a deadline of zero fails every test: give a positive one, or none",
            ));
        }
        Ok(Deadline { millis, text })
    }
}
