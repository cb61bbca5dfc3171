//! One configured value: read from its written form (`"800ms"`, `"40%"`, `"100/1s"`,
//! `"exponential(50ms, max = 2s)"`, a TOML number or boolean) with the attributes' own grammar
//! and rules (`resilience-grammar`), so a value the attribute rejects is rejected here with
//! the same words.

use resilience_grammar::backoff::{Backoff, OpenFor};
use resilience_grammar::{Problem, backoff, count, duration, hedge, keys, rate, rules, share};
use std::fmt;
use std::time::Duration;

/// A value as written in a file or the environment, before its key says how to read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// A string: `"800ms"`, `"40%"`, or any value from the environment.
    Text(String),
    /// A TOML integer: `attempts = 5`.
    Integer(i64),
    /// A TOML float: `failure_rate = 0.4`.
    Float(f64),
    /// A TOML boolean: `enabled = false`.
    Bool(bool),
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Text(t) => write!(f, "{t:?}"),
            Raw::Integer(i) => write!(f, "{i}"),
            Raw::Float(x) => write!(f, "{x}"),
            Raw::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// The kinds of policy a configuration names: its top-level tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `[retry.<name>]`
    Retry,
    /// `[timeout.<name>]`
    Timeout,
    /// `[circuit_breaker.<name>]`
    CircuitBreaker,
    /// `[bulkhead.<name>]`
    Bulkhead,
    /// `[rate_limit.<name>]`
    RateLimit,
    /// `[chaos.<name>]`
    Chaos,
    /// `[hedge.<name>]`
    Hedge,
}

impl Kind {
    /// Every kind, in the order of SPEC §4.
    pub const ALL: [Kind; 7] = [
        Kind::Retry,
        Kind::Timeout,
        Kind::CircuitBreaker,
        Kind::Bulkhead,
        Kind::RateLimit,
        Kind::Chaos,
        Kind::Hedge,
    ];

    /// The table's name, as in the attribute: `circuit_breaker`.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Retry => "retry",
            Kind::Timeout => "timeout",
            Kind::CircuitBreaker => "circuit_breaker",
            Kind::Bulkhead => "bulkhead",
            Kind::RateLimit => "rate_limit",
            Kind::Chaos => "chaos",
            Kind::Hedge => "hedge",
        }
    }

    /// The kind of a table name, or the message naming the nearest.
    pub fn from_table(table: &str) -> Result<Kind, Problem> {
        Kind::ALL
            .into_iter()
            .find(|k| k.table() == table)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.table()).collect();
                let hint = resilience_grammar::suggest::hint(table, "tables", &names);
                format!("unknown table `[{table}]`; {hint}")
            })
    }

    /// The keys a configuration may set: the attribute's keys that are values (not `name`,
    /// `when`, `key` or `crate`), plus `enabled`.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Retry => &[
                "attempts",
                "backoff",
                "jitter",
                "max_elapsed",
                "budget",
                "enabled",
            ],
            Kind::Timeout => &["duration", "enabled"],
            Kind::CircuitBreaker => &[
                "failure_rate",
                "slow_call",
                "slow_rate",
                "window",
                "min_calls",
                "consecutive_failures",
                "open_for",
                "half_open_calls",
                "max_keys",
                "scope",
                "store_timeout",
                "enabled",
            ],
            Kind::Bulkhead => &["max_concurrent", "max_wait", "max_keys", "enabled"],
            Kind::RateLimit => &[
                "rate",
                "burst",
                "max_wait",
                "max_keys",
                "scope",
                "on_store_error",
                "store_timeout",
                "enabled",
            ],
            Kind::Chaos => &["error_rate", "latency", "latency_rate", "enabled"],
            Kind::Hedge => &["delay", "max_hedged", "budget", "enabled"],
        }
    }

    fn attribute_keys(self) -> &'static [&'static str] {
        match self {
            Kind::Retry => keys::RETRY,
            Kind::Timeout => keys::TIMEOUT,
            Kind::CircuitBreaker => keys::CIRCUIT_BREAKER,
            Kind::Bulkhead => keys::BULKHEAD,
            Kind::RateLimit => keys::RATE_LIMIT,
            Kind::Chaos => keys::CHAOS,
            Kind::Hedge => keys::HEDGE,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.table())
    }
}

