//! `governor`'s clock over tokio's, so a paused test clock drives rate windows too.

use governor::clock::{Clock, Reference};
use governor::nanos::Nanos;
use std::ops::Add;
use std::time::Duration;

/// A `governor` clock reading [`tokio::time::Instant::now`].
///
/// ```
/// use governor::clock::Clock;
/// use resilience_runtime::rate_limit::TokioClock;
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let before = TokioClock.now();
/// tokio::time::sleep(std::time::Duration::from_secs(1)).await;
/// assert_eq!(TokioClock.now().instant() - before.instant(), std::time::Duration::from_secs(1));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

/// A reading of [`TokioClock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokioInstant(tokio::time::Instant);

impl TokioInstant {
    /// The tokio instant.
    pub fn instant(self) -> tokio::time::Instant {
        self.0
    }
}

impl Clock for TokioClock {
    type Instant = TokioInstant;

    #[inline]
    fn now(&self) -> TokioInstant {
        TokioInstant(tokio::time::Instant::now())
    }
}

impl Add<Nanos> for TokioInstant {
    type Output = TokioInstant;

    #[inline]
    fn add(self, other: Nanos) -> TokioInstant {
        TokioInstant(self.0 + Duration::from(other))
    }
}

impl Reference for TokioInstant {
    #[inline]
    fn duration_since(&self, earlier: Self) -> Nanos {
        let d = self
            .0
            .into_std()
            .saturating_duration_since(earlier.0.into_std());
        Nanos::from(
            d.as_secs()
                .saturating_mul(1_000_000_000)
                .saturating_add(u64::from(d.subsec_nanos())),
        )
    }

    #[inline]
    fn saturating_sub(&self, duration: Nanos) -> Self {
        TokioInstant(self.0.checked_sub(duration.into()).unwrap_or(self.0))
    }
}
