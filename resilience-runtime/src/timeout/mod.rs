//! `#[timeout]`: cancel the call when its time is up.

mod future;

pub use future::Timeout;

use std::future::Future;
use std::time::Duration;

/// Bounds `inner` by `after`: when the time is up the inner future is dropped (cancelled) and the
/// call fails with [`Error::Timeout`](crate::Error::Timeout).
///
/// The inner future is polled first; the timer starts when it first has to wait, so a call that
/// completes at once never touches the timer wheel.
///
/// ```
/// use resilience_runtime::{timeout::timeout, Error, Failure};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # tokio::time::pause();
/// let slow = async {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     Ok::<u32, Failure<std::io::Error>>(1)
/// };
/// let out = timeout("docs::slow", Duration::from_millis(100), slow).await;
/// assert!(matches!(out, Err(Failure::Policy(Error::Timeout { .. }))));
/// # }
/// ```
#[inline]
pub fn timeout<F: Future>(name: &'static str, after: Duration, inner: F) -> Timeout<F> {
    Timeout::new(name, after, inner)
}
