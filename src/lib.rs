//! # resilience
//!
//! Attribute macros that make an `async fn` resilient: retries with jittered backoff,
//! timeouts, circuit breakers, bulkheads, rate limits, fallbacks and fault injection. Each
//! attribute expands to a few readable lines (see them with `cargo expand`) calling a small
//! runtime, which keeps every policy instance in a [`registry`] and reports through `tracing`
//! and (feature `metrics`) the `metrics` facade.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `tracing` | yes | events under target `resilience` (retries, transitions, rejections) |
//! | `metrics` | no | `resilience_calls_total` and the other metrics of the README |
//! | `serde` | no | `Serialize` for [`Snapshot`], e.g. for a `/health` endpoint |
//! | `chaos` | no | `#[chaos]` fault injection, inert until switched on |
//!
//! ```
//! use resilience::{retry, timeout};
//! use std::time::Duration;
//!
//! #[derive(Debug)]
//! enum PricingError { Unavailable, Resilience(resilience::Error) }
//! impl From<resilience::Error> for PricingError {
//!     fn from(e: resilience::Error) -> Self { PricingError::Resilience(e) }
//! }
//! fn is_transient(e: &PricingError) -> bool { matches!(e, PricingError::Unavailable) }
//!
//! #[retry(attempts = 4, backoff = exponential(50ms, max = 2s), when = is_transient)]
//! #[timeout(800ms)]
//! async fn quote(sku: &str) -> Result<u64, PricingError> {
//!     Ok(sku.len() as u64 * 100)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! assert_eq!(quote("ab").await.unwrap(), 200);
//! # }
//! ```
//!
//! The user-facing contract (attributes, defaults, semantics, errors) is in the README.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Retries the function after failures, with backoff and jitter.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `attempts = 3` | total attempts, the first included (≥ 1) | 3 |
/// | `backoff = exponential(100ms, factor = 2.0, max = 10s)` · `constant(100ms)` · `fibonacci(100ms, max = 10s)` · `none` | delay before each retry | `exponential(100ms, factor = 2.0, max = 10s)` |
/// | `jitter = full` · `equal` · `decorrelated` · `none` | randomisation of each delay | `full` |
/// | `max_elapsed = 30s` | no retry whose delay would end past this since the first attempt | none |
/// | `when = path` | `fn(&E) -> bool` or `-> RetryDecision`: which errors to retry | every error |
/// | `budget = 20%` · `none` | retries at most this share of calls over a sliding 10 s, plus 10 retries/s always allowed; callsites with one `name` share it; when it says no, the last error is returned | 20% |
/// | `name = ".."` | label in telemetry and the registry | `module::fn` |
///
/// The body runs afresh on each attempt, so it must not move out of its arguments.
/// Rejections from layers beneath are classified by the runtime: a timeout, a full bulkhead
/// and an injected fault are retried, a rate limit after its `retry_after`, an open breaker
/// stops at once. The last error is returned.
///
/// ```
/// # #[derive(Debug)] struct Flaky;
/// #[resilience::retry(attempts = 3, backoff = constant(10ms), jitter = none)]
/// async fn fetch() -> Result<u32, Flaky> {
///     Ok(7)
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() { assert_eq!(fetch().await.unwrap(), 7); }
/// ```
pub use resilience_macros::retry;

/// Cancels the call when its time is up: the inner future is dropped and the call fails with
/// [`Error::Timeout`]. Written `#[timeout(800ms)]` or `#[timeout(duration = 2s, name = "..")]`;
/// the duration may be any `Duration` expression, evaluated at each call.
///
/// Above `#[retry]` it bounds all attempts together; below it, each attempt.
///
/// ```
/// use std::time::Duration;
/// #[resilience::timeout(50ms)]
/// async fn slow() -> std::io::Result<()> {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert_eq!(slow().await.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
/// # }
/// ```
pub use resilience_macros::timeout;

