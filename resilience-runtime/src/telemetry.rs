//! Events under the `resilience` target (feature `tracing`); no-ops without it.

use std::fmt::Debug;
use std::time::Duration;

/// A retry is about to sleep `delay` after attempt number `attempt` failed with `error`.
#[inline]
pub(crate) fn retry(name: &'static str, attempt: u32, delay: Duration, error: &dyn Debug) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        attempt,
        delay_ms = delay.as_millis() as u64,
        error = ?error,
        "retrying after failure"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, attempt, delay, error);
}

/// A call ran out of time and was cancelled.
#[inline]
pub(crate) fn timeout(name: &'static str, after: Duration) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "resilience",
        name,
        after_ms = after.as_millis() as u64,
        "call timed out and was cancelled"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, after);
}

/// A bulkhead refused a call: every place was taken for the whole `max_wait`.
#[inline]
pub(crate) fn bulkhead_full(name: &'static str, max_concurrent: usize) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "resilience",
        name,
        kind = "bulkhead_full",
        max_concurrent,
        "call rejected: bulkhead full"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, max_concurrent);
}

/// A rate limiter refused a call: no permit would free within its `max_wait`.
#[inline]
pub(crate) fn rate_limited(name: &'static str, retry_after: Duration) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "resilience",
        name,
        kind = "rate_limited",
        retry_after_ms = retry_after.as_millis() as u64,
        "call rejected: rate limit reached"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, retry_after);
}

/// A circuit breaker changed state.
#[inline]
pub(crate) fn circuit_transition(name: &'static str, t: &crate::circuit_breaker::Transition) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        from = t.from.as_str(),
        to = t.to.as_str(),
        failure_rate = t.failure_rate(),
        slow_rate = t.slow_rate(),
        calls = t.calls(),
        "circuit breaker changed state"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, t);
}

/// A circuit breaker rejected a call.
#[inline]
pub(crate) fn circuit_rejected(name: &'static str, retry_after: Duration) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "resilience",
        name,
        kind = "circuit_open",
        retry_after_ms = retry_after.as_millis() as u64,
        "call rejected: circuit breaker open"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, retry_after);
}

/// Two callsites configure one breaker name differently: the first one's settings are kept.
#[cold]
pub(crate) fn circuit_config_conflict(
    name: &'static str,
    kept: &'static str,
    ignored: &'static str,
) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        kept,
        ignored,
        "circuit breaker `{name}` is configured differently at {ignored} than at {kept}; the settings of {kept} are used"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, kept, ignored);
}

/// The retry budget refused a retry: too many retries for the calls made lately. The last
/// error is returned.
#[inline]
pub(crate) fn retry_budget_exhausted(name: &'static str, attempt: u32, error: &dyn Debug) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        attempt,
        error = ?error,
        "not retrying: retry budget exhausted (retries are over their share of recent calls)"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, attempt, error);
}

/// Two callsites size one shared bulkhead or rate limit differently: the first one's settings
/// are kept.
#[cold]
pub(crate) fn shared_config_conflict(kind: &'static str, name: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        kind,
        "{kind} `{name}` is configured differently at another callsite; the settings of the first callsite to run are used"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (kind, name);
}
