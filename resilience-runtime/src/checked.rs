//! Counts, rates and percentages written as expressions (`attempts = self.cfg.attempts`): the
//! generated code builds such a policy at each call and checks it here, with the attributes'
//! own rules (`resilience-grammar`), before the call runs. A value the attribute would refuse
//! at compile time fails that call with [`Error::InvalidValue`], in the compiler's words.

use crate::bulkhead::BulkheadPolicy;
use crate::circuit_breaker::{BreakerPolicy, Window};
use crate::error::Error;
use crate::hedge::HedgePolicy;
use crate::rate_limit::RateLimitPolicy;
use crate::retry::{Budget, RetryPolicy};
use resilience_grammar::{Problem, duration, rate, rules, share};
use std::fmt;
use std::time::Duration;

/// A policy whose values can be checked against the attribute's rules.
pub trait Checked {
    /// The first value that breaks a rule.
    fn check(&self) -> Result<(), InvalidValue>;
}

/// `policy`, or [`Error::InvalidValue`] naming the callsite `name`, the key, its value and the
/// rule, when a value breaks the attribute's rules.
///
/// ```
/// use resilience_runtime::__private::{RetryPolicy, checked};
/// use resilience_runtime::Error;
/// let fine = RetryPolicy { attempts: 2, ..RetryPolicy::DEFAULT };
/// assert_eq!(checked("docs::fetch", fine), Ok(fine));
/// let Err(Error::InvalidValue { invalid, .. }) =
///     checked("docs::fetch", RetryPolicy { attempts: 0, ..RetryPolicy::DEFAULT })
/// else { unreachable!() };
/// assert_eq!((invalid.key(), invalid.value().as_str()), ("attempts", "0"));
/// assert!(invalid.rule().contains("must be at least 1"));
/// ```
#[inline]
pub fn checked<P: Checked>(name: &'static str, policy: P) -> Result<P, Error> {
    match policy.check() {
        Ok(()) => Ok(policy),
        Err(invalid) => Err(refused(name, invalid)),
    }
}

#[cold]
#[inline(never)]
fn refused(name: &'static str, invalid: InvalidValue) -> Error {
    let error = Error::InvalidValue { name, invalid };
    crate::telemetry::rejected(&error);
    error
}

/// A value from an attribute's expression that its key does not allow: the key, the value,
/// and the rule it breaks in the words of the compile-time check (the rule's text is the
/// grammar's, `resilience-grammar`, made when asked for). Sixteen bytes and no heap, so an
/// [`Error`] holding one costs the calls that succeed nothing.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::Error;
///
/// // A function whose `attempts` is an expression, called with `n = 0`:
/// //
/// //     #[resilience::retry(attempts = n)]
/// //     fn fetch(n: u32) -> Result<(), Error> { Ok(()) }
/// # fn fetch(n: u32) -> Result<(), Error> {
/// #     use resilience_runtime::__private::{RetryPolicy, checked};
/// #     checked("fetch", RetryPolicy { attempts: n, ..RetryPolicy::DEFAULT }).map(drop)
/// # }
/// let Err(Error::InvalidValue { invalid, .. }) = fetch(0) else { unreachable!() };
/// assert_eq!(
///     invalid.to_string(),
///     "`attempts = 0`: `attempts` counts the first call too, so it must be at least 1 (1 means no retry)"
/// );
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvalidValue(Refused);

impl InvalidValue {
    /// The attribute's key: `attempts`.
    pub fn key(&self) -> &'static str {
        self.0.key()
    }

    /// The value as it reads in the attribute: `0`, `1.5`, `0/1s`.
    pub fn value(&self) -> String {
        self.0.value()
    }

    /// The rule it breaks, and what to give instead.
    pub fn rule(&self) -> Problem {
        self.0.rule().err().unwrap_or_default()
    }
}