/// A breaker's window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowValue {
    /// The last N calls.
    Calls(u32),
    /// The calls of the last D.
    Time(Duration),
}

/// One checked value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A whole number (`attempts`, `max_concurrent`, `burst`, …).
    Count(u32),
    /// A share between 0 and 1 (`failure_rate`, `error_rate`, …).
    Share(f64),
    /// A duration (`duration`, `max_wait`, `slow_call`, …).
    Duration(Duration),
    /// A count per period (`rate`).
    Rate(u32, Duration),
    /// A retry's backoff.
    Backoff(Backoff),
    /// A breaker's time open.
    OpenFor(OpenFor),
    /// A breaker's window.
    Window(WindowValue),
    /// A retry's jitter: `full`, `equal`, `decorrelated` or `none`.
    Jitter(&'static str),
    /// A retry's or hedge's budget: a share, or `None` for `none` (no budget).
    Budget(Option<f64>),
    /// A hedge's adaptive delay: a percentile of recent latencies, as a share (`p95`: 0.95).
    Percentile(f64),
    /// `enabled = false` passes calls straight through the layer.
    Enabled(bool),
    /// A named choice: `scope = "fleet"`, `on_store_error = "deny"`.
    Word(&'static str),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Count(n) | Value::Window(WindowValue::Calls(n)) => write!(f, "{n}"),
            Value::Share(s) | Value::Budget(Some(s)) => f.write_str(&share::display(*s)),
            Value::Duration(d) | Value::Window(WindowValue::Time(d)) => {
                f.write_str(&duration::display(*d))
            }
            Value::Rate(n, per) => f.write_str(&rate::display(*n, *per)),
            Value::Backoff(b) => f.write_str(&show_backoff(b)),
            Value::OpenFor(OpenFor::Fixed(d)) => f.write_str(&duration::display(*d)),
            Value::OpenFor(OpenFor::Exponential { base, max }) => write!(
                f,
                "exponential({}, max = {})",
                duration::display(*base),
                duration::display(*max)
            ),
            Value::Jitter(j) | Value::Word(j) => f.write_str(j),
            Value::Budget(None) => f.write_str("none"),
            Value::Percentile(p) => f.write_str(&hedge::display_percentile(*p)),
            Value::Enabled(b) => write!(f, "{b}"),
        }
    }
}

fn show_backoff(b: &Backoff) -> String {
    let d = |d: &Duration| duration::display(*d);
    match b {
        Backoff::None => "none".into(),
        Backoff::Constant(base) => format!("constant({})", d(base)),
        Backoff::Exponential { base, factor, max } => {
            let mut s = format!("exponential({}", d(base));
            if let Some(f) = factor {
                s += &format!(", factor = {f:?}");
            }
            if let Some(m) = max {
                s += &format!(", max = {}", d(m));
            }
            s + ")"
        }
        Backoff::Fibonacci { base, max } => match max {
            Some(m) => format!("fibonacci({}, max = {})", d(base), d(m)),
            None => format!("fibonacci({})", d(base)),
        },
    }
}

/// Checks that `key` is one a configuration may set for `kind`, or says why not.
pub fn check_key(kind: Kind, key: &str) -> Result<(), Problem> {
    if kind.keys().contains(&key) {
        return Ok(());
    }
    let attr = kind.table();
    if kind.attribute_keys().contains(&key) {
        return Err(match key {
            "name" => format!("`name` is the table's own name: `[{attr}.<name>]`"),
            "when" => format!("`when` is a function, so it is set in `#[{attr}]` only"),
            _ => format!("`{key}` is set in `#[{attr}]` only"),
        });
    }
    Err(keys::unknown(attr, key, kind.keys()))
}

