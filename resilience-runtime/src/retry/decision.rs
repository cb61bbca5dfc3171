//! What a `when` predicate answers.

use std::time::Duration;

/// The answer of a `#[retry(when = ..)]` predicate. A predicate may also return `bool`
/// (`true` is [`Retry`](RetryDecision::Retry)).
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::RetryDecision;
/// use std::time::Duration;
///
/// enum ApiError { Throttled { retry_after: Duration }, BadRequest, Unavailable }
///
/// fn classify(e: &ApiError) -> RetryDecision {
///     match e {
///         ApiError::Throttled { retry_after } => RetryDecision::RetryAfter(*retry_after),
///         ApiError::Unavailable => RetryDecision::Retry,
///         ApiError::BadRequest => RetryDecision::Stop,
///     }
/// }
/// assert_eq!(RetryDecision::from(false), RetryDecision::Stop);
/// # let _ = classify(&ApiError::BadRequest);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Retry after the backoff's delay.
    Retry,
    /// Retry after exactly this delay (a server's `Retry-After`), instead of the backoff's.
    RetryAfter(Duration),
    /// Do not retry: return this error.
    Stop,
}

impl From<bool> for RetryDecision {
    fn from(retry: bool) -> Self {
        if retry {
            RetryDecision::Retry
        } else {
            RetryDecision::Stop
        }
    }
}

impl RetryDecision {
    /// How the runtime classifies a rejection from a layer beneath `#[retry]`: timeouts, a full
    /// bulkhead and injected faults are retried, a rate limit after its `retry_after`, an open
    /// breaker and a policy value that is not allowed stop at once.
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// use resilience::{Error, RetryDecision};
    /// let open = Error::CircuitOpen { name: "p", retry_after: Default::default() };
    /// assert_eq!(RetryDecision::for_error(&open), RetryDecision::Stop);
    /// ```
    pub fn for_error(error: &crate::Error) -> Self {
        use crate::Error;
        match error {
            Error::Timeout { .. } | Error::BulkheadFull { .. } | Error::Injected { .. } => {
                RetryDecision::Retry
            }
            Error::RateLimited { retry_after, .. } => RetryDecision::RetryAfter(*retry_after),
            // The same value would be refused again.
            Error::CircuitOpen { .. } | Error::InvalidValue { .. } => RetryDecision::Stop,
        }
    }
}