impl fmt::Debug for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidValue")
            .field("key", &self.key())
            .field("value", &self.value())
            .field("rule", &self.rule())
            .finish()
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{} = {}`: {}", self.key(), self.value(), self.rule())
    }
}

/// A checked value, tagged by its key; durations in nanoseconds and shares as their bits, so
/// it is 16 bytes, `Copy` and `Eq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Refused {
    Attempts(u32),
    MaxHedged(u32),
    MinCalls(u32),
    MinCallsInWindow { min: u32, window: u32 },
    ConsecutiveFailures(u32),
    HalfOpenCalls(u32),
    WindowCalls(u32),
    WindowTime(u64),
    MaxConcurrent(u64),
    Rate { count: u32, per: u64 },
    Burst(u32),
    Share(ShareKey, u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ShareKey {
    FailureRate,
    SlowRate,
    Budget,
    #[cfg_attr(not(feature = "chaos"), allow(dead_code))]
    ErrorRate,
    #[cfg_attr(not(feature = "chaos"), allow(dead_code))]
    LatencyRate,
}

impl ShareKey {
    fn key(self) -> &'static str {
        match self {
            ShareKey::FailureRate => "failure_rate",
            ShareKey::SlowRate => "slow_rate",
            ShareKey::Budget => "budget",
            ShareKey::ErrorRate => "error_rate",
            ShareKey::LatencyRate => "latency_rate",
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn share(key: ShareKey, s: f64) -> Refused {
    Refused::Share(key, s.to_bits())
}

impl Refused {
    fn key(self) -> &'static str {
        match self {
            Refused::Attempts(_) => "attempts",
            Refused::MaxHedged(_) => "max_hedged",
            Refused::MinCalls(_) | Refused::MinCallsInWindow { .. } => "min_calls",
            Refused::ConsecutiveFailures(_) => "consecutive_failures",
            Refused::HalfOpenCalls(_) => "half_open_calls",
            Refused::WindowCalls(_) | Refused::WindowTime(_) => "window",
            Refused::MaxConcurrent(_) => "max_concurrent",
            Refused::Rate { .. } => "rate",
            Refused::Burst(_) => "burst",
            Refused::Share(key, _) => key.key(),
        }
    }

    fn value(self) -> String {
        match self {
            Refused::Attempts(n)
            | Refused::MaxHedged(n)
            | Refused::MinCalls(n)
            | Refused::MinCallsInWindow { min: n, .. }
            | Refused::ConsecutiveFailures(n)
            | Refused::HalfOpenCalls(n)
            | Refused::WindowCalls(n)
            | Refused::Burst(n) => n.to_string(),
            Refused::MaxConcurrent(n) => n.to_string(),
            Refused::WindowTime(d) => duration::display(Duration::from_nanos(d)),
            Refused::Rate { count, per } => rate::display(count, Duration::from_nanos(per)),
            Refused::Share(_, bits) => f64::from_bits(bits).to_string(),
        }
    }

    /// The grammar's rule for this key, over this value.
    fn rule(self) -> Result<(), Problem> {
        let at_least_one = |key, n: u32, hint| rules::at_least_one(key, n.into(), hint);
        match self {
            Refused::Attempts(n) => rules::attempts(n.into()),
            Refused::MaxHedged(n) => rules::max_hedged(n.into()),
            Refused::MinCalls(n) => at_least_one("min_calls", n, rules::MIN_CALLS_HINT),
            Refused::MinCallsInWindow { min, window } => {
                rules::min_calls_in_window(min.into(), window.into())
            }
            Refused::ConsecutiveFailures(n) => {
                at_least_one("consecutive_failures", n, rules::CONSECUTIVE_FAILURES_HINT)
            }
            Refused::HalfOpenCalls(n) => rules::half_open_calls(n.into()),
            Refused::WindowCalls(n) => rules::window_calls(n.into()),
            Refused::WindowTime(d) => rules::window_time(Duration::from_nanos(d)),
            Refused::MaxConcurrent(n) => rules::max_concurrent(n),
            Refused::Rate { count, per } => rules::rate_count(count.into())
                .and_then(|()| rules::rate_period(Duration::from_nanos(per))),
            Refused::Burst(n) => rules::burst(n.into()),
            Refused::Share(key, bits) => {
                let (key, s) = (key.key(), f64::from_bits(bits));
                share::from_number(s, false, key)?;
                match key {
                    "failure_rate" | "slow_rate" => rules::opening_share(key, s),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// The first of `values` its rule refuses.
fn first_refused(values: impl IntoIterator<Item = Option<Refused>>) -> Result<(), InvalidValue> {
    match values.into_iter().flatten().find(|v| v.rule().is_err()) {
        Some(v) => Err(InvalidValue(v)),
        None => Ok(()),
    }
}

fn budget(b: Budget) -> Option<Refused> {
    match b {
        Budget::Ratio(r) => Some(share(ShareKey::Budget, r)),
        _ => None,
    }
}

impl Checked for RetryPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        first_refused([Some(Refused::Attempts(self.attempts)), budget(self.budget)])
    }
}

impl Checked for BreakerPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        let (window, in_window) = match self.window {
            Window::Calls(n) => (
                Refused::WindowCalls(n),
                Some(Refused::MinCallsInWindow {
                    min: self.min_calls,
                    window: n,
                }),
            ),
            Window::Time(d) => (Refused::WindowTime(nanos(d)), None),
        };
        first_refused([
            Some(share(ShareKey::FailureRate, self.failure_rate)),
            Some(share(ShareKey::SlowRate, self.slow_rate)),
            Some(window),
            Some(Refused::MinCalls(self.min_calls)),
            in_window,
            self.consecutive_failures.map(Refused::ConsecutiveFailures),
            Some(Refused::HalfOpenCalls(self.half_open_calls)),
        ])
    }
}

impl Checked for BulkheadPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        let n = u64::try_from(self.max_concurrent).unwrap_or(u64::MAX);
        first_refused([Some(Refused::MaxConcurrent(n))])
    }
}

impl Checked for RateLimitPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        let rate = Refused::Rate {
            count: self.count,
            per: nanos(self.per),
        };
        first_refused([Some(rate), Some(Refused::Burst(self.burst))])
    }
}

