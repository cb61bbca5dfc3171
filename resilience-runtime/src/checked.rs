//! Counts, rates and percentages written as expressions (`attempts = self.cfg.attempts`): the
//! generated code builds such a policy at each call and checks it here, with the attributes'
//! own rules (`resilience-grammar`), before the call runs. A value the attribute would refuse
//! at compile time fails that call with [`Error::InvalidValue`], in the compiler's words.

use crate::bulkhead::BulkheadPolicy;
use crate::circuit_breaker::{BreakerPolicy, Window};
use crate::error::{Error, InvalidValue};
use crate::hedge::HedgePolicy;
use crate::rate_limit::RateLimitPolicy;
use crate::retry::{Budget, RetryPolicy};
use resilience_grammar::{Problem, duration, rate, rules, share};
use std::time::Duration;

/// A policy whose values can be checked against the attribute's rules.
pub trait Checked {
    /// The first value that breaks a rule, with the rule's words.
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
/// assert_eq!((invalid.key, invalid.value.as_str()), ("attempts", "0"));
/// assert!(invalid.rule.contains("must be at least 1"));
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
    let error = Error::InvalidValue {
        name,
        invalid: Box::new(invalid),
    };
    crate::telemetry::rejected(&error);
    error
}

/// `key = value` refused by `rule` (the value written out only then).
fn invalid(
    key: &'static str,
    value: impl ToString,
    rule: Result<(), Problem>,
) -> Result<(), InvalidValue> {
    rule.map_err(|rule| InvalidValue::new(key, value.to_string(), rule))
}

fn count(
    key: &'static str,
    n: u32,
    rule: fn(u64) -> Result<(), Problem>,
) -> Result<(), InvalidValue> {
    invalid(key, n, rule(u64::from(n)))
}

/// A share from 0.0 to 1.0, as `50%` or `0.5` in the attribute.
fn share(key: &'static str, s: f64) -> Result<(), InvalidValue> {
    invalid(key, s, share::from_number(s, false, key).map(|_| ()))
}

fn budget(b: Budget) -> Result<(), InvalidValue> {
    match b {
        Budget::Ratio(r) => share("budget", r),
        _ => Ok(()),
    }
}

impl Checked for RetryPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        count("attempts", self.attempts, rules::attempts)?;
        budget(self.budget)
    }
}

impl Checked for BreakerPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        for (key, s) in [
            ("failure_rate", self.failure_rate),
            ("slow_rate", self.slow_rate),
        ] {
            share(key, s)?;
            invalid(key, s, rules::opening_share(key, s))?;
        }
        match self.window {
            Window::Calls(n) => count("window", n, rules::window_calls)?,
            Window::Time(d) => invalid("window", duration::display(d), rules::window_time(d))?,
        }
        let m = self.min_calls;
        invalid(
            "min_calls",
            m,
            rules::at_least_one("min_calls", m.into(), rules::MIN_CALLS_HINT),
        )?;
        if let Window::Calls(n) = self.window {
            invalid(
                "min_calls",
                m,
                rules::min_calls_in_window(m.into(), n.into()),
            )?;
        }
        if let Some(c) = self.consecutive_failures {
            let hint = rules::CONSECUTIVE_FAILURES_HINT;
            invalid(
                "consecutive_failures",
                c,
                rules::at_least_one("consecutive_failures", c.into(), hint),
            )?;
        }
        count(
            "half_open_calls",
            self.half_open_calls,
            rules::half_open_calls,
        )
    }
}

impl Checked for BulkheadPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        let n = self.max_concurrent;
        invalid("max_concurrent", n, rules::max_concurrent(n as u64))
    }
}

impl Checked for RateLimitPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        let written = || rate::display(self.count, self.per);
        invalid("rate", written(), rules::rate_count(self.count.into()))?;
        invalid("rate", written(), rules::rate_period(self.per))?;
        count("burst", self.burst, rules::burst)
    }
}

impl Checked for HedgePolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        count("max_hedged", self.max_hedged, rules::max_hedged)?;
        budget(self.budget)
    }
}

#[cfg(feature = "chaos")]
impl Checked for crate::chaos::ChaosPolicy {
    fn check(&self) -> Result<(), InvalidValue> {
        share("error_rate", self.error_rate)?;
        share("latency_rate", self.latency_rate)
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
        assert_eq!((r.key, r.value.as_str()), ("attempts", "0"));
        assert_eq!(Err(r.rule), rules::attempts(0));
        let r = refused(RetryPolicy {
            budget: Budget::Ratio(1.5),
            ..RetryPolicy::DEFAULT
        });
        assert_eq!(Err(r.rule), share::from_number(1.5, false, "budget"));

        let b = BreakerPolicy::DEFAULT;
        let r = refused(BreakerPolicy {
            failure_rate: 1.5,
            ..b
        });
        assert_eq!((r.key, r.value.as_str()), ("failure_rate", "1.5"));
        assert!(r.rule.contains("between 0% and 100%"), "{}", r.rule);
        let r = refused(BreakerPolicy {
            slow_rate: 0.0,
            ..b
        });
        assert_eq!(Err(r.rule), rules::opening_share("slow_rate", 0.0));
        let r = refused(BreakerPolicy {
            window: Window::Calls(0),
            ..b
        });
        assert_eq!(Err(r.rule), rules::window_calls(0));
        let r = refused(BreakerPolicy {
            window: Window::Time(Duration::ZERO),
            ..b
        });
        assert_eq!((r.key, r.value.as_str()), ("window", "0ms"));
        let r = refused(BreakerPolicy {
            window: Window::Calls(10),
            ..b
        });
        assert_eq!((r.key, r.value.as_str()), ("min_calls", "20"));
        assert_eq!(Err(r.rule), rules::min_calls_in_window(20, 10));
        let r = refused(BreakerPolicy { min_calls: 0, ..b });
        assert_eq!(r.key, "min_calls");
        let r = refused(BreakerPolicy {
            consecutive_failures: Some(0),
            ..b
        });
        assert_eq!(r.key, "consecutive_failures");
        let r = refused(BreakerPolicy {
            half_open_calls: 5000,
            ..b
        });
        assert_eq!(Err(r.rule), rules::half_open_calls(5000));

        let r = refused(BulkheadPolicy {
            max_concurrent: 0,
            ..BulkheadPolicy::DEFAULT
        });
        assert_eq!(Err(r.rule), rules::max_concurrent(0));

        let second = Duration::from_secs(1);
        let r = refused(RateLimitPolicy::new(0, second));
        assert_eq!((r.key, r.value.as_str()), ("rate", "0/1s"));
        let r = refused(RateLimitPolicy::new(5, Duration::ZERO));
        assert_eq!(Err(r.rule), rules::rate_period(Duration::ZERO));
        let r = refused(RateLimitPolicy {
            burst: 0,
            ..RateLimitPolicy::new(5, second)
        });
        assert_eq!(Err(r.rule), rules::burst(0));

        let r = refused(HedgePolicy {
            max_hedged: 11,
            ..HedgePolicy::DEFAULT
        });
        assert_eq!(Err(r.rule), rules::max_hedged(11));
        let r = refused(HedgePolicy {
            budget: Budget::Ratio(f64::NAN),
            ..HedgePolicy::DEFAULT
        });
        assert_eq!(r.key, "budget");
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
