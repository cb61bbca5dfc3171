//! Which values each key allows, and the words for a value it does not. Each rule returns
//! `Ok` or the message; the macros span it on the literal, the runtime puts it in a
//! `ConfigError`.

use crate::Problem;
use std::time::Duration;

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), Problem> {
    if ok { Ok(()) } else { Err(message()) }
}

/// The most probes a half-open breaker admits.
pub const MAX_HALF_OPEN_CALLS: u32 = 4095;

/// `attempts` counts the first call, so at least 1.
///
/// ```
/// assert!(resilience_grammar::rules::attempts(0).is_err());
/// assert!(resilience_grammar::rules::attempts(1).is_ok());
/// ```
pub fn attempts(n: u64) -> Result<(), Problem> {
    check(n >= 1, || {
        "`attempts` counts the first call too, so it must be at least 1 (1 means no retry)".into()
    })
}

/// A bulkhead admits at least one call.
pub fn max_concurrent(n: u64) -> Result<(), Problem> {
    check(n >= 1, || {
        "`max_concurrent = 0` would refuse every call; allow at least 1".into()
    })
}

/// A keyed layer keeps at least one instance.
pub fn max_keys(n: u64) -> Result<(), Problem> {
    check(n >= 1, || {
        "`max_keys = 0` would keep no instance; allow at least 1 (default 1000)".into()
    })
}

/// A rate limiter's burst admits at least one call.
pub fn burst(n: u64) -> Result<(), Problem> {
    check(n >= 1, || {
        "`burst = 0` would refuse every call; allow at least 1 (it defaults to the rate's count)"
            .into()
    })
}

/// `scope = fleet` needs the feature that brings the store.
pub const FLEET_NEEDS_FEATURE: &str = "`scope = fleet` shares state on Redis, which needs the feature `redis`: `resilience = { features = [\"redis\"] }`";

/// A store timeout bounds every wait on the store, so it is longer than zero.
///
/// ```
/// use std::time::Duration;
/// assert!(resilience_grammar::rules::store_timeout(Duration::ZERO).is_err());
/// assert!(resilience_grammar::rules::store_timeout(Duration::from_millis(50)).is_ok());
/// ```
pub fn store_timeout(d: Duration) -> Result<(), Problem> {
    check(!d.is_zero(), || {
        "`store_timeout` must be longer than zero (default 50ms): it bounds each wait on Redis"
            .into()
    })
}

/// A rate's count of calls.
pub fn rate_count(n: u64) -> Result<(), Problem> {
    check(n >= 1, || {
        "a rate of 0 calls would refuse every call; allow at least 1, such as `rate = 1/1s`".into()
    })
}

/// A rate's period.
pub fn rate_period(d: Duration) -> Result<(), Problem> {
    check(!d.is_zero(), || {
        "the rate's period must be longer than zero, such as `100/1s`".into()
    })
}

/// A count of at least 1, where `hint` says what 1 or leaving it out means
/// (`min_calls`, `consecutive_failures`).
pub fn at_least_one(what: &str, n: u64, hint: &str) -> Result<(), Problem> {
    check(n >= 1, || format!("`{what}` must be at least 1 ({hint})"))
}

/// The hint of `min_calls = 0`.
pub const MIN_CALLS_HINT: &str = "1 decides from the first call";
/// The hint of `consecutive_failures = 0`.
pub const CONSECUTIVE_FAILURES_HINT: &str = "leave it out to switch the rule off";

/// Probes of a half-open breaker: 1 to [`MAX_HALF_OPEN_CALLS`].
pub fn half_open_calls(n: u64) -> Result<(), Problem> {
    check(n >= 1, || {
        "`half_open_calls = 0` would never let a probe through, so the breaker could never close again; use at least 1".into()
    })?;
    check(n <= u64::from(MAX_HALF_OPEN_CALLS), || {
        format!("`half_open_calls` can be at most {MAX_HALF_OPEN_CALLS}")
    })
}

/// The most runs a hedge starts beside the first.
pub const MAX_HEDGED: u32 = 10;

/// A hedge's extra runs: 1 to [`MAX_HEDGED`].
///
/// ```
/// assert!(resilience_grammar::rules::max_hedged(0).unwrap_err().contains("got 0"));
/// assert!(resilience_grammar::rules::max_hedged(2).is_ok());
/// ```
pub fn max_hedged(n: u64) -> Result<(), Problem> {
    check((1..=u64::from(MAX_HEDGED)).contains(&n), || {
        format!(
            "`max_hedged` counts the runs started beside the first and must be from 1 to {MAX_HEDGED}; got {n} (each hedge is extra load: 1 or 2 is usual)"
        )
    })
}

/// A breaker's share (`failure_rate`, `slow_rate`) must be above 0%.
pub fn opening_share(what: &str, share: f64) -> Result<(), Problem> {
    check(share > 0.0, || {
        format!(
            "`{what} = 0%` would open on the first decision; give a share above 0%, such as `50%`"
        )
    })
}

