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
