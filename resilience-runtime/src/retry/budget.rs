//! The retry budget setting.

/// How many retries a retry `name` may spend: at most `ratio` of its calls over a sliding
/// 10 s, plus 10 retries per second always allowed.
///
/// ```
/// use resilience_runtime::retry::Budget;
/// assert_eq!(Budget::default(), Budget::Ratio(0.2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Budget {
    /// Retries may be at most this share (0.0–1.0) of calls.
    Ratio(f64),
    /// No budget: every retry the policy allows is made.
    Unlimited,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::Ratio(0.2)
    }
}
