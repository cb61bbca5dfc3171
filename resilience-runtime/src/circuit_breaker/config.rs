//! The settings of one `#[circuit_breaker(..)]`.

use std::time::Duration;

/// The settings of one `#[circuit_breaker(..)]`, built at each call from the attribute (so
/// durations may be any expression); only the first callsite of a name configures the breaker.
///
/// ```
/// # mod resilience { pub use resilience_runtime::circuit_breaker::{BreakerPolicy, OpenFor, Window}; }
/// use resilience::{BreakerPolicy, OpenFor, Window};
/// use std::time::Duration;
/// let p = BreakerPolicy {
///     window: Window::Time(Duration::from_secs(60)),
///     open_for: OpenFor::exponential(Duration::from_secs(10), Duration::from_secs(300)),
///     ..BreakerPolicy::DEFAULT
/// };
/// assert_eq!(p.min_calls, 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    /// Open when the window's failure rate reaches this share (0.0 < r ≤ 1.0).
    pub failure_rate: f64,
    /// Calls lasting at least this long count as slow; `None` switches slow-call tracking off.
    pub slow_call: Option<Duration>,
    /// Open when the window's share of slow calls reaches this (0.0 < r ≤ 1.0).
    pub slow_rate: f64,
    /// The window rates are computed over.
    pub window: Window,
    /// No rate decision before the window holds this many calls.
    pub min_calls: u32,
    /// Also open after this many failures in a row.
    pub consecutive_failures: Option<u32>,
    /// Time spent open before letting probes through.
    pub open_for: OpenFor,
    /// Probes admitted in half-open (1 ..= [`BreakerPolicy::MAX_HALF_OPEN_CALLS`]).
    pub half_open_calls: u32,
    /// `scope = fleet` shares the breaker's state on Redis (feature `redis`); and
    /// `store_timeout`.
    pub fleet: crate::fleet::FleetPolicy,
}

impl BreakerPolicy {
    /// The defaults of SPEC §4: 50% failures over the last 100 calls (at least 20), no slow-call
    /// tracking, no consecutive-failure rule, open for 30 s, 5 probes.
    pub const DEFAULT: BreakerPolicy = BreakerPolicy {
        failure_rate: 0.5,
        slow_call: None,
        slow_rate: 1.0,
        window: Window::Calls(100),
        min_calls: 20,
        consecutive_failures: None,
        open_for: OpenFor::Fixed(Duration::from_secs(30)),
        half_open_calls: 5,
        fleet: crate::fleet::FleetPolicy::LOCAL,
    };

    /// The largest `half_open_calls` the state word can count.
    pub const MAX_HALF_OPEN_CALLS: u32 = resilience_grammar::rules::MAX_HALF_OPEN_CALLS;

    /// `min_calls`, capped by a count window's length (a window of 10 calls can never hold 20).
    pub(crate) fn effective_min_calls(&self) -> u64 {
        let m = match self.window {
            Window::Calls(n) => self.min_calls.min(n),
            Window::Time(_) => self.min_calls,
        };
        u64::from(m.max(1))
    }
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy::DEFAULT
    }
}

/// The window a breaker computes its failure and slow-call rates over.
///
/// See [`crate::circuit_breaker`] for its exact semantics.
///
/// ```
/// # mod resilience { pub use resilience_runtime::circuit_breaker::Window; }
/// use resilience::Window;
/// assert_ne!(Window::Calls(100), Window::Time(std::time::Duration::from_secs(60)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last N calls (≥ 1).
    Calls(u32),
    /// The calls of the last D (> 0).
    Time(Duration),
}

/// How long a breaker stays open before letting probes through.
///
/// ```
/// # mod resilience { pub use resilience_runtime::circuit_breaker::OpenFor; }
/// use resilience::OpenFor;
/// use std::time::Duration;
/// let o = OpenFor::exponential(Duration::from_secs(10), Duration::from_secs(60));
/// assert_eq!(o.after_failed_probes(0), Duration::from_secs(10));
/// assert_eq!(o.after_failed_probes(2), Duration::from_secs(40));
/// assert_eq!(o.after_failed_probes(9), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFor {
    /// Always this long.
    Fixed(Duration),
    /// `base`, doubled each time half-open fails, at most `max`; back to `base` on closing.
    Exponential {
        /// The first open period.
        base: Duration,
        /// The longest open period.
        max: Duration,
    },
}

impl OpenFor {
    /// `exponential(base, max = ..)`.
    pub const fn exponential(base: Duration, max: Duration) -> Self {
        OpenFor::Exponential { base, max }
    }

    /// The open period after `failed` half-open rounds failed in a row since the breaker
    /// last closed.
    pub fn after_failed_probes(&self, failed: u32) -> Duration {
        match *self {
            OpenFor::Fixed(d) => d,
            OpenFor::Exponential { base, max } => {
                let factor = 1u32.checked_shl(failed.min(31)).unwrap_or(u32::MAX);
                base.checked_mul(factor).map_or(max, |d| d.min(max))
            }
        }
    }
}
