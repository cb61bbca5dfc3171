//! [`Registry::snapshot`]: every policy instance with its live figures, as plain data
//! (`serde::Serialize` with feature `serde`) and as a table (`Display`).

use crate::CircuitMetrics;
use crate::circuit_breaker::CircuitState;
use crate::registry::Registry;
use std::fmt;

/// Every breaker, bulkhead, rate limiter and retry name at one moment, in order of first call.
///
/// With feature `serde` it serialises to JSON with these stable field names:
///
/// ```text
/// { "circuit_breakers": [ { "name", "state", "calls", "failures", "slow_calls",
///                           "failure_rate", "slow_rate", "not_permitted" } ],
///   "bulkheads":        [ { "name", "max_concurrent", "available", "in_flight", "waiting",
///                           "rejected" } ],
///   "rate_limiters":    [ { "name", "count", "per_ms", "burst", "admitted", "rejected" } ],
///   "retries":          [ { "name", "max_attempts", "retries", "gave_up",
///                           "budget_exhausted" } ] }
/// ```
///
/// `state` is one of `"closed"`, `"open"`, `"half_open"`, `"forced_open"`, `"disabled"`;
/// rates are fractions from 0.0 to 1.0.
///
/// ```
/// let snap = resilience_runtime::registry().snapshot();
/// println!("{snap}"); // a table, one section per kind of policy
/// for b in &snap.circuit_breakers {
///     println!("{} is {}", b.name, b.state.as_str());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Snapshot {
    /// Every circuit breaker.
    pub circuit_breakers: Vec<CircuitBreakerSnapshot>,
    /// Every bulkhead.
    pub bulkheads: Vec<BulkheadSnapshot>,
    /// Every rate limiter.
    pub rate_limiters: Vec<RateLimiterSnapshot>,
    /// Every retry name.
    pub retries: Vec<RetrySnapshot>,
}

/// One circuit breaker in a [`Snapshot`]: its state and its window's figures (serialised
/// flat, beside `name` and `state`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CircuitBreakerSnapshot {
    /// The breaker's name.
    pub name: &'static str,
    /// Its state.
    pub state: CircuitState,
    /// Its window's figures, as [`CircuitBreakerHandle::metrics`](crate::CircuitBreakerHandle::metrics)
    /// gives them.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub metrics: CircuitMetrics,
}

/// One bulkhead in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct BulkheadSnapshot {
    /// The bulkhead's name.
    pub name: &'static str,
    /// Its number of places.
    pub max_concurrent: usize,
    /// Places free.
    pub available: usize,
    /// Calls inside.
    pub in_flight: usize,
    /// Callers queued for a place.
    pub waiting: usize,
    /// Calls refused so far.
    pub rejected: u64,
}

/// One rate limiter in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RateLimiterSnapshot {
    /// The limiter's name.
    pub name: &'static str,
    /// Permits per period…
    pub count: u32,
    /// …of this many milliseconds.
    pub per_ms: u64,
    /// Permits that can be taken at once.
    pub burst: u32,
    /// Calls let through so far.
    pub admitted: u64,
    /// Calls refused so far.
    pub rejected: u64,
}

/// One retry name in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RetrySnapshot {
    /// The retry name.
    pub name: &'static str,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// Retries made so far.
    pub retries: u64,
    /// Calls that failed after their last attempt.
    pub gave_up: u64,
    /// Retries the retry budget refused.
    pub budget_exhausted: u64,
}

impl Registry {
    /// Every policy instance with its live figures. Each figure is read on its own (relaxed),
    /// so under load the figures of one entry may be a few calls apart.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            circuit_breakers: self
                .circuit_breakers()
                .iter()
                .map(|b| CircuitBreakerSnapshot {
                    name: b.name(),
                    state: b.state(),
                    metrics: b.metrics(),
                })
                .collect(),
            bulkheads: self
                .bulkheads()
                .iter()
                .map(|b| BulkheadSnapshot {
                    name: b.name(),
                    max_concurrent: b.max_concurrent(),
                    available: b.available(),
                    in_flight: b.in_flight(),
                    waiting: b.waiting(),
                    rejected: b.rejected(),
                })
                .collect(),
            rate_limiters: self
                .rate_limiters()
                .iter()
                .map(|l| {
                    let p = l.policy();
                    RateLimiterSnapshot {
                        name: l.name(),
                        count: p.count,
                        per_ms: u64::try_from(p.per.as_millis()).unwrap_or(u64::MAX),
                        burst: p.burst,
                        admitted: l.admitted(),
                        rejected: l.rejected(),
                    }
                })
                .collect(),
            retries: self
                .retries()
                .iter()
                .map(|r| RetrySnapshot {
                    name: r.name(),
                    max_attempts: r.policy().attempts,
                    retries: r.retries(),
                    gave_up: r.gave_up(),
                    budget_exhausted: r.budget_exhausted(),
                })
                .collect(),
        }
    }
}

