//! Schedules: a retry's `backoff` (`exponential(100ms, factor = 2.0, max = 10s)`,
//! `constant(100ms)`, `fibonacci(100ms, max = 10s)`, `none`) and a breaker's `open_for`
//! (`30s` or `exponential(10s, max = 5m)`).

use crate::{Problem, duration, rules, suggest};
use std::time::Duration;

/// The backoff names.
pub const BACKOFFS: &[&str] = &["exponential", "constant", "fibonacci", "none"];
/// How each way of writing a backoff looks.
pub const EXAMPLE: &str = "`exponential(100ms, factor = 2.0, max = 10s)`, `constant(100ms)`, `fibonacci(100ms, max = 10s)` or `none`";

/// A retry's delays, as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backoff {
    /// No delay.
    None,
    /// The same delay each time.
    Constant(Duration),
    /// `base`, `base × factor`, … up to `max`.
    Exponential {
        /// The first delay.
        base: Duration,
        /// The growth (2.0 when not written).
        factor: Option<f64>,
        /// The cap.
        max: Option<Duration>,
    },
    /// `base`, `base`, `2 × base`, `3 × base`, `5 × base`, … up to `max`.
    Fibonacci {
        /// The first delay.
        base: Duration,
        /// The cap.
        max: Option<Duration>,
    },
}

/// An unknown backoff name, with the nearest one.
pub fn unknown(kind: &str) -> Problem {
    let hint = suggest::hint(kind, "backoffs", BACKOFFS);
    format!("unknown backoff `{kind}`; {hint}")
}

/// A backoff written without its first delay.
pub fn needs_first_delay(kind: &str) -> Problem {
    format!("`{kind}` needs its first delay: `{kind}(100ms)`")
}

/// The named arguments `kind` takes.
pub fn allowed_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "exponential" => &["factor", "max"],
        "fibonacci" => &["max"],
        _ => &[],
    }
}

/// A named argument `kind` does not take.
pub fn unknown_key(kind: &str, key: &str) -> Problem {
    let allowed = allowed_keys(kind);
    let hint = if allowed.is_empty() {
        format!("`{kind}` takes only its delay")
    } else {
        suggest::hint(key, "keys", allowed)
    };
    format!("unknown key `{key}` for `{kind}`; {hint}")
}

/// A second positional delay.
pub fn extra_delay(kind: &str) -> Problem {
    let allowed = allowed_keys(kind);
    if allowed.is_empty() {
        format!("`{kind}` takes one delay; remove this one")
    } else {
        format!(
            "`{kind}` takes one delay; name the others (`{}`)",
            allowed.join("`, `")
        )
    }
}

/// The arguments inside a schedule's parentheses: `(Some(key), value)` or `(None, value)`.
type CallArgs<'a> = Vec<(Option<&'a str>, &'a str)>;

/// `name` or `name(args)`, split into the name and its arguments (`key = value` or `value`).
fn call(text: &str) -> Option<(&str, Option<CallArgs<'_>>)> {
    let text = text.trim();
    let Some(open) = text.find('(') else {
        let ok = !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        return ok.then_some((text, None));
    };
    let inner = text[open + 1..].strip_suffix(')')?;
    let args = inner
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| match a.split_once('=') {
            Some((k, v)) => (Some(k.trim()), v.trim()),
            None => (None, a),
        })
        .collect();
    Some((text[..open].trim(), Some(args)))
}

/// Reads a written backoff such as `"exponential(50ms, max = 2s)"`, with the attribute's rules.
///
/// ```
/// use resilience_grammar::backoff::{self, Backoff};
/// use std::time::Duration;
/// assert_eq!(
///     backoff::parse("exponential(50ms, max = 2s)"),
///     Ok(Backoff::Exponential {
///         base: Duration::from_millis(50),
///         factor: None,
///         max: Some(Duration::from_secs(2)),
///     })
/// );
/// assert!(backoff::parse("exponental(50ms)").unwrap_err().contains("did you mean `exponential`?"));
/// ```
pub fn parse(text: &str) -> Result<Backoff, Problem> {
    let Some((kind, args)) = call(text) else {
        return Err(format!("expected a backoff: {EXAMPLE}"));
    };
    if !BACKOFFS.contains(&kind) {
        return Err(unknown(kind));
    }
    if kind == "none" {
        return match args {
            Some(_) => Err("`none` takes no arguments".into()),
            None => Ok(Backoff::None),
        };
    }
    let args = args.ok_or_else(|| needs_first_delay(kind))?;
    let (mut base, mut factor, mut max) = (None, None, None);
    for (key, value) in args {
        match key {
            None if base.is_none() => base = Some(duration::parse(value, "backoff")?),
            None => return Err(extra_delay(kind)),
            Some(k) if !allowed_keys(kind).contains(&k) => return Err(unknown_key(kind, k)),
            Some("factor") => {
                let f = crate::count::parse_float(value, "`factor`")?;
                rules::factor(f)?;
                factor = Some(f);
            }
            Some(_) => max = Some(duration::parse(value, "max")?),
        }
    }
    let base = base.ok_or_else(|| needs_first_delay(kind))?;
    if let Some(m) = max {
        rules::backoff_max(base, m)?;
    }
    Ok(match kind {
        "exponential" => Backoff::Exponential { base, factor, max },
        "fibonacci" => Backoff::Fibonacci { base, max },
        _ => Backoff::Constant(base),
    })
}

