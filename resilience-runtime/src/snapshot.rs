//! [`Registry::snapshot`](crate::Registry::snapshot): every policy instance with its live
//! figures, as plain data (`serde::Serialize` with feature `serde`) and as a table (`Display`).
//!
//! Data only: each policy module fills its own section through the registry's entry trait, so
//! this file names no policy type. The table's column headings are the field names, so what
//! people read in the table is what they find in the JSON.

use crate::circuit_breaker::{CircuitMetrics, CircuitState};
use std::fmt;

/// Every instance at one moment, each kind in its section, in order of first call (the keys of
/// one name in key order).
///
/// With feature `serde` it serialises to JSON with these stable field names, which are also the
/// table's column headings:
///
/// ```text
/// { "circuit_breakers": [ { "name", "state", "calls", "failures", "slow_calls",
///                           "failure_rate", "slow_rate", "rejected" } ],
///   "bulkheads":        [ { "name", "max_concurrent", "enabled", "in_flight", "available", "waiting",
///                           "rejected" } ],
///   "rate_limiters":    [ { "name", "count", "per_ms", "burst", "admitted", "rejected" } ],
///   "retries":          [ { "name", "attempts", "calls", "retries", "gave_up", "exhausted",
///                           "stopped", "budget_refused" } ],
///   "timeouts":         [ { "name", "calls", "timed_out" } ],
///   "hedges":           [ { "name", "max_hedged", "calls", "hedges", "won",
///                           "budget_refused" } ],
///   "chaos":            [ { "name", "enabled", "injected_errors", "injected_delays" } ],
///   "keyed":            [ { "kind", "name", "keys", "max_keys", "dropped" } ] }
/// ```
///
/// A per-key instance (`key = ..`) is a row named `name[key]`; `keyed` has one row per keyed
/// name. `state` is one of `"closed"`, `"open"`, `"half_open"`, `"forced_open"`,
/// `"disabled"`; rates are fractions from 0.0 to 1.0.
///
/// ```
/// # use resilience_runtime as resilience;
/// let snap = resilience::registry().snapshot();
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
    /// Every timeout callsite.
    pub timeouts: Vec<TimeoutSnapshot>,
    /// Every hedge name.
    pub hedges: Vec<HedgeSnapshot>,
    /// Every chaos name that has run while chaos was switched on.
    pub chaos: Vec<ChaosSnapshot>,
    /// Every name with per-key instances.
    pub keyed: Vec<KeyedSnapshot>,
    /// The fleet store (SPEC §15): connected, healthy, `store_errors`, `reconnects`.
    pub fleet: crate::fleet::FleetStatus,
}

/// One circuit breaker in a [`Snapshot`]: its state and its window's figures (serialised
/// flat, beside `name` and `state`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CircuitBreakerSnapshot {
    /// The breaker's name, or `name[key]`.
    pub name: String,
    /// Its state.
    pub state: CircuitState,
    /// Its window's figures, as [`CircuitBreakerHandle::metrics`](crate::CircuitBreakerHandle::metrics)
    /// gives them.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub metrics: CircuitMetrics,
    /// The values that come from configuration (`registry().apply`), as `key = value`; every
    /// other value is the attribute's. Empty (and left out of JSON) without configuration.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub configured: Vec<String>,
}

/// One bulkhead in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct BulkheadSnapshot {
    /// The bulkhead's name, or `name[key]`.
    pub name: String,
    /// Its number of places (while switched off, the size it goes back to).
    pub max_concurrent: usize,
    /// Whether it limits calls: `false` while `enabled = false` is configured (the table
    /// shows `off`).
    pub enabled: bool,
    /// Calls inside right now (places taken).
    pub in_flight: usize,
    /// Places free right now (`usize::MAX` while switched off: no limit).
    pub available: usize,
    /// Callers queued for a place right now.
    pub waiting: usize,
    /// Calls refused with `BulkheadFull` since it was created.
    pub rejected: u64,
    /// The values that come from configuration (`registry().apply`), as `key = value`; every
    /// other value is the attribute's. Empty (and left out of JSON) without configuration.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub configured: Vec<String>,
}

