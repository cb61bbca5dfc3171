//! `#[hedge]`'s values: `delay = p95` (a percentile of the function's own recent latencies) or
//! a duration, and `max_hedged` (the runs started beside the first).

use crate::{Problem, duration};
use std::time::Duration;

/// What `delay` takes, in the messages.
pub const PERCENTILE_HELP: &str = "a percentile from `p50` to `p99.9` (such as `p95` or `p99.9`) of the function's own recent latencies, or a duration such as `50ms`";

/// A zero `delay`.
pub const ZERO_DELAY: &str = "a hedge `delay` of zero runs every call twice from the start; give a positive duration such as `50ms`, or a percentile such as `p95`";

/// When a hedge starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Delay {
    /// The share (0.5–0.999) of recent latencies below which this one falls.
    Percentile(f64),
    /// A fixed time.
    Fixed(Duration),
}

/// Reads `p95`, `p99.9` or a positive duration.
///
/// ```
/// use resilience_grammar::hedge::{Delay, parse_delay};
/// assert_eq!(parse_delay("p99.9"), Ok(Delay::Percentile(0.999)));
/// assert_eq!(parse_delay("50ms"), Ok(Delay::Fixed(std::time::Duration::from_millis(50))));
/// assert!(parse_delay("p30").unwrap_err().starts_with("`p30` is not a percentile"));
/// ```
pub fn parse_delay(text: &str) -> Result<Delay, Problem> {
    let text = text.trim();
    if let Some(written) = text.strip_prefix('p') {
        let (whole, frac) = match written.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (written, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if digits(whole) {
            return percentile(written, frac.is_none_or(|f| f.len() == 1 && digits(f)))
                .map(Delay::Percentile);
        }
    }
    let d = duration::parse(text, "delay")?;
    if d.is_zero() {
        return Err(ZERO_DELAY.into());
    }
    Ok(Delay::Fixed(d))
}

/// The share of `p<written>`: from 50 to 99.9, one decimal at most.
pub fn percentile(written: &str, one_decimal: bool) -> Result<f64, Problem> {
    match written.parse::<f64>() {
        Ok(p) if one_decimal && (50.0..=99.9).contains(&p) => Ok((p * 10.0).round() / 1000.0),
        _ => Err(format!(
            "`p{written}` is not a percentile `#[hedge]` can wait for; `delay` takes {PERCENTILE_HELP}"
        )),
    }
}

/// `p95`, `p99.9` for a share.
pub fn display_percentile(share: f64) -> String {
    format!("p{}", (share * 1000.0).round() / 10.0)
}

/// `max_hedged`: from 1 to 10.
pub fn max_hedged(n: u64) -> Result<(), Problem> {
    if !(1..=10).contains(&n) {
        return Err(format!(
            "`max_hedged` counts the runs started beside the first and must be from 1 to 10; got {n} (each hedge is extra load: 1 or 2 is usual)"
        ));
    }
    Ok(())
}
