//! A breaker's figures, as [`CircuitBreaker::metrics`](super::CircuitBreaker::metrics) and the
//! registry's snapshot give them (plain data, apart from the breaker so the snapshot can name
//! it without importing the breaker).

/// A breaker's figures: the window's calls, failures and slow calls (exactly the window the
/// breaker decides on, described in [`crate::circuit_breaker`]), their rates, and the calls
/// rejected since the breaker was created.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CircuitMetrics {
    /// Calls in the window.
    pub calls: u64,
    /// Failures in the window.
    pub failures: u64,
    /// Slow calls in the window.
    pub slow_calls: u64,
    /// `failures / calls` (0.0–1.0; 0.0 for an empty window).
    pub failure_rate: f64,
    /// `slow_calls / calls` (0.0–1.0; 0.0 for an empty window).
    pub slow_rate: f64,
    /// Calls rejected with `CircuitOpen` (not run) since the breaker was created.
    pub rejected: u64,
}
