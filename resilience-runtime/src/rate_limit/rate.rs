//! A rate as a value: what `rate = <expression>` takes.

use super::RateLimitPolicy;
use std::fmt;
use std::time::Duration;

/// `count` calls per `per`: the type of a `rate = ..` written as an expression
/// (`#[rate_limit(rate = self.cfg.rate)]`); `rate = 100/1s` reads as `Rate::new(100, 1s)`.
/// A count of 0 or a period of zero fails the call with `Error::InvalidValue`.
///
/// ```
/// # mod resilience { pub use resilience_runtime::rate_limit::Rate; }
/// use resilience::Rate;
/// use std::time::Duration;
/// let r = Rate::per_second(100);
/// assert_eq!(r, Rate::new(100, Duration::from_secs(1)));
/// assert_eq!(r.to_string(), "100/1s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Calls per `per`.
    pub count: u32,
    /// The period.
    pub per: Duration,
}

impl Rate {
    /// `count` calls per `per`.
    pub const fn new(count: u32, per: Duration) -> Self {
        Rate { count, per }
    }

    /// `count` calls per second.
    pub const fn per_second(count: u32) -> Self {
        Rate::new(count, Duration::from_secs(1))
    }

    /// The policy of this rate: a burst of `count`, no waiting.
    pub const fn policy(self) -> RateLimitPolicy {
        RateLimitPolicy::new(self.count, self.per)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&resilience_grammar::rate::display(self.count, self.per))
    }
}