fn text(raw: &Raw, expected: impl FnOnce() -> Problem) -> Result<&str, Problem> {
    match raw {
        Raw::Text(t) => Ok(t),
        _ => Err(expected()),
    }
}

fn whole(raw: &Raw, what: &str) -> Result<u32, Problem> {
    let what = format!("`{what}`");
    match raw {
        Raw::Integer(i) => u32::try_from(*i).map_err(|_| {
            if *i < 0 {
                count::expected(&what)
            } else {
                count::too_large(&i.to_string(), &what)
            }
        }),
        Raw::Text(t) => count::parse(t, &what),
        _ => Err(count::expected(&what)),
    }
}

fn a_share(raw: &Raw, what: &str) -> Result<f64, Problem> {
    match raw {
        Raw::Text(t) => share::parse(t, what),
        Raw::Float(x) if *x >= 0.0 => share::from_number(*x, false, what),
        Raw::Integer(i) if *i >= 0 => share::from_number(*i as f64, false, what),
        _ => Err(share::expected(what)),
    }
}

fn a_duration(raw: &Raw, what: &str) -> Result<Duration, Problem> {
    match raw {
        Raw::Text(t) => duration::parse(t, what),
        // A number without its unit: the attribute's own words (`800` needs a unit).
        Raw::Integer(i) if *i >= 0 => duration::from_parts(&i.to_string(), "", what),
        Raw::Float(x) if *x >= 0.0 => duration::from_parts(&x.to_string(), "", what),
        _ => Err(format!(
            "expected a duration for `{what}`, such as `\"250ms\"` or `\"2s\"`"
        )),
    }
}

