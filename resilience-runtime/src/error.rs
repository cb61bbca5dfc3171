//! The one error type every policy rejects with.

use std::fmt;
use std::time::Duration;

/// Why a resilience policy refused or cut short a call.
///
/// Every variant names the callsite (`name`: the attribute's `name = "..."`, or `module::fn`)
/// and its message says what happened and what to do about it.
///
/// A function returning `Result<T, E>` that uses an attribute which can reject needs
/// `E: From<resilience::Error>`; `anyhow::Error`, `Box<dyn Error + Send + Sync>` and
/// `std::io::Error` already have it.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::Error;
/// use std::time::Duration;
///
/// let e = Error::Timeout { name: "pricing::quote", after: Duration::from_millis(800) };
/// assert!(e.to_string().contains("800ms"));
/// let io: std::io::Error = e.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The call did not finish within its `#[timeout]`; its future was dropped.
    Timeout {
        /// The callsite.
        name: &'static str,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The circuit breaker is open: the call was not run.
    CircuitOpen {
        /// The breaker.
        name: &'static str,
        /// Time left until the breaker lets a probe through (zero when forced open).
        retry_after: Duration,
    },
    /// The bulkhead had no free place within its `max_wait`: the call was not run.
    BulkheadFull {
        /// The bulkhead.
        name: &'static str,
        /// Its capacity.
        max_concurrent: usize,
    },
    /// The rate limiter had no permit within its `max_wait`: the call was not run.
    RateLimited {
        /// The limiter.
        name: &'static str,
        /// Time until a permit frees.
        retry_after: Duration,
    },
    /// A fault injected by `#[chaos]`.
    Injected {
        /// The callsite.
        name: &'static str,
    },
    /// A count, rate or percentage written as an expression in the attribute
    /// (`attempts = self.cfg.attempts`) gave a value the attribute's rules refuse: the call
    /// was not run.
    InvalidValue {
        /// The callsite or shared policy.
        name: &'static str,
        /// Which key, its value, and the rule it breaks.
        invalid: InvalidValue,
    },
}

pub use crate::checked::InvalidValue;

impl Error {
    /// The callsite or shared policy name this error comes from.
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// # use resilience::Error;
    /// assert_eq!(Error::Injected { name: "a::b" }.name(), "a::b");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Error::Timeout { name, .. }
            | Error::CircuitOpen { name, .. }
            | Error::BulkheadFull { name, .. }
            | Error::RateLimited { name, .. }
            | Error::Injected { name }
            | Error::InvalidValue { name, .. } => name,
        }
    }

    /// Whether the call was refused before its body ran (breaker, bulkhead, rate limit, a
    /// policy value that is not allowed).
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// # use resilience::Error;
    /// # use std::time::Duration;
    /// assert!(Error::BulkheadFull { name: "db", max_concurrent: 4 }.is_rejection());
    /// assert!(!Error::Timeout { name: "db", after: Duration::from_secs(1) }.is_rejection());
    /// ```
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            Error::CircuitOpen { .. }
                | Error::BulkheadFull { .. }
                | Error::RateLimited { .. }
                | Error::InvalidValue { .. }
        )
    }

    /// A stable, lower-case label of the variant, used in telemetry.
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// # use resilience::Error;
    /// assert_eq!(Error::Injected { name: "x" }.kind(), "injected");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Timeout { .. } => "timeout",
            Error::CircuitOpen { .. } => "circuit_open",
            Error::BulkheadFull { .. } => "bulkhead_full",
            Error::RateLimited { .. } => "rate_limited",
            Error::Injected { .. } => "injected",
            Error::InvalidValue { .. } => "invalid_value",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout { name, after } => write!(
                f,
                "`{name}` timed out after {} and was cancelled; \
                 raise the timeout or make the dependency faster",
                Readable(*after)
            ),
            Error::CircuitOpen { name, retry_after } => write!(
                f,
                "circuit breaker `{name}` is open, call not attempted; \
                 it lets a probe through in {}",
                Readable(*retry_after)
            ),
            Error::BulkheadFull {
                name,
                max_concurrent,
            } => write!(
                f,
                "bulkhead `{name}` is full ({max_concurrent} calls in flight), call not attempted; \
                 retry later, or raise `max_concurrent` or `max_wait`"
            ),
            Error::RateLimited { name, retry_after } => write!(
                f,
                "rate limit `{name}` reached, call not attempted; a permit frees in {}",
                Readable(*retry_after)
            ),
            Error::Injected { name } => write!(
                f,
                "fault injected into `{name}` by #[chaos]; switch chaos off to stop it"
            ),
            Error::InvalidValue { name, invalid } => write!(
                f,
                "`{name}` has `{} = {}`, which its rules refuse, so the call was not attempted: {}",
                invalid.key(),
                invalid.value(),
                invalid.rule()
            ),
        }
    }
}