/// A table per kind of policy (kinds with no entry are left out).
impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.name_width();
        let mut first = true;
        let mut section = |f: &mut fmt::Formatter<'_>, head: &str| -> fmt::Result {
            if !std::mem::take(&mut first) {
                writeln!(f)?;
            }
            writeln!(f, "{head}")
        };
        if !self.circuit_breakers.is_empty() {
            let head = format!(
                "{:width$}  {:<11} {:>6} {:>8} {:>6} {:>5} {:>8}",
                "circuit breaker", "state", "calls", "failures", "rate", "slow", "rejected"
            );
            section(f, &head)?;
            for b in &self.circuit_breakers {
                let m = &b.metrics;
                writeln!(
                    f,
                    "{:width$}  {:<11} {:>6} {:>8} {:>5.0}% {:>5} {:>8}",
                    b.name,
                    b.state.as_str(),
                    m.calls,
                    m.failures,
                    m.failure_rate * 100.0,
                    m.slow_calls,
                    m.not_permitted
                )?;
            }
        }
        if !self.bulkheads.is_empty() {
            let head = format!(
                "{:width$}  {:>7} {:>9} {:>7} {:>8}",
                "bulkhead", "in use", "available", "waiting", "rejected"
            );
            section(f, &head)?;
            for b in &self.bulkheads {
                let in_use = format!("{}/{}", b.in_flight, b.max_concurrent);
                writeln!(
                    f,
                    "{:width$}  {:>7} {:>9} {:>7} {:>8}",
                    b.name, in_use, b.available, b.waiting, b.rejected
                )?;
            }
        }
        if !self.rate_limiters.is_empty() {
            let head = format!(
                "{:width$}  {:>12} {:>6} {:>8} {:>8}",
                "rate limiter", "rate", "burst", "admitted", "rejected"
            );
            section(f, &head)?;
            for l in &self.rate_limiters {
                let rate = format!("{}/{}ms", l.count, l.per_ms);
                writeln!(
                    f,
                    "{:width$}  {:>12} {:>6} {:>8} {:>8}",
                    l.name, rate, l.burst, l.admitted, l.rejected
                )?;
            }
        }
        if !self.retries.is_empty() {
            let head = format!(
                "{:width$}  {:>8} {:>7} {:>7} {:>14}",
                "retry", "attempts", "retries", "gave up", "budget refused"
            );
            section(f, &head)?;
            for r in &self.retries {
                writeln!(
                    f,
                    "{:width$}  {:>8} {:>7} {:>7} {:>14}",
                    r.name, r.max_attempts, r.retries, r.gave_up, r.budget_exhausted
                )?;
            }
        }
        Ok(())
    }
}

impl Snapshot {
    /// The width of the name column: the longest name or heading.
    fn name_width(&self) -> usize {
        let names = self
            .circuit_breakers
            .iter()
            .map(|b| b.name)
            .chain(self.bulkheads.iter().map(|b| b.name))
            .chain(self.rate_limiters.iter().map(|l| l.name))
            .chain(self.retries.iter().map(|r| r.name));
        names
            .map(str::len)
            .max()
            .unwrap_or(0)
            .max("circuit breaker".len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_section_per_kind_in_use() {
        let snap = Snapshot {
            circuit_breakers: vec![CircuitBreakerSnapshot {
                name: "pricing",
                state: CircuitState::HalfOpen,
                metrics: CircuitMetrics {
                    calls: 10,
                    failures: 6,
                    slow_calls: 0,
                    failure_rate: 0.6,
                    slow_rate: 0.0,
                    not_permitted: 4,
                },
            }],
            bulkheads: vec![],
            rate_limiters: vec![RateLimiterSnapshot {
                name: "search",
                count: 5,
                per_ms: 1000,
                burst: 3,
                admitted: 7,
                rejected: 2,
            }],
            retries: vec![],
        };
        let table = snap.to_string();
        assert_eq!(
            table,
            "circuit breaker  state        calls failures   rate  slow rejected\n\
             pricing          half_open       10        6    60%     0        4\n\
             \n\
             rate limiter             rate  burst admitted rejected\n\
             search               5/1000ms      3        7        2\n"
        );
    }
}