/// Bounds how many calls run at once: at most `max_concurrent` (default 25) inside together;
/// a caller waits up to `max_wait` (default 0) for a place, served first come first served,
/// else fails with [`Error::BulkheadFull`]. The place is given back when the call completes,
/// is cancelled (its future dropped) or panics. `name = ".."` shares one bulkhead among
/// callsites (the first to run sets its size).
///
/// | key | meaning | default |
/// |---|---|---|
/// | `max_concurrent = 10` | calls inside at once (≥ 1) | 25 |
/// | `max_wait = 50ms` | how long a caller waits for a place | 0 |
/// | `name = ".."` | shared bulkhead, label in telemetry and the registry | `module::fn` |
///
/// Taking and giving back a free place is one atomic compare-and-swap each; the queue's lock
/// is touched only when every place is taken.
///
/// ```
/// use std::time::Duration;
/// #[resilience::bulkhead(max_concurrent = 1)]
/// async fn exclusive() -> Result<(), resilience::Error> {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let (a, b) = tokio::join!(exclusive(), exclusive());
/// assert!(a.is_ok());
/// assert!(matches!(b, Err(resilience::Error::BulkheadFull { max_concurrent: 1, .. })));
/// # }
/// ```
pub use resilience_macros::bulkhead;

/// Bounds how often the function runs, with GCRA (the `governor` crate) on tokio's clock:
/// `rate = 100/1s` permits, `burst` (default: the rate's count) at once after a quiet spell.
/// A call that would get a permit within `max_wait` (default 0) sleeps for it; otherwise it
/// fails with [`Error::RateLimited`] whose `retry_after` is the time until a permit frees.
/// `name = ".."` shares one limiter among callsites.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `rate = 100/1s` | permits per period (required) | — |
/// | `burst = 20` | permits available at once | the rate's count |
/// | `max_wait = 50ms` | how long a call may wait for its permit | 0 |
/// | `name = ".."` | shared limiter, label in telemetry and the registry | `module::fn` |
///
/// A waiting call holds no permit, so cancelling it costs none.
///
/// ```
/// use std::time::Duration;
/// #[resilience::rate_limit(rate = 2/1s)]
/// async fn ping() -> Result<(), resilience::Error> { Ok(()) }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// ping().await.unwrap();
/// ping().await.unwrap();
/// let e = ping().await.unwrap_err();
/// assert!(matches!(e, resilience::Error::RateLimited { retry_after, .. } if retry_after == Duration::from_millis(500)));
/// # }
/// ```
pub use resilience_macros::rate_limit;

/// Supplies the function's value when the layers beneath fail: `#[fallback(path)]` calls
/// `path(<the function's arguments, receiver first>, error)` and returns what it returns (the
/// function's own return type). The fallback may be an `async fn` (its future is awaited) or a
/// plain `fn` (told apart by its return type, no annotation needed).
///
/// - When the function returns `Result<T, E>` (any alias), `error` is `E`; a policy's
///   rejection reaches it converted with `From<resilience::Error>`.
/// - When it returns anything else (`Vec<Item>`), `error` is [`Error`]: the function can then
///   use timeout, circuit breaker, bulkhead and rate limit while the fallback supplies the
///   degraded value.
/// - `#[fallback(path, when = pred)]`: only errors for which `pred(&error)` is true go to the
///   fallback; the others are returned (so this needs a `Result` return type).
///
/// `#[fallback]` must be the outermost attribute (written first). Every argument needs a name,
/// since it is passed on: write `pair: (u32, u32)` rather than `(a, b): (u32, u32)`. Like
/// `#[retry]`, the body must not move out of its arguments.
///
/// ```
/// use resilience::Error;
/// use std::time::Duration;
///
/// fn cached(user: u32, error: Error) -> Vec<String> {
///     vec![format!("popular items (for {user}: {})", error.kind())]
/// }
///
/// #[resilience::fallback(cached)]
/// #[resilience::timeout(100ms)]
/// async fn recommendations(user: u32) -> Vec<String> {
///     tokio::time::sleep(Duration::from_secs(1)).await; // a slow dependency
///     vec![format!("for {user}")]
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert_eq!(recommendations(7).await, vec!["popular items (for 7: timeout)"]);
/// # }
/// ```
pub use resilience_macros::fallback;