/// A count window holds at least one call.
pub fn window_calls(n: u64) -> Result<(), Problem> {
    check(n >= 1, || {
        "a window of 0 calls holds nothing to decide on; give a number of calls such as `window = 100`, or a duration such as `window = 60s`".into()
    })
}

/// A time window is longer than zero.
pub fn window_time(d: Duration) -> Result<(), Problem> {
    check(!d.is_zero(), || {
        "a window of zero time holds nothing to decide on; give a duration such as `window = 60s`, or a number of calls such as `window = 100`".into()
    })
}

/// `min_calls` must fit in a count window of `window` calls.
pub fn min_calls_in_window(min_calls: u64, window: u64) -> Result<(), Problem> {
    check(min_calls <= window, || {
        format!(
            "`min_calls = {min_calls}` can never be reached in a window of {window} calls; lower it or widen the window"
        )
    })
}

/// `slow_rate` without `slow_call`.
pub const SLOW_RATE_WITHOUT_SLOW_CALL: &str = "`slow_rate` needs `slow_call`, the duration from which a call counts as slow: add `slow_call = 2s`";

/// A breaker duration (`slow_call`, `open_for`, `max`) longer than zero.
pub fn positive(what: &str, d: Duration) -> Result<(), Problem> {
    check(!d.is_zero(), || {
        format!("`{what}` must be longer than zero")
    })
}

/// A timeout longer than zero.
pub fn timeout(d: Duration) -> Result<(), Problem> {
    check(!d.is_zero(), || {
        "a timeout of zero fails every call; give a positive duration such as `100ms`".into()
    })
}

/// A retry's `max_elapsed` longer than zero.
pub fn max_elapsed(d: Duration) -> Result<(), Problem> {
    check(!d.is_zero(), || {
        "`max_elapsed` must be longer than zero, such as `30s`; remove it for no limit".into()
    })
}

/// A chaos latency longer than zero.
pub fn latency(d: Duration) -> Result<(), Problem> {
    check(!d.is_zero(), || {
        "a latency of zero delays nothing; give the delay to inject, such as `latency = 200ms`"
            .into()
    })
}

/// A chaos `latency_rate` without `latency`.
pub const LATENCY_RATE_WITHOUT_LATENCY: &str =
    "`latency_rate` needs `latency`, the delay to inject: add `latency = 200ms`";

/// An exponential backoff's factor.
pub fn factor(f: f64) -> Result<(), Problem> {
    check(f >= 1.0 && f.is_finite(), || {
        "`factor` must be at least 1.0, or delays would shrink".into()
    })
}

/// A retry backoff's `max` at least its first delay.
pub fn backoff_max(base: Duration, max: Duration) -> Result<(), Problem> {
    check(max >= base, || {
        format!("`max` is shorter than the first delay ({base:?}); raise it or lower the delay")
    })
}

/// An `open_for` schedule's `max` at least its first period.
pub fn open_for_max(base: Duration, max: Duration) -> Result<(), Problem> {
    check(max >= base, || {
        format!("`max` is shorter than the first open period ({base:?}); raise it")
    })
}

/// `open_for = exponential(..)` without `max`.
pub const OPEN_FOR_NEEDS_CAP: &str = "`exponential` needs a cap, or the breaker could stay open for ever: `exponential(10s, max = 5m)`";
/// `open_for = exponential()` without its first period.
pub const OPEN_FOR_NEEDS_BASE: &str =
    "`exponential` needs its first open period: `exponential(10s, max = 5m)`";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_refuses_its_bad_value_and_keeps_the_good_one() {
        assert!(max_concurrent(0).unwrap_err().contains("refuse every call"));
        assert!(max_concurrent(1).is_ok());
        assert!(burst(0).is_err() && burst(1).is_ok());
        assert!(rate_count(0).is_err() && rate_count(1).is_ok());
        assert!(rate_period(Duration::ZERO).is_err());
        assert!(half_open_calls(0).is_err() && half_open_calls(4096).is_err());
        assert!(half_open_calls(4095).is_ok());
        assert!(opening_share("failure_rate", 0.0).is_err());
        assert!(window_calls(0).is_err() && window_time(Duration::ZERO).is_err());
        assert!(
            min_calls_in_window(20, 10)
                .unwrap_err()
                .contains("window of 10 calls")
        );
        assert!(min_calls_in_window(10, 10).is_ok());
        assert!(factor(0.5).is_err() && factor(1.0).is_ok() && factor(f64::NAN).is_err());
        let s = Duration::from_secs;
        assert!(backoff_max(s(2), s(1)).unwrap_err().contains("(2s)"));
        assert!(open_for_max(s(10), s(5)).unwrap_err().contains("(10s)"));
        assert!(timeout(Duration::ZERO).is_err() && latency(Duration::ZERO).is_err());
        assert!(max_elapsed(Duration::ZERO).is_err() && positive("x", Duration::ZERO).is_err());
        assert!(at_least_one("min_calls", 0, MIN_CALLS_HINT).is_err());
        assert!(max_hedged(11).is_err() && max_hedged(10).is_ok() && max_hedged(1).is_ok());
    }
}