/// Reads the value of `key` for `kind` with the attribute's grammar and rules.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::config::{Kind, Raw, Value, parse_value};
/// assert_eq!(
///     parse_value(Kind::CircuitBreaker, "failure_rate", &Raw::Text("40%".into())),
///     Ok(Value::Share(0.4))
/// );
/// assert_eq!(
///     parse_value(Kind::Retry, "attempts", &Raw::Integer(0)).unwrap_err(),
///     "`attempts` counts the first call too, so it must be at least 1 (1 means no retry)"
/// );
/// ```
pub fn parse_value(kind: Kind, key: &str, raw: &Raw) -> Result<Value, Problem> {
    check_key(kind, key)?;
    let counted = |rule: fn(u64) -> Result<(), Problem>| -> Result<Value, Problem> {
        let n = whole(raw, key)?;
        rule(u64::from(n))?;
        Ok(Value::Count(n))
    };
    match (kind, key) {
        (_, "enabled") => match raw {
            Raw::Bool(b) => Ok(Value::Enabled(*b)),
            Raw::Text(t) if t.trim() == "true" => Ok(Value::Enabled(true)),
            Raw::Text(t) if t.trim() == "false" => Ok(Value::Enabled(false)),
            _ => Err("`enabled` is `true` or `false`".into()),
        },
        (_, "max_keys") => counted(rules::max_keys),
        (_, "scope") => {
            let t = text(raw, || {
                format!("expected a scope: {}", quoted(keys::SCOPES))
            })?;
            let word = keys::choice("scope", t.trim(), keys::SCOPES)?;
            if word == "fleet" && !cfg!(feature = "redis") {
                return Err(rules::FLEET_NEEDS_FEATURE.into());
            }
            Ok(Value::Word(word))
        }
        (_, "on_store_error") => {
            let t = text(raw, || format!("expected {}", quoted(keys::ON_STORE_ERROR)))?;
            keys::choice("on_store_error", t.trim(), keys::ON_STORE_ERROR).map(Value::Word)
        }
        (_, "store_timeout") => {
            let d = a_duration(raw, key)?;
            rules::store_timeout(d)?;
            Ok(Value::Duration(d))
        }
        (Kind::Retry, "attempts") => counted(rules::attempts),
        (Kind::Retry, "backoff") => {
            let t = text(raw, || format!("expected a backoff: {}", backoff::EXAMPLE))?;
            backoff::parse(t).map(Value::Backoff)
        }
        (Kind::Retry, "jitter") => {
            let t = text(raw, || {
                format!("expected a jitter: {}", quoted(keys::JITTERS))
            })?;
            keys::choice("jitter", t.trim(), keys::JITTERS).map(Value::Jitter)
        }
        (Kind::Retry, "max_elapsed") => {
            let d = a_duration(raw, key)?;
            rules::max_elapsed(d)?;
            Ok(Value::Duration(d))
        }
        (Kind::Retry | Kind::Hedge, "budget") => match raw {
            Raw::Text(t) if t.trim() == "none" => Ok(Value::Budget(None)),
            _ => a_share(raw, key).map(|s| Value::Budget(Some(s))),
        },
        (Kind::Timeout, "duration") => {
            let d = a_duration(raw, "timeout")?;
            rules::timeout(d)?;
            Ok(Value::Duration(d))
        }
        (Kind::CircuitBreaker, "failure_rate" | "slow_rate") => {
            let s = a_share(raw, key)?;
            rules::opening_share(key, s)?;
            Ok(Value::Share(s))
        }
        (Kind::CircuitBreaker, "slow_call") => {
            let d = a_duration(raw, key)?;
            rules::positive(key, d)?;
            Ok(Value::Duration(d))
        }
        (Kind::CircuitBreaker, "window") => {
            let calls = match raw {
                Raw::Integer(_) => true,
                Raw::Text(t) => t.trim().bytes().all(|b| b.is_ascii_digit() || b == b'_'),
                _ => false,
            };
            if calls {
                let n = whole(raw, key)?;
                rules::window_calls(u64::from(n))?;
                return Ok(Value::Window(WindowValue::Calls(n)));
            }
            let d = a_duration(raw, key)?;
            rules::window_time(d)?;
            Ok(Value::Window(WindowValue::Time(d)))
        }
        (Kind::CircuitBreaker, "min_calls") => {
            let n = whole(raw, key)?;
            rules::at_least_one(key, u64::from(n), rules::MIN_CALLS_HINT)?;
            Ok(Value::Count(n))
        }
        (Kind::CircuitBreaker, "consecutive_failures") => {
            let n = whole(raw, key)?;
            rules::at_least_one(key, u64::from(n), rules::CONSECUTIVE_FAILURES_HINT)?;
            Ok(Value::Count(n))
        }
        (Kind::CircuitBreaker, "open_for") => {
            let t = text(raw, || {
                "expected a duration (`\"30s\"`) or `\"exponential(10s, max = 5m)\"` for `open_for`"
                    .to_string()
            })?;
            backoff::parse_open_for(t).map(Value::OpenFor)
        }
        (Kind::CircuitBreaker, "half_open_calls") => counted(rules::half_open_calls),
        (Kind::Bulkhead, "max_concurrent") => counted(rules::max_concurrent),
        (Kind::Bulkhead | Kind::RateLimit, "max_wait") => a_duration(raw, key).map(Value::Duration),
        (Kind::RateLimit, "rate") => {
            let t = text(raw, || rate::EXPECTED.to_string())?;
            rate::parse(t).map(|(n, per)| Value::Rate(n, per))
        }
        (Kind::RateLimit, "burst") => counted(rules::burst),
        (Kind::Chaos, "error_rate" | "latency_rate") => a_share(raw, key).map(Value::Share),
        (Kind::Chaos, "latency") => {
            let d = a_duration(raw, key)?;
            rules::latency(d)?;
            Ok(Value::Duration(d))
        }
        (Kind::Hedge, "delay") => {
            let t = text(raw, || {
                format!("expected a delay for `delay`: {}", hedge::PERCENTILE_HELP)
            })?;
            Ok(match hedge::parse_delay(t)? {
                hedge::Delay::Percentile(p) => Value::Percentile(p),
                hedge::Delay::Fixed(d) => Value::Duration(d),
            })
        }
        (Kind::Hedge, "max_hedged") => counted(hedge::max_hedged),
        // `check_key` let through only the keys above.
        _ => Err(keys::unknown(kind.table(), key, kind.keys())),
    }
}

