//! What the policies report: `tracing` events under target `resilience` (feature `tracing`,
//! no-ops without it) and the [`Event`] stream of `Registry::subscribe`. Each function is
//! one moment with stable field names (SPEC §9); metric handles live with each policy
//! instance (`instruments.rs`).
//!
//! Levels: a retry, a breaker opening and a refused retry are `warn`; other breaker
//! transitions `info`; a timeout `info`; a rejection (open circuit, full bulkhead, rate limit,
//! injected fault) `debug`. Nothing here runs on a call that succeeds, and an event is only
//! built when a subscriber is listening.

use crate::Error;
#[cfg(feature = "tracing")]
use crate::circuit_breaker::CircuitState;
use crate::events::{Event, emit};
use std::fmt::Display;
use std::time::Duration;

#[cfg(feature = "tracing")]
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A retry is about to sleep `delay` after attempt number `attempt` failed with `error`.
#[inline]
pub(crate) fn retry(name: &'static str, attempt: u32, delay: Duration, error: &dyn Display) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        attempt,
        delay_ms = millis(delay),
        error = %error,
        "retrying after failure"
    );
    emit(|| Event::Retry {
        name,
        attempt,
        delay,
        error: error.to_string(),
    });
}

/// A layer refused a call or cut it short with `error` (which names the policy).
#[cold]
pub(crate) fn rejected(error: &Error) {
    #[cfg(feature = "tracing")]
    match *error {
        Error::Timeout { name, after } => tracing::info!(
            target: "resilience",
            name,
            kind = "timeout",
            after_ms = millis(after),
            "call timed out and was cancelled"
        ),
        Error::CircuitOpen { name, retry_after } => tracing::debug!(
            target: "resilience",
            name,
            kind = "circuit_open",
            retry_after_ms = millis(retry_after),
            "call rejected: circuit breaker open"
        ),
        Error::BulkheadFull {
            name,
            max_concurrent,
        } => tracing::debug!(
            target: "resilience",
            name,
            kind = "bulkhead_full",
            max_concurrent,
            "call rejected: bulkhead full"
        ),
        Error::RateLimited { name, retry_after } => tracing::debug!(
            target: "resilience",
            name,
            kind = "rate_limited",
            retry_after_ms = millis(retry_after),
            "call rejected: rate limit reached"
        ),
        Error::Injected { name } => tracing::debug!(
            target: "resilience",
            name,
            kind = "injected",
            "call rejected: fault injected"
        ),
        Error::InvalidValue { name, invalid } => tracing::warn!(
            target: "resilience",
            name,
            kind = "invalid_value",
            key = invalid.key(),
            value = %invalid.value(),
            rule = %invalid.rule(),
            "call rejected: a policy value from an expression is not allowed"
        ),
    }
    emit(|| Event::Rejected(error.clone()));
}

/// A circuit breaker changed state: opening is a warning, any other move news.
#[inline]
pub(crate) fn circuit_transition(
    name: &'static str,
    key: Option<&std::sync::Arc<str>>,
    t: &crate::circuit_breaker::Transition,
) {
    #[cfg(feature = "tracing")]
    {
        macro_rules! transition {
            ($level:ident) => {
                tracing::$level!(
                    target: "resilience",
                    name,
                    key = key.map(|k| &**k),
                    from = t.from.as_str(),
                    to = t.to.as_str(),
                    failure_rate = t.failure_rate(),
                    slow_rate = t.slow_rate(),
                    calls = t.calls(),
                    "circuit breaker changed state"
                )
            };
        }
        match t.to {
            CircuitState::Open | CircuitState::ForcedOpen => transition!(warn),
            _ => transition!(info),
        }
    }
    emit(|| Event::CircuitTransition {
        name,
        key: key.cloned(),
        from: t.from,
        to: t.to,
        failure_rate: t.failure_rate(),
        slow_rate: t.slow_rate(),
        calls: t.calls(),
    });
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
pub(crate) fn retry_budget_exhausted(name: &'static str, attempt: u32, error: &dyn Display) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        attempt,
        error = %error,
        "not retrying: retry budget exhausted (retries are over their share of recent calls)"
    );
    emit(|| Event::RetryBudgetExhausted {
        name,
        attempt,
        error: error.to_string(),
    });
}

/// `#[hedge]` started run number `run` (1 for the first hedge) `after` the call began.
#[cold]
pub(crate) fn hedge(name: &'static str, run: u32, after: Duration) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "resilience",
        name,
        run,
        after_ms = millis(after),
        "hedging: started another run beside the slow one"
    );
    emit(|| Event::Hedge { name, run, after });
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

/// `#[chaos]` delays a call by `delay` before its body.
#[cfg(feature = "chaos")]
#[inline]
pub(crate) fn chaos_latency(name: &'static str, delay: Duration) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "resilience",
        name,
        kind = "chaos_latency",
        delay_ms = millis(delay),
        "chaos: latency injected"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, delay);
}

/// A configuration file that could not be read or applied; the last good one stays.
#[cfg(feature = "config")]
pub(crate) fn config_rejected(path: &std::path::Path, error: &crate::config::ConfigError) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: "resilience",
        path = %path.display(),
        error = %error,
        "configuration {} not applied, the last good one stays: {error}",
        path.display()
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (path, error);
}

/// A configured name that no callsite has yet (a typo shows this way).
#[cfg(feature = "config")]
pub(crate) fn config_waiting(kind: &'static str, name: &str) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "resilience",
        kind,
        name,
        "configuration for [{kind}.{name}] waits: no callsite of this name has registered yet"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (kind, name);
}

/// A configured value changed ([`Registry::apply`](crate::Registry::apply)).
#[cfg(feature = "config")]
pub(crate) fn config_changed(change: &crate::config::Change) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "resilience",
        kind = change.kind,
        name = change.name,
        key = change.key,
        old = %change.old,
        new = %change.new,
        "configuration changed {} of {}: {} → {}",
        change.key,
        change.name,
        change.old,
        change.new
    );
    #[cfg(not(feature = "tracing"))]
    let _ = change;
}

/// A call kept its attribute's values although configuration sets some: its name already keeps
/// `kept` configured policies (an attribute whose values are expressions taking very many
/// values). Logged at each such call.
#[cfg(feature = "config")]
pub(crate) fn config_not_taken(kind: &str, name: &str, kept: usize) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        kind,
        name,
        kept,
        "`{name}` already keeps {kept} configured policies (its attribute's values take very many values): this call keeps its attribute's values; configure the values that vary instead"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (kind, name, kept);
}

/// The first test registry of the process was created after `cached` callsites had already
/// cached their process-wide instances: those callsites stay on them.
pub(crate) fn cached_before_isolation(cached: usize) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        cached,
        "{cached} callsites ran before the first `testing::isolated()` of this process and keep their process-wide instances; call `isolated()` at the top of every test of this binary that calls resilient functions"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = cached;
}