/// Stops calling a failing dependency: after too many failures the breaker opens and rejects
/// calls with [`Error::CircuitOpen`] (without running the body) for `open_for`, then lets
/// `half_open_calls` probes through, which close it again or reopen it for longer.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `name = "payments"` | callsites with one name share one breaker | one per function, `module::fn` |
/// | `failure_rate = 50%` | open when the window's failure rate reaches this | 50% |
/// | `slow_call = 2s`, `slow_rate = 100%` | calls lasting at least `slow_call` are slow; open when the slow rate reaches `slow_rate` | off |
/// | `window = 100` · `window = 60s` | the last N calls, or the calls of the last D | 100 calls |
/// | `min_calls = 20` | no rate decision before the window holds this many calls | 20 |
/// | `consecutive_failures = 5` | also open after N failures in a row | off |
/// | `open_for = 30s` · `open_for = exponential(10s, max = 5m)` | time open before probing; exponential doubles each time the probes fail | 30s |
/// | `half_open_calls = 5` | probes; when all have finished, close if their failure rate is below `failure_rate`, else reopen | 5 |
/// | `when = path` | `fn(&E) -> bool`: which errors count as failures | every error |
///
/// A timeout from a layer beneath and a panic count as failures; a cancelled call counts as
/// nothing and gives its probe slot back. The window's exact semantics, and what the hot path
/// costs, are in the runtime's `circuit_breaker` module docs. Inspect and override breakers
/// through [`registry()`]: [`Registry::circuit_breaker`].
///
/// ```
/// use resilience::{CircuitState, Error};
///
/// #[derive(Debug)]
/// enum PayError { Down, Resilience(Error) }
/// impl From<Error> for PayError {
///     fn from(e: Error) -> Self { PayError::Resilience(e) }
/// }
///
/// #[resilience::circuit_breaker(consecutive_failures = 2, open_for = 30s, name = "docs-payments")]
/// async fn charge(ok: bool) -> Result<u32, PayError> {
///     if ok { Ok(1) } else { Err(PayError::Down) }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert!(charge(false).await.is_err());
/// assert!(charge(false).await.is_err());
/// // Open: the body does not run.
/// assert!(matches!(charge(true).await, Err(PayError::Resilience(Error::CircuitOpen { .. }))));
/// let b = resilience::registry().circuit_breaker("docs-payments").unwrap();
/// assert_eq!(b.state(), CircuitState::Open);
/// b.reset();
/// assert_eq!(charge(true).await.unwrap(), 1);
/// # }
/// ```
pub use resilience_macros::circuit_breaker;

/// Injects faults for game days and tests (feature `chaos`): a call is delayed by `latency`
/// (for a `latency_rate` share of calls), then fails with [`Error::Injected`] (for an
/// `error_rate` share) before its body runs.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `error_rate = 10%` | share of calls failed with [`Error::Injected`] | none |
/// | `latency = 200ms` | delay injected before the body (any `Duration` expression) | none |
/// | `latency_rate = 20%` | share of calls delayed (needs `latency`) | 100% |
/// | `name = ".."` | label in [`Error::Injected`] and telemetry | `module::fn` |
///
/// At least one of `error_rate` and `latency` is required. It is inert until switched on at
/// run time, by `resilience::chaos::enable()` or the environment variable
/// `RESILIENCE_CHAOS=1`; `resilience::chaos::seed(u64)` makes the faults repeat. Put it
/// innermost (written last), so every layer above sees the faults as it would see the
/// dependency's: a retry retries them, a breaker counts them as failures.
///
/// Without the feature `chaos` the attribute expands to the plain function (its arguments are
/// still checked, so turning the feature on reveals no mistake). With it, a function returning
/// `Result<T, E>` needs `E: From<resilience::Error>`.
///
#[cfg_attr(feature = "chaos", doc = "```")]
#[cfg_attr(not(feature = "chaos"), doc = "```ignore")]
/// use resilience::Error;
///
/// #[resilience::chaos(error_rate = 100%, name = "docs-payments")]
/// async fn charge(cents: u64) -> Result<u64, Error> {
///     Ok(cents)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// resilience::chaos::disable();
/// assert_eq!(charge(5).await, Ok(5)); // inert until switched on
/// resilience::chaos::enable();
/// assert_eq!(charge(5).await, Err(Error::Injected { name: "docs-payments" }));
/// resilience::chaos::disable();
/// # }
/// ```
pub use resilience_macros::chaos;