fn quoted(words: &[&str]) -> String {
    let list: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    list.join(", ")
}

/// The rules between the keys of one table (`min_calls` within a count window, `slow_rate`
/// with `slow_call`, `latency_rate` with `latency`): `get` gives the effective value of a key
/// (configured, or else the attribute's). Returns the key at fault and the message.
pub fn check_together(
    kind: Kind,
    get: impl Fn(&str) -> Option<Value>,
) -> Result<(), (&'static str, Problem)> {
    match kind {
        Kind::CircuitBreaker => {
            if let (Some(Value::Count(m)), Some(Value::Window(WindowValue::Calls(n)))) =
                (get("min_calls"), get("window"))
            {
                rules::min_calls_in_window(u64::from(m), u64::from(n))
                    .map_err(|p| ("min_calls", p))?;
            }
            if get("slow_rate").is_some() && get("slow_call").is_none() {
                return Err(("slow_rate", rules::SLOW_RATE_WITHOUT_SLOW_CALL.into()));
            }
        }
        Kind::Chaos if get("latency_rate").is_some() && get("latency").is_none() => {
            return Err(("latency_rate", rules::LATENCY_RATE_WITHOUT_LATENCY.into()));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Raw {
        Raw::Text(s.into())
    }

    /// The keys a configuration may set are the attribute's keys (from the one grammar) less
    /// those that are not values, plus `enabled`: the two lists cannot drift apart.
    #[test]
    fn configurable_keys_are_the_attributes_value_keys_plus_enabled() {
        use resilience_grammar::keys;
        for (kind, attribute) in [
            (Kind::Retry, keys::RETRY),
            (Kind::Timeout, keys::TIMEOUT),
            (Kind::CircuitBreaker, keys::CIRCUIT_BREAKER),
            (Kind::Bulkhead, keys::BULKHEAD),
            (Kind::RateLimit, keys::RATE_LIMIT),
            (Kind::Chaos, keys::CHAOS),
            (Kind::Hedge, keys::HEDGE),
        ] {
            let mut expected: Vec<&str> = attribute
                .iter()
                .copied()
                .filter(|k| !["name", "when", "key", "crate"].contains(k))
                .chain(["enabled"])
                .collect();
            let mut configurable = kind.keys().to_vec();
            expected.sort_unstable();
            configurable.sort_unstable();
            assert_eq!(configurable, expected, "{kind}");
        }
    }

    #[test]
    fn every_key_of_every_kind_reads_its_written_form() {
        let ok = |kind, key, raw: Raw, shown: &str| {
            let v = parse_value(kind, key, &raw).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert_eq!(v.to_string(), shown, "{kind}.{key}");
        };
        use Kind::*;
        ok(Retry, "attempts", Raw::Integer(5), "5");
        ok(Retry, "attempts", t("5"), "5");
        ok(
            Retry,
            "backoff",
            t("exponential(50ms, max = 2s)"),
            "exponential(50ms, max = 2s)",
        );
        ok(Retry, "backoff", t("constant(1s)"), "constant(1s)");
        ok(Retry, "jitter", t("equal"), "equal");
        ok(Retry, "max_elapsed", t("30s"), "30s");
        ok(Retry, "budget", t("20%"), "20%");
        ok(Retry, "budget", t("none"), "none");
        ok(Retry, "enabled", Raw::Bool(false), "false");
        ok(Timeout, "duration", t("500ms"), "500ms");
        ok(CircuitBreaker, "failure_rate", t("40%"), "40%");
        ok(CircuitBreaker, "failure_rate", Raw::Float(0.4), "40%");
        ok(CircuitBreaker, "slow_call", t("2s"), "2s");
        ok(CircuitBreaker, "slow_rate", t("100%"), "100%");
        ok(CircuitBreaker, "window", Raw::Integer(50), "50");
        ok(CircuitBreaker, "window", t("60s"), "1m");
        ok(CircuitBreaker, "min_calls", Raw::Integer(10), "10");
        ok(CircuitBreaker, "consecutive_failures", Raw::Integer(5), "5");
        ok(
            CircuitBreaker,
            "open_for",
            t("exponential(10s, max = 5m)"),
            "exponential(10s, max = 5m)",
        );
        ok(CircuitBreaker, "open_for", t("30s"), "30s");
        ok(CircuitBreaker, "half_open_calls", Raw::Integer(3), "3");
        ok(CircuitBreaker, "max_keys", Raw::Integer(10), "10");
        ok(Bulkhead, "max_concurrent", Raw::Integer(4), "4");
        ok(Bulkhead, "max_wait", t("50ms"), "50ms");
        ok(RateLimit, "rate", t("20/1s"), "20/1s");
        ok(RateLimit, "burst", Raw::Integer(5), "5");
        ok(RateLimit, "max_wait", t("0ms"), "0ms");
        ok(Chaos, "error_rate", t("10%"), "10%");
        ok(Chaos, "latency", t("200ms"), "200ms");
        ok(Chaos, "latency_rate", t("20%"), "20%");
        ok(Chaos, "enabled", t("true"), "true");
        ok(Hedge, "delay", t("p99.9"), "p99.9");
        ok(Hedge, "delay", t("p95"), "p95");
        ok(Hedge, "delay", t("40ms"), "40ms");
        ok(Hedge, "max_hedged", Raw::Integer(2), "2");
        ok(Hedge, "budget", t("5%"), "5%");
    }

    #[test]
    fn wrong_kinds_and_keys_are_named() {
        let err = |kind, key, raw: Raw| parse_value(kind, key, &raw).unwrap_err();
        assert!(err(Kind::Retry, "attempts", Raw::Integer(-1)).contains("whole number"));
        assert!(err(Kind::Retry, "attempts", Raw::Bool(true)).contains("whole number"));
        assert!(
            err(Kind::Timeout, "duration", Raw::Integer(5)).contains("needs a unit: write `5ms`")
        );
        assert!(err(Kind::Timeout, "duration", Raw::Bool(true)).contains("expected a duration"));
        assert!(err(Kind::Retry, "atempts", Raw::Integer(5)).contains("did you mean `attempts`?"));
        assert!(err(Kind::Retry, "when", t("f")).contains("set in `#[retry]` only"));
        assert!(err(Kind::Retry, "enabled", t("no")).contains("`true` or `false`"));
        assert!(
            Kind::from_table("circuit_braker")
                .unwrap_err()
                .contains("did you mean `circuit_breaker`?")
        );
    }

    #[test]
    fn keys_are_checked_together() {
        let get = |pairs: &'static [(&'static str, Value)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        static BAD: [(&str, Value); 2] = [
            ("min_calls", Value::Count(20)),
            ("window", Value::Window(WindowValue::Calls(10))),
        ];
        let (key, why) = check_together(Kind::CircuitBreaker, get(&BAD)).unwrap_err();
        assert_eq!(key, "min_calls");
        assert!(why.contains("window of 10 calls"));
        static GOOD: [(&str, Value); 1] = [("min_calls", Value::Count(20))];
        assert!(check_together(Kind::CircuitBreaker, get(&GOOD)).is_ok());
        static SLOW: [(&str, Value); 1] = [("slow_rate", Value::Share(0.5))];
        assert!(check_together(Kind::CircuitBreaker, get(&SLOW)).is_err());
    }
}
