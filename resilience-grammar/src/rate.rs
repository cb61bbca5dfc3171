//! Rates: a count per duration, `100/1s`, `5/250ms`.

use crate::{Problem, count, duration, rules};
use std::time::Duration;

/// How a rate looks.
pub const EXPECTED: &str =
    "expected a count per duration, such as `rate = 100/1s` or `rate = 5/250ms`";

/// Reads `"100/1s"` with the attribute's rules.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(resilience_grammar::rate::parse("20/1s"), Ok((20, Duration::from_secs(1))));
/// assert!(resilience_grammar::rate::parse("0/1s").unwrap_err().contains("rate of 0 calls"));
/// ```
pub fn parse(text: &str) -> Result<(u32, Duration), Problem> {
    let Some((n, per)) = text.split_once('/') else {
        return Err(EXPECTED.into());
    };
    if n.trim().is_empty() || per.trim().is_empty() {
        return Err(EXPECTED.into());
    }
    let n: u32 = count::parse(n, "the rate's count")?;
    rules::rate_count(u64::from(n))?;
    let per = duration::parse(per, "rate")?;
    rules::rate_period(per)?;
    Ok((n, per))
}

/// How a rate is written back: `100/1s`.
pub fn display(count: u32, per: Duration) -> String {
    format!("{count}/{}", duration::display(per))
}
