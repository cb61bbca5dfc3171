//! `#[timeout]`: cancel the call when its time is up.

mod future;

pub use future::Timeout;

use std::future::Future;
use std::time::Duration;

/// The per-callsite state of one `#[timeout]`, held in a `static` the macro generates: its
/// name, and (feature `metrics`) its metric handles, registered on the first call.
///
/// The duration is given per call, so `#[timeout(self.config.deadline)]` works.
///
/// ```
/// use resilience_runtime::{timeout::TimeoutSite, Error, Failure};
/// use std::time::Duration;
///
/// static SITE: TimeoutSite = TimeoutSite::new("docs::slow");
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # tokio::time::pause();
/// let slow = async {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     Ok::<u32, Failure<std::io::Error>>(1)
/// };
/// let out = SITE.call(Duration::from_millis(100), slow).await;
/// assert!(matches!(out, Err(Failure::Policy(Error::Timeout { .. }))));
/// # }
/// ```
#[derive(Debug)]
pub struct TimeoutSite {
    name: &'static str,
    #[cfg(feature = "metrics")]
    counters: std::sync::OnceLock<crate::instruments::CallCounters>,
}

impl TimeoutSite {
    /// A site named `name` (the attribute's `name`, or `module::fn`).
    pub const fn new(name: &'static str) -> Self {
        TimeoutSite {
            name,
            #[cfg(feature = "metrics")]
            counters: std::sync::OnceLock::new(),
        }
    }

    /// The site's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Bounds `inner` by `after`: when the time is up the inner future is dropped (cancelled)
    /// and the call fails with [`Error::Timeout`](crate::Error::Timeout).
    ///
    /// The inner future is polled first; the timer starts when it first has to wait, so a
    /// call that completes at once never touches the timer wheel.
    #[inline]
    pub fn call<F: Future>(&'static self, after: Duration, inner: F) -> Timeout<F> {
        Timeout::new(self, after, inner)
    }

    #[cfg(feature = "metrics")]
    #[inline]
    fn counters(&self) -> &crate::instruments::CallCounters {
        self.counters
            .get_or_init(|| crate::instruments::CallCounters::new(self.name, "timeout"))
    }
}