impl std::error::Error for Error {}

/// A duration for people: `800ms`, `1.5s`, `200ms` rather than `199.974171ms`.
struct Readable(Duration);

impl fmt::Display for Readable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d >= Duration::from_secs(60) {
            write!(f, "{}s", d.as_secs())
        } else if d >= Duration::from_secs(1) {
            let tenths = (d.as_millis() + 50) / 100;
            if tenths.is_multiple_of(10) {
                write!(f, "{}s", tenths / 10)
            } else {
                write!(f, "{}.{}s", tenths / 10, tenths % 10)
            }
        } else if d >= Duration::from_millis(1) {
            write!(f, "{}ms", (d.as_micros() + 500) / 1000)
        } else {
            write!(f, "{}us", d.as_micros())
        }
    }
}

impl From<Error> for std::io::Error {
    /// Maps each variant to the closest [`std::io::ErrorKind`]: `TimedOut` for a timeout,
    /// `WouldBlock` for a full bulkhead or rate limit, `ConnectionRefused` for an open breaker,
    /// `Other` for an injected fault, `InvalidInput` for a policy value that is not allowed.
    fn from(e: Error) -> Self {
        use std::io::ErrorKind;
        let kind = match e {
            Error::Timeout { .. } => ErrorKind::TimedOut,
            Error::CircuitOpen { .. } => ErrorKind::ConnectionRefused,
            Error::BulkheadFull { .. } | Error::RateLimited { .. } => ErrorKind::WouldBlock,
            Error::Injected { .. } => ErrorKind::Other,
            Error::InvalidValue { .. } => ErrorKind::InvalidInput,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_traits<T: Clone + Send + Sync + 'static + std::error::Error>() {}

    #[test]
    fn error_is_clone_send_sync_static() {
        assert_traits::<Error>();
    }

    /// An invalid value is held in a few bytes, without a heap or a `Drop`: every `Result` of
    /// every call carries an `Error`, and drop glue cost each call (the bulkhead +7
    /// instructions, the rate limit +5, measured, when it held a `Box`).
    #[test]
    fn an_invalid_value_keeps_the_error_small_and_without_drop() {
        assert!(
            std::mem::size_of::<Error>() <= 40,
            "{}",
            std::mem::size_of::<Error>()
        );
        assert!(!std::mem::needs_drop::<Error>());
    }

    #[test]
    fn durations_in_messages_are_rounded_for_people() {
        let show = |d| Readable(d).to_string();
        assert_eq!(show(Duration::from_micros(199_974)), "200ms");
        assert_eq!(show(Duration::from_millis(800)), "800ms");
        assert_eq!(show(Duration::from_millis(1500)), "1.5s");
        assert_eq!(show(Duration::from_millis(2000)), "2s");
        assert_eq!(show(Duration::from_secs(300)), "300s");
        assert_eq!(show(Duration::from_micros(250)), "250us");
        assert_eq!(show(Duration::ZERO), "0us");
    }

    #[test]
    fn io_error_keeps_the_source() {
        let io: std::io::Error = Error::RateLimited {
            name: "api",
            retry_after: Duration::from_millis(5),
        }
        .into();
        assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
        let inner = io.get_ref().unwrap().downcast_ref::<Error>().unwrap();
        assert_eq!(inner.name(), "api");
    }
}