/// Switches `#[chaos]` on and off, and seeds it (feature `chaos`).
///
/// Chaos is off until [`enable`](chaos::enable) is called, or, when neither
/// [`enable`](chaos::enable) nor [`disable`](chaos::disable) has been, while the environment
/// variable `RESILIENCE_CHAOS` is `1` (also `true`, `on`, `yes`; read once, at the first chaos
/// call). Switched off, a `#[chaos]` call costs one relaxed atomic load. The switch and the
/// generator are process-wide: tests that switch chaos on should not run alongside tests that
/// expect it off (serialise them, or give them a binary of their own).
///
/// ```
/// use resilience::Error;
/// use std::time::Duration;
///
/// #[resilience::chaos(latency = 200ms, latency_rate = 50%, error_rate = 10%, name = "docs-db")]
/// async fn query() -> Result<u32, Error> {
///     Ok(1)
/// }
///
/// /// The outcomes of ten calls after `seed(s)`.
/// async fn ten(s: u64) -> Vec<Result<u32, Error>> {
///     resilience::chaos::seed(s);
///     let mut out = Vec::new();
///     for _ in 0..10 {
///         out.push(query().await);
///     }
///     out
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// resilience::chaos::enable();
/// assert!(resilience::chaos::is_enabled());
/// // The same seed, the same faults and delays.
/// let start = tokio::time::Instant::now();
/// let first = ten(7).await;
/// let took = start.elapsed();
/// let start = tokio::time::Instant::now();
/// assert_eq!(ten(7).await, first);
/// assert_eq!(start.elapsed(), took);
/// resilience::chaos::disable();
/// # }
/// ```
#[cfg(feature = "chaos")]
pub mod chaos {
    pub use resilience_runtime::chaos::{disable, enable, is_enabled, seed};
}

pub use resilience_runtime::{
    CircuitBreakerHandle, CircuitMetrics, CircuitState,
    bulkhead::{Bulkhead, BulkheadHandle, BulkheadPolicy},
    rate_limit::{RateLimitPolicy, RateLimiter, RateLimiterHandle},
};

pub use resilience_runtime::{
    Error, FromResilienceError, Outcome, Registry, RetryDecision, RetryHandle, registry,
    retry::Backoff, retry::Jitter, retry::RetryPolicy,
};

/// Operating it: the registry's [`Snapshot`] (`serde::Serialize` with feature `serde`) and the
/// [`Event`] stream of [`Registry::subscribe`].
pub use resilience_runtime::{
    BulkheadSnapshot, CircuitBreakerSnapshot, EVENT_BUFFER, Event, RateLimiterSnapshot,
    RetrySnapshot, Snapshot,
};

/// Helpers for deterministic tests (`seed`, `cancel_at_every_poll`), and for sync functions
/// `ManualClock` (feature `test-util`, for dev-dependencies): tokio's paused clock does not
/// reach a thread that sleeps, so a sync test moves this clock by hand, and every sync wait
/// (a retry's delay, a `max_wait`, chaos latency) moves it instead of sleeping.
///
#[cfg_attr(feature = "test-util", doc = "```")]
#[cfg_attr(not(feature = "test-util"), doc = "```ignore")]
/// use resilience::testing::ManualClock;
/// use resilience::{Error, circuit_breaker, retry};
/// use std::time::Duration;
///
/// #[retry(attempts = 3, backoff = exponential(100ms), jitter = none)]
/// fn always_fails() -> Result<(), Error> {
///     Err(Error::Injected { name: "docs" })
/// }
///
/// #[circuit_breaker(name = "docs-clock", min_calls = 1, open_for = 30s)]
/// fn guarded() -> Result<(), Error> {
///     Err(Error::Injected { name: "docs" })
/// }
///
/// let clock = ManualClock::new();
/// assert!(always_fails().is_err());
/// assert_eq!(clock.elapsed(), Duration::from_millis(300)); // 100ms, then 200ms: no real sleep
///
/// assert!(guarded().is_err()); // opens the breaker
/// assert!(matches!(guarded(), Err(Error::CircuitOpen { .. })));
/// clock.advance(Duration::from_secs(30));
/// assert!(matches!(guarded(), Err(Error::Injected { .. }))); // half-open: the probe runs
/// ```
pub mod testing {
    #[cfg(feature = "test-util")]
    pub use resilience_runtime::testing::ManualClock;
    pub use resilience_runtime::testing::cancel_at_every_poll;
    pub use resilience_runtime::testing::seed;
}

#[doc(hidden)]
pub mod __private {
    pub use resilience_runtime::__private::*;
}
