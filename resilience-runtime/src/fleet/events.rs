//! What the fleet store reports: `tracing` events under target `resilience` (no-ops without
//! the feature `tracing`). Every fallback to local state and every reconnection is one event.

use std::time::Duration;

/// A call found no store connected: it runs locally. Once per name.
#[cold]
pub(crate) fn no_store(kind: &'static str, name: &str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        kind,
        "`scope = fleet` but no fleet store is connected: running locally; call `resilience::fleet::connect(url)` at start-up"
    );
    let _ = (kind, name);
}

/// The store failed or did not answer within `store_timeout`; `fallback` says what the call
/// did instead (`"allow"`, `"deny"`, `"local"`).
#[cold]
pub(crate) fn store_error(name: &str, what: &'static str, fallback: &'static str, error: &str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        name,
        what,
        fallback,
        error,
        "fleet store failed; going on locally"
    );
    let _ = (name, what, fallback, error);
}

/// A call did not ask the store, known to be down; `fallback` says what it did instead. At
/// debug level: the first failure was a warning, and one per call would flood the log.
#[cold]
pub(crate) fn store_down(name: &str, what: &'static str, fallback: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "resilience",
        name,
        what,
        fallback,
        "fleet store down; going on locally"
    );
    let _ = (name, what, fallback);
}

/// The store's connection dropped; the connection manager reconnects by itself.
#[cold]
pub(crate) fn disconnected() {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "resilience",
        "fleet store connection lost; reconnecting (calls go on locally meanwhile)"
    );
}

/// The store answers again after failing; fleet state resumes.
#[cold]
pub(crate) fn reconnected(down_for: Duration) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "resilience",
        down_ms = u64::try_from(down_for.as_millis()).unwrap_or(u64::MAX),
        "fleet store reachable again; fleet state resumes"
    );
    let _ = down_for;
}

/// A breaker took (or failed to take) the fleet's probe lease.
#[cold]
pub(crate) fn lease(name: &str, held: bool) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "resilience",
        name,
        held,
        "{}",
        if held {
            "fleet breaker: this replica holds the probe lease and goes half-open"
        } else {
            "fleet breaker: another replica holds the probe lease; staying open"
        }
    );
    let _ = (name, held);
}

/// A breaker followed a transition published by another replica.
#[cold]
pub(crate) fn followed(name: &str, to: &'static str, open_for: Option<Duration>) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "resilience",
        name,
        to,
        open_ms = open_for.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        "fleet breaker: following another replica"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, to, open_for);
}
