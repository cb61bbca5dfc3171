//! Helpers for deterministic tests.

/// Seeds this thread's jitter generator, so backoff delays repeat from run to run.
///
/// Under `#[tokio::test]` (a current-thread runtime) every retry of the test draws from this
/// thread, so one call at the top of the test makes the whole test reproducible.
///
/// ```
/// resilience_runtime::testing::seed(42);
/// ```
pub fn seed(seed: u64) {
    fastrand::seed(seed);
}
