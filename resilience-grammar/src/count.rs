//! Whole numbers: `attempts = 4`, `window = 100`.

use crate::Problem;

/// The message for a value that is not a whole number.
pub fn expected(what: &str) -> Problem {
    format!("expected a whole number for {what}, such as `3`")
}

/// The message for a number too large for its key.
pub fn too_large(digits: &str, what: &str) -> Problem {
    format!("`{digits}` is too large for {what}")
}

/// Reads `"4"` (or `4` from a TOML integer, given as its text). `what` is written as it
/// should appear in a message, such as ``"`attempts`"``.
///
/// ```
/// assert_eq!(resilience_grammar::count::parse::<u32>("4", "`attempts`"), Ok(4));
/// assert!(resilience_grammar::count::parse::<u32>("four", "`attempts`").is_err());
/// ```
pub fn parse<N: std::str::FromStr>(text: &str, what: &str) -> Result<N, Problem> {
    let text = text.trim();
    let digits = text.replace('_', "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected(what));
    }
    digits.parse().map_err(|_| too_large(text, what))
}

/// Reads a number such as `"2.0"` (a backoff's factor).
pub fn parse_float(text: &str, what: &str) -> Result<f64, Problem> {
    let text = text.trim();
    let ok = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_');
    let expected = || format!("expected a number for {what}, such as `2.0`");
    if !ok {
        return Err(expected());
    }
    text.replace('_', "").parse().map_err(|_| expected())
}