/// One rate limiter in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RateLimiterSnapshot {
    /// The limiter's name, or `name[key]`.
    pub name: String,
    /// Permits per period…
    pub count: u32,
    /// …of this many milliseconds.
    pub per_ms: u64,
    /// Permits that can be taken at once.
    pub burst: u32,
    /// Calls given a permit since it was created (at once or after waiting).
    pub admitted: u64,
    /// Calls refused with `RateLimited` since it was created.
    pub rejected: u64,
    /// The values that come from configuration (`registry().apply`), as `key = value`; every
    /// other value is the attribute's. Empty (and left out of JSON) without configuration.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub configured: Vec<String>,
}

/// One retry name in a [`Snapshot`]. Every call that ends counts once in `calls`, and a call
/// that ends with an error counts once in `gave_up` and once in exactly one of `exhausted`,
/// `stopped` and `budget_refused`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RetrySnapshot {
    /// The retry name.
    pub name: String,
    /// Attempts per call, the first included (the attribute's `attempts`).
    pub attempts: u32,
    /// Calls that ended (returned `Ok` or their last error).
    pub calls: u64,
    /// Retries made (attempts after the first).
    pub retries: u64,
    /// Calls that ended with an error: `exhausted + stopped + budget_refused`.
    pub gave_up: u64,
    /// Calls whose last allowed attempt failed: `attempts` used up, or the next delay would
    /// have ended past `max_elapsed`.
    pub exhausted: u64,
    /// Calls ended by an error not to be retried: `when` said no (or `Stop`), or a rejection
    /// that stops retrying (an open circuit).
    pub stopped: u64,
    /// Calls ended because the retry budget refused their next retry.
    pub budget_refused: u64,
    /// The values that come from configuration (`registry().apply`), as `key = value`; every
    /// other value is the attribute's. Empty (and left out of JSON) without configuration.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub configured: Vec<String>,
}

/// One `#[timeout]` callsite in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct TimeoutSnapshot {
    /// The timeout's name.
    pub name: String,
    /// Calls that ended: completed in time, or timed out.
    pub calls: u64,
    /// Calls cut short with `Timeout` (each also counts in `calls`).
    pub timed_out: u64,
    /// The values that come from configuration (`registry().apply`), as `key = value`; every
    /// other value is the attribute's. Empty (and left out of JSON) without configuration.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub configured: Vec<String>,
}

/// One `#[hedge]` name in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct HedgeSnapshot {
    /// The hedge name.
    pub name: String,
    /// Extra runs per call at most (the attribute's `max_hedged`).
    pub max_hedged: u32,
    /// Calls made (each once, however many runs it took).
    pub calls: u64,
    /// Hedges started: runs beyond each call's first.
    pub hedges: u64,
    /// Calls answered by a hedge rather than the first run.
    pub won: u64,
    /// Hedges the budget refused.
    pub budget_refused: u64,
    /// The values that come from configuration (`registry().apply`), as `key = value`; every
    /// other value is the attribute's. Empty (and left out of JSON) without configuration.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub configured: Vec<String>,
}

/// One `#[chaos]` name in a [`Snapshot`] (listed from its first call with chaos switched on).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ChaosSnapshot {
    /// The chaos name.
    pub name: String,
    /// Whether chaos is switched on (process-wide) as the snapshot is taken.
    pub enabled: bool,
    /// Calls failed with `Injected`.
    pub injected_errors: u64,
    /// Calls delayed by the injected latency (a delayed call may also be failed).
    pub injected_delays: u64,
    /// The values that come from configuration (`registry().apply`), as `key = value`; every
    /// other value is the attribute's. Empty (and left out of JSON) without configuration.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub configured: Vec<String>,
}

/// One name with per-key instances (`key = ..`) in a [`Snapshot`]; its instances are rows of
/// their kind's section, named `name[key]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct KeyedSnapshot {
    /// The kind, as written in the attribute: `circuit_breaker`, `bulkhead` or `rate_limit`.
    pub kind: &'static str,
    /// The name the keys share.
    pub name: String,
    /// Instances live now.
    pub keys: usize,
    /// The most instances kept at once.
    pub max_keys: usize,
    /// Least recently used instances dropped so far to stay within `max_keys`.
    pub dropped: u64,
}