/// A breaker's time open, as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OpenFor {
    /// The same time each opening.
    Fixed(Duration),
    /// Doubling from `base` up to `max` each time a half-open probe fails.
    Exponential {
        /// The first period.
        base: Duration,
        /// The cap.
        max: Duration,
    },
}

/// An unknown `open_for` schedule.
pub fn unknown_open_for(kind: &str) -> Problem {
    let hint = suggest::hint(kind, "choices", &["exponential"]);
    format!(
        "unknown `open_for` schedule `{kind}`; write a duration (`open_for = 30s`) or `exponential(10s, max = 5m)`; {hint}"
    )
}

/// Reads `"30s"` or `"exponential(10s, max = 5m)"`.
///
/// ```
/// use resilience_grammar::backoff::{self, OpenFor};
/// assert!(matches!(backoff::parse_open_for("30s"), Ok(OpenFor::Fixed(_))));
/// assert!(backoff::parse_open_for("exponential(10s)").unwrap_err().contains("needs a cap"));
/// ```
pub fn parse_open_for(text: &str) -> Result<OpenFor, Problem> {
    let positive = |v: &str, what: &str| {
        let d = duration::parse(v, what)?;
        rules::positive(what, d).map(|()| d)
    };
    if !text.contains('(') {
        return positive(text, "open_for").map(OpenFor::Fixed);
    }
    let Some((kind, Some(args))) = call(text) else {
        return Err(unknown_open_for(text.trim()));
    };
    if kind != "exponential" {
        return Err(unknown_open_for(kind));
    }
    let (mut base, mut max) = (None, None);
    for (key, value) in args {
        match key {
            None if base.is_none() => base = Some(positive(value, "open_for")?),
            None => {
                return Err(
                    "`exponential` takes one first duration; name the cap: `max = 5m`".into(),
                );
            }
            Some("max") => max = Some(positive(value, "max")?),
            Some(k) => {
                return Err(format!(
                    "unknown key `{k}` for `exponential`; it takes its first duration and `max`"
                ));
            }
        }
    }
    let base = base.ok_or(rules::OPEN_FOR_NEEDS_BASE)?;
    let max = max.ok_or(rules::OPEN_FOR_NEEDS_CAP)?;
    rules::open_for_max(base, max)?;
    Ok(OpenFor::Exponential { base, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backoff() {
        let ms = Duration::from_millis;
        assert_eq!(parse("none"), Ok(Backoff::None));
        assert_eq!(parse("constant(100ms)"), Ok(Backoff::Constant(ms(100))));
        assert_eq!(
            parse("fibonacci(100ms, max = 10s)"),
            Ok(Backoff::Fibonacci {
                base: ms(100),
                max: Some(ms(10_000))
            })
        );
        assert_eq!(
            parse("exponential(100ms, factor = 1.5)"),
            Ok(Backoff::Exponential {
                base: ms(100),
                factor: Some(1.5),
                max: None
            })
        );
    }

    #[test]
    fn backoff_mistakes() {
        let e = |s: &str| parse(s).unwrap_err();
        assert_eq!(
            e("exponential"),
            "`exponential` needs its first delay: `exponential(100ms)`"
        );
        assert!(e("exponential(2s, max = 1s)").contains("shorter than the first delay (2s)"));
        assert!(e("exponential(1s, factor = 0.5)").contains("at least 1.0"));
        assert!(e("constant(1s, max = 2s)").contains("takes only its delay"));
        assert!(e("fibonacci(1s, 2s)").contains("name the others (`max`)"));
        assert!(e("none(1s)").contains("no arguments"));
        assert!(e("exponential(1s, mx = 2s)").contains("did you mean `max`?"));
        assert!(e("(").contains("expected a backoff"));
    }

    #[test]
    fn open_for_mistakes() {
        assert!(
            parse_open_for("0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(
            parse_open_for("exponential(10s, max = 5s)")
                .unwrap_err()
                .contains("(10s)")
        );
        assert!(
            parse_open_for("linear(1s)")
                .unwrap_err()
                .contains("unknown `open_for` schedule")
        );
        assert!(parse_open_for("exponential(10s, max = 5m)").is_ok());
    }
}
