//! The keys each attribute takes (the tables of SPEC §4), and the choices of its named values.

use crate::{Problem, suggest};

/// `#[retry]`.
pub const RETRY: &[&str] = &[
    "attempts",
    "backoff",
    "jitter",
    "max_elapsed",
    "when",
    "budget",
    "name",
    "crate",
];
/// `#[timeout]`.
pub const TIMEOUT: &[&str] = &["duration", "name", "crate"];
/// `#[circuit_breaker]`.
pub const CIRCUIT_BREAKER: &[&str] = &[
    "name",
    "failure_rate",
    "slow_call",
    "slow_rate",
    "window",
    "min_calls",
    "consecutive_failures",
    "open_for",
    "half_open_calls",
    "when",
    "key",
    "max_keys",
    "scope",
    "store_timeout",
    "crate",
];
/// `#[bulkhead]`.
pub const BULKHEAD: &[&str] = &[
    "max_concurrent",
    "max_wait",
    "name",
    "key",
    "max_keys",
    "crate",
];
/// `#[rate_limit]`.
pub const RATE_LIMIT: &[&str] = &[
    "rate",
    "burst",
    "max_wait",
    "name",
    "key",
    "max_keys",
    "scope",
    "on_store_error",
    "store_timeout",
    "crate",
];
/// `#[chaos]`.
pub const CHAOS: &[&str] = &["error_rate", "latency", "latency_rate", "name", "crate"];
/// `#[hedge]`.
pub const HEDGE: &[&str] = &["delay", "max_hedged", "when", "budget", "name", "crate"];
/// `#[fallback]`.
pub const FALLBACK: &[&str] = &["when", "crate"];

/// The `scope` choices: one instance per process, or one shared on Redis (feature `redis`).
pub const SCOPES: &[&str] = &["local", "fleet"];

/// The `on_store_error` choices: admit by the local limiter's verdict, or reject.
pub const ON_STORE_ERROR: &[&str] = &["allow", "deny"];

/// The jitter choices.
pub const JITTERS: &[&str] = &["full", "equal", "decorrelated", "none"];

/// An unknown key of `#[attr]`, with the nearest of `keys`.
///
/// ```
/// use resilience_grammar::keys;
/// assert_eq!(
///     keys::unknown("circuit_breaker", "failure_rat", keys::CIRCUIT_BREAKER),
///     "unknown key `failure_rat` for `#[circuit_breaker]`; did you mean `failure_rate`?"
/// );
/// ```
pub fn unknown(attr: &str, key: &str, keys: &[&str]) -> Problem {
    let hint = suggest::hint(key, "keys", keys);
    format!("unknown key `{key}` for `#[{attr}]`; {hint}")
}

/// One of a fixed set of words (`jitter = full`): the word, or the message naming the nearest.
pub fn choice<'a>(what: &str, word: &str, choices: &[&'a str]) -> Result<&'a str, Problem> {
    match choices.iter().find(|c| **c == word) {
        Some(c) => Ok(c),
        None => {
            let hint = suggest::hint(word, "choices", choices);
            Err(format!("unknown {what} `{word}`; {hint}"))
        }
    }
}
