//! Durations: a number and a unit, `250ms`, `1.5s`, `100us`, `5m`, `1h`.

use crate::Problem;
use std::time::Duration;

/// The units a duration may carry, with their length in nanoseconds.
pub const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Whether `suffix` is a duration unit.
pub fn is_unit(suffix: &str) -> bool {
    UNITS.iter().any(|(u, _)| *u == suffix)
}

/// Reads a written duration such as `"800ms"`. `what` names the key in messages.
///
/// ```
/// use resilience_grammar::duration;
/// assert_eq!(duration::parse("1.5s", "timeout"), Ok(std::time::Duration::from_millis(1500)));
/// assert!(duration::parse("5sec", "timeout").unwrap_err().contains("did you mean `s`?"));
/// ```
pub fn parse(text: &str, what: &str) -> Result<Duration, Problem> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('.') && digits.len() == 1 {
        if let Some(rest) = text.strip_prefix('-')
            && parse(rest, what).is_ok()
        {
            return Err(format!("a duration cannot be negative; write `{rest}`"));
        }
        return Err(format!(
            "expected a duration for `{what}`, such as `250ms` or `2s`"
        ));
    }
    from_parts(digits, suffix.trim(), what)
}

/// A duration from its digits (`"1.5"`, `"1_000"`) and its unit (`"s"`), as a literal's
/// digits and suffix. An empty unit, an unknown one, or a value that is not a whole number of
/// nanoseconds is refused with a message saying what to write.
pub fn from_parts(digits: &str, suffix: &str, what: &str) -> Result<Duration, Problem> {
    if suffix.is_empty() {
        let digits = digits.replace('_', "");
        return Err(format!(
            "`{what}` needs a unit: write `{digits}ms` or `{digits}s` (units: ns, us, ms, s, m, h)"
        ));
    }
    let Some(&(_, unit_nanos)) = UNITS.iter().find(|(u, _)| *u == suffix) else {
        let names: Vec<&str> = UNITS.iter().map(|(u, _)| *u).collect();
        let hint = crate::suggest::hint(suffix, "units", &names);
        return Err(format!(
            "unknown unit `{suffix}` in `{digits}{suffix}`; {hint}"
        ));
    };
    let written = format!("{digits}{suffix}");
    let nanos = nanos_of(digits, unit_nanos).map_err(|why| match why {
        NotExact::Exponent => {
            format!("`{written}`: write durations without an exponent, such as `1000ms`")
        }
        NotExact::SubNanosecond => {
            format!("`{written}` is not a whole number of nanoseconds; use fewer decimals")
        }
        NotExact::TooLarge => format!("`{written}` is too large for a `Duration`"),
        NotExact::NotANumber => {
            format!("expected a duration for `{what}`, such as `250ms` or `2s`")
        }
    })?;
    Ok(Duration::new(
        (nanos / 1_000_000_000) as u64,
        (nanos % 1_000_000_000) as u32,
    ))
}

/// How a duration is written back: the largest unit that is exact (`1500ms`, `2s`, `5m`).
pub fn display(d: Duration) -> String {
    let nanos = d.as_nanos();
    for &(unit, len) in UNITS.iter().rev() {
        if nanos.is_multiple_of(len) && (nanos > 0 || unit == "ms") {
            return format!("{}{unit}", nanos / len);
        }
    }
    format!("{nanos}ns")
}

/// Why digits are not an exact `Duration`.
#[derive(Debug, PartialEq)]
enum NotExact {
    Exponent,
    SubNanosecond,
    TooLarge,
    NotANumber,
}

/// `digits` (`"1.5"`, `"250"`, `"1_000"`) times `unit_nanos`, exactly.
fn nanos_of(digits: &str, unit_nanos: u128) -> Result<u128, NotExact> {
    let digits = digits.replace('_', "");
    if digits.contains(['e', 'E']) {
        return Err(NotExact::Exponent);
    }
    let (whole, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let whole: u128 = if whole.is_empty() {
        0
    } else if !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NotExact::NotANumber);
    } else {
        // Only digits are left, so the one failure is overflow.
        whole.parse().map_err(|_| NotExact::TooLarge)?
    };
    let mut total = whole.checked_mul(unit_nanos).ok_or(NotExact::TooLarge)?;
    let mut scale = unit_nanos;
    for c in frac.chars() {
        let d = u128::from(c.to_digit(10).ok_or(NotExact::NotANumber)?);
        if !scale.is_multiple_of(10) {
            if d != 0 {
                return Err(NotExact::SubNanosecond);
            }
            continue;
        }
        scale /= 10;
        total = total.checked_add(d * scale).ok_or(NotExact::TooLarge)?;
    }
    if total > u128::from(u64::MAX) * 1_000_000_000 {
        return Err(NotExact::TooLarge);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_exact() {
        let ms = Duration::from_millis;
        assert_eq!(parse("250ms", "t"), Ok(ms(250)));
        assert_eq!(parse("1.5s", "t"), Ok(ms(1500)));
        assert_eq!(parse("0.25s", "t"), Ok(ms(250)));
        assert_eq!(parse("1_000ms", "t"), Ok(ms(1000)));
        assert_eq!(parse("5m", "t"), Ok(Duration::from_secs(300)));
        assert_eq!(parse(" 1h ", "t"), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn mistakes_are_explained() {
        let msg = |s: &str| parse(s, "timeout").unwrap_err();
        assert!(msg("800").contains("needs a unit: write `800ms`"));
        assert!(msg("5sec").contains("unknown unit `sec` in `5sec`; did you mean `s`?"));
        assert!(msg("1.5ns").contains("whole number of nanoseconds"));
        assert!(msg("18446744073709551616s").contains("too large"));
        assert!(msg("soon").contains("expected a duration for `timeout`"));
        assert!(msg("-1s").contains("cannot be negative; write `1s`"));
        assert!(msg("1.2.3s").contains("expected a duration"));
    }

    #[test]
    fn display_uses_the_largest_exact_unit() {
        assert_eq!(display(Duration::from_millis(1500)), "1500ms");
        assert_eq!(display(Duration::from_secs(120)), "2m");
        assert_eq!(display(Duration::ZERO), "0ms");
        assert_eq!(display(Duration::from_nanos(7)), "7ns");
    }
}