/// A table per kind of policy (kinds with no entry are left out); the column headings are the
/// field names.
impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.name_width();
        let mut first = true;
        let mut section = |f: &mut fmt::Formatter<'_>, head: String| -> fmt::Result {
            if !std::mem::take(&mut first) {
                writeln!(f)?;
            }
            writeln!(f, "{}", head.trim_end())
        };
        if !self.circuit_breakers.is_empty() {
            section(
                f,
                format!(
                    "{:w$}  {:<11} {:>6} {:>8} {:>10} {:>12} {:>9} {:>8}",
                    "circuit breaker",
                    "state",
                    "calls",
                    "failures",
                    "slow_calls",
                    "failure_rate",
                    "slow_rate",
                    "rejected"
                ),
            )?;
            for b in &self.circuit_breakers {
                let m = &b.metrics;
                writeln!(
                    f,
                    "{:w$}  {:<11} {:>6} {:>8} {:>10} {:>11.0}% {:>8.0}% {:>8}",
                    b.name,
                    b.state.as_str(),
                    m.calls,
                    m.failures,
                    m.slow_calls,
                    m.failure_rate * 100.0,
                    m.slow_rate * 100.0,
                    m.rejected
                )?;
            }
        }
        if !self.bulkheads.is_empty() {
            section(
                f,
                format!(
                    "{:w$}  {:>14} {:>9} {:>9} {:>7} {:>8}",
                    "bulkhead", "max_concurrent", "in_flight", "available", "waiting", "rejected"
                ),
            )?;
            for b in &self.bulkheads {
                let (max, available) = if b.enabled {
                    (b.max_concurrent.to_string(), b.available.to_string())
                } else {
                    ("off".to_owned(), "-".to_owned())
                };
                writeln!(
                    f,
                    "{:w$}  {:>14} {:>9} {:>9} {:>7} {:>8}",
                    b.name, max, b.in_flight, available, b.waiting, b.rejected
                )?;
            }
        }
        if !self.rate_limiters.is_empty() {
            section(
                f,
                format!(
                    "{:w$}  {:>10} {:>8} {:>6} {:>8} {:>8}",
                    "rate limiter", "count", "per_ms", "burst", "admitted", "rejected"
                ),
            )?;
            for l in &self.rate_limiters {
                writeln!(
                    f,
                    "{:w$}  {:>10} {:>8} {:>6} {:>8} {:>8}",
                    l.name, l.count, l.per_ms, l.burst, l.admitted, l.rejected
                )?;
            }
        }
        if !self.retries.is_empty() {
            section(
                f,
                format!(
                    "{:w$}  {:>8} {:>6} {:>7} {:>7} {:>9} {:>7} {:>14}",
                    "retry",
                    "attempts",
                    "calls",
                    "retries",
                    "gave_up",
                    "exhausted",
                    "stopped",
                    "budget_refused"
                ),
            )?;
            for r in &self.retries {
                writeln!(
                    f,
                    "{:w$}  {:>8} {:>6} {:>7} {:>7} {:>9} {:>7} {:>14}",
                    r.name,
                    r.attempts,
                    r.calls,
                    r.retries,
                    r.gave_up,
                    r.exhausted,
                    r.stopped,
                    r.budget_refused
                )?;
            }
        }
        if !self.timeouts.is_empty() {
            section(
                f,
                format!("{:w$}  {:>6} {:>9}", "timeout", "calls", "timed_out"),
            )?;
            for t in &self.timeouts {
                writeln!(f, "{:w$}  {:>6} {:>9}", t.name, t.calls, t.timed_out)?;
            }
        }
        if !self.hedges.is_empty() {
            section(
                f,
                format!(
                    "{:w$}  {:>10} {:>6} {:>6} {:>4} {:>14}",
                    "hedge", "max_hedged", "calls", "hedges", "won", "budget_refused"
                ),
            )?;
            for h in &self.hedges {
                writeln!(
                    f,
                    "{:w$}  {:>10} {:>6} {:>6} {:>4} {:>14}",
                    h.name, h.max_hedged, h.calls, h.hedges, h.won, h.budget_refused
                )?;
            }
        }
        if !self.chaos.is_empty() {
            section(
                f,
                format!(
                    "{:w$}  {:>7} {:>15} {:>15}",
                    "chaos", "enabled", "injected_errors", "injected_delays"
                ),
            )?;
            for c in &self.chaos {
                writeln!(
                    f,
                    "{:w$}  {:>7} {:>15} {:>15}",
                    c.name, c.enabled, c.injected_errors, c.injected_delays
                )?;
            }
        }
        let configured = self.configured();
        if !configured.is_empty() {
            section(f, format!("{:w$}  values from configuration", "configured"))?;
            for (kind, name, values) in configured {
                writeln!(f, "{:w$}  [{kind}] {}", name, values.join(", "))?;
            }
        }
        if !self.keyed.is_empty() {
            section(
                f,
                format!(
                    "{:w$}  {:<15} {:>5} {:>8} {:>7}",
                    "keyed", "kind", "keys", "max_keys", "dropped"
                ),
            )?;
            for k in &self.keyed {
                writeln!(
                    f,
                    "{:w$}  {:<15} {:>5} {:>8} {:>7}",
                    k.name, k.kind, k.keys, k.max_keys, k.dropped
                )?;
            }
        }
        if self.fleet.connected {
            let s = &self.fleet;
            section(
                f,
                format!(
                    "{:w$}  {:>7} {:>12} {:>10}",
                    "fleet store", "healthy", "store_errors", "reconnects"
                ),
            )?;
            writeln!(
                f,
                "{:w$}  {:>7} {:>12} {:>10}",
                "redis", s.healthy, s.store_errors, s.reconnects
            )?;
        }
        Ok(())
    }
}