impl Checked for HedgePolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        first_refused([
            Some(Refused::MaxHedged(self.max_hedged)),
            budget(self.budget),
        ])
    }
}

#[cfg(feature = "chaos")]
impl Checked for crate::chaos::ChaosPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        first_refused([
            Some(share(ShareKey::ErrorRate, self.error_rate)),
            Some(share(ShareKey::LatencyRate, self.latency_rate)),
        ])
    }
}

/// What `window = ..` takes as an expression: a number of calls (`u32`), a [`Duration`], or a
/// [`Window`].
///
/// ```
/// use resilience_runtime::__private::window;
/// use resilience_runtime::circuit_breaker::Window;
/// use std::time::Duration;
/// assert_eq!(window(50u32), Window::Calls(50));
/// assert_eq!(window(Duration::from_secs(60)), Window::Time(Duration::from_secs(60)));
/// ```
#[diagnostic::on_unimplemented(
    message = "`window = ..` takes a number of calls (`u32`) or a `Duration`, not `{Self}`",
    label = "expected `u32` or `Duration`",
    note = "such as `window = self.cfg.window_calls` (a `u32`) or `window = Duration::from_secs(60)`"
)]
pub trait IntoWindow {
    /// The window.
    fn into_window(self) -> Window;
}

impl IntoWindow for u32 {
    #[inline(always)]
    fn into_window(self) -> Window {
        Window::Calls(self)
    }
}

impl IntoWindow for Duration {
    #[inline(always)]
    fn into_window(self) -> Window {
        Window::Time(self)
    }
}