impl Snapshot {
    /// Every row with values from configuration: kind, name, `key = value`s.
    fn configured(&self) -> Vec<(&'static str, &str, &[String])> {
        let rows = self
            .circuit_breakers
            .iter()
            .map(|r| ("circuit_breaker", r.name.as_str(), &r.configured))
            .chain(
                self.bulkheads
                    .iter()
                    .map(|r| ("bulkhead", r.name.as_str(), &r.configured)),
            )
            .chain(
                self.rate_limiters
                    .iter()
                    .map(|r| ("rate_limit", r.name.as_str(), &r.configured)),
            )
            .chain(
                self.retries
                    .iter()
                    .map(|r| ("retry", r.name.as_str(), &r.configured)),
            )
            .chain(
                self.timeouts
                    .iter()
                    .map(|r| ("timeout", r.name.as_str(), &r.configured)),
            )
            .chain(
                self.hedges
                    .iter()
                    .map(|r| ("hedge", r.name.as_str(), &r.configured)),
            )
            .chain(
                self.chaos
                    .iter()
                    .map(|r| ("chaos", r.name.as_str(), &r.configured)),
            );
        rows.filter(|(_, _, c)| !c.is_empty())
            .map(|(k, n, c)| (k, n, c.as_slice()))
            .collect()
    }

    /// The width of the name column: the longest name or heading.
    fn name_width(&self) -> usize {
        let names = self
            .circuit_breakers
            .iter()
            .map(|b| b.name.len())
            .chain(self.bulkheads.iter().map(|b| b.name.len()))
            .chain(self.rate_limiters.iter().map(|l| l.name.len()))
            .chain(self.retries.iter().map(|r| r.name.len()))
            .chain(self.timeouts.iter().map(|t| t.name.len()))
            .chain(self.hedges.iter().map(|h| h.name.len()))
            .chain(self.chaos.iter().map(|c| c.name.len()))
            .chain(self.keyed.iter().map(|k| k.name.len()));
        names.max().unwrap_or(0).max("circuit breaker".len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_section_per_kind_in_use_headed_by_the_field_names() {
        let snap = Snapshot {
            circuit_breakers: vec![CircuitBreakerSnapshot {
                name: "pricing".into(),
                state: CircuitState::HalfOpen,
                metrics: CircuitMetrics {
                    calls: 10,
                    failures: 6,
                    slow_calls: 0,
                    failure_rate: 0.6,
                    slow_rate: 0.0,
                    rejected: 4,
                },
                configured: Vec::new(),
            }],
            rate_limiters: vec![RateLimiterSnapshot {
                name: "search".into(),
                count: 5,
                per_ms: 1000,
                burst: 3,
                admitted: 7,
                rejected: 2,
                configured: Vec::new(),
            }],
            timeouts: vec![TimeoutSnapshot {
                name: "db".into(),
                calls: 9,
                timed_out: 1,
                configured: Vec::new(),
            }],
            ..Snapshot::default()
        };
        let table = snap.to_string();
        assert_eq!(
            table,
            "circuit breaker  state        calls failures slow_calls failure_rate slow_rate rejected\n\
             pricing          half_open       10        6          0          60%        0%        4\n\
             \n\
             rate limiter          count   per_ms  burst admitted rejected\n\
             search                    5     1000      3        7        2\n\
             \n\
             timeout           calls timed_out\n\
             db                    9         1\n"
        );
    }
}