impl IntoWindow for Window {
    #[inline(always)]
    fn into_window(self) -> Window {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused<P: Checked>(p: P) -> InvalidValue {
        p.check().expect_err("refused")
    }

    /// Each key's bad value is refused in the compile-time check's words (the grammar's rule),
    /// naming key and value.
    #[test]
    fn every_checked_key_uses_the_grammar_rule() {
        let r = refused(RetryPolicy {
            attempts: 0,
            ..RetryPolicy::DEFAULT
        });
        assert_eq!((r.key(), r.value().as_str()), ("attempts", "0"));
        assert_eq!(Err(r.rule()), rules::attempts(0));
        let r = refused(RetryPolicy {
            budget: Budget::Ratio(1.5),
            ..RetryPolicy::DEFAULT
        });
        assert_eq!(Err(r.rule()), share::from_number(1.5, false, "budget"));

        let b = BreakerPolicy::DEFAULT;
        let r = refused(BreakerPolicy {
            failure_rate: 1.5,
            ..b
        });
        assert_eq!((r.key(), r.value().as_str()), ("failure_rate", "1.5"));
        assert!(r.rule().contains("between 0% and 100%"), "{}", r.rule());
        let r = refused(BreakerPolicy {
            slow_rate: 0.0,
            ..b
        });
        assert_eq!(Err(r.rule()), rules::opening_share("slow_rate", 0.0));
        let r = refused(BreakerPolicy {
            window: Window::Calls(0),
            ..b
        });
        assert_eq!(Err(r.rule()), rules::window_calls(0));
        let r = refused(BreakerPolicy {
            window: Window::Time(Duration::ZERO),
            ..b
        });
        assert_eq!((r.key(), r.value().as_str()), ("window", "0ms"));
        let r = refused(BreakerPolicy {
            window: Window::Calls(10),
            ..b
        });
        assert_eq!((r.key(), r.value().as_str()), ("min_calls", "20"));
        assert_eq!(Err(r.rule()), rules::min_calls_in_window(20, 10));
        let r = refused(BreakerPolicy { min_calls: 0, ..b });
        assert_eq!(r.key(), "min_calls");
        let r = refused(BreakerPolicy {
            consecutive_failures: Some(0),
            ..b
        });
        assert_eq!(r.key(), "consecutive_failures");
        let r = refused(BreakerPolicy {
            half_open_calls: 5000,
            ..b
        });
        assert_eq!(Err(r.rule()), rules::half_open_calls(5000));

        let r = refused(BulkheadPolicy {
            max_concurrent: 0,
            ..BulkheadPolicy::DEFAULT
        });
        assert_eq!(Err(r.rule()), rules::max_concurrent(0));

        let second = Duration::from_secs(1);
        let r = refused(RateLimitPolicy::new(0, second));
        assert_eq!((r.key(), r.value().as_str()), ("rate", "0/1s"));
        let r = refused(RateLimitPolicy::new(5, Duration::ZERO));
        assert_eq!(Err(r.rule()), rules::rate_period(Duration::ZERO));
        let r = refused(RateLimitPolicy {
            burst: 0,
            ..RateLimitPolicy::new(5, second)
        });
        assert_eq!(Err(r.rule()), rules::burst(0));

        let r = refused(HedgePolicy {
            max_hedged: 11,
            ..HedgePolicy::DEFAULT
        });
        assert_eq!(Err(r.rule()), rules::max_hedged(11));
        let r = refused(HedgePolicy {
            budget: Budget::Ratio(f64::NAN),
            ..HedgePolicy::DEFAULT
        });
        assert_eq!(r.key(), "budget");
    }

    #[test]
    fn an_invalid_value_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<InvalidValue>(), 16);
    }

    #[test]
    fn the_defaults_pass() {
        assert!(RetryPolicy::DEFAULT.check().is_ok());
        assert!(BreakerPolicy::DEFAULT.check().is_ok());
        assert!(BulkheadPolicy::DEFAULT.check().is_ok());
        assert!(
            RateLimitPolicy::new(1, Duration::from_secs(1))
                .check()
                .is_ok()
        );
        assert!(HedgePolicy::DEFAULT.check().is_ok());
    }
}
