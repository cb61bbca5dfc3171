//! Randomisation of each backoff delay (AWS, "Exponential Backoff and Jitter").

use std::time::Duration;

/// How each delay is randomised, so that clients that failed together do not retry together.
///
/// ```
/// # mod resilience { pub use resilience_runtime::retry::Jitter; }
/// use resilience::Jitter;
/// use std::time::Duration;
/// let d = Duration::from_millis(100);
/// assert_eq!(Jitter::None.apply(d, d, d, Duration::from_secs(1)), d);
/// let full = Jitter::Full.apply(d, d, d, Duration::from_secs(1));
/// assert!(full <= d);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// A uniform delay in `[0, d]`.
    #[default]
    Full,
    /// `d/2` plus a uniform delay in `[0, d/2]`.
    Equal,
    /// A uniform delay in `[base, 3 · previous]`, capped at `max` (ignores the schedule).
    Decorrelated,
    /// The schedule's delay, unchanged.
    None,
}

impl Jitter {
    /// The delay to sleep: `delay` is the schedule's, `previous` the delay actually slept before
    /// (the base on the first retry), `base` and `max` the schedule's bounds.
    pub fn apply(
        self,
        delay: Duration,
        previous: Duration,
        base: Duration,
        max: Duration,
    ) -> Duration {
        match self {
            Jitter::Full => uniform(Duration::ZERO, delay),
            Jitter::Equal => {
                let half = delay / 2;
                uniform(half, delay)
            }
            Jitter::Decorrelated => {
                let high = previous.saturating_mul(3).max(base);
                uniform(base, high).min(max)
            }
            Jitter::None => delay,
        }
    }
}

/// A uniform duration in `[low, high]`, at nanosecond resolution, from this thread's generator
/// (see [`seed`](crate::testing::seed)).
fn uniform(low: Duration, high: Duration) -> Duration {
    if high <= low {
        return low;
    }
    let span = (high - low).as_nanos().min(u64::MAX as u128) as u64;
    low + Duration::from_nanos(fastrand::u64(0..=span))
}

#[cfg(test)]
mod tests {
    use super::*;
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn every_kind_stays_in_its_range() {
        crate::testing::seed(7);
        for _ in 0..1000 {
            let d = 100 * MS;
            assert!(Jitter::Full.apply(d, d, 10 * MS, 500 * MS) <= d);
            let e = Jitter::Equal.apply(d, d, 10 * MS, 500 * MS);
            assert!(e >= d / 2 && e <= d);
            let c = Jitter::Decorrelated.apply(d, 400 * MS, 10 * MS, 500 * MS);
            assert!(c >= 10 * MS && c <= 500 * MS);
        }
    }

    #[test]
    fn seeding_makes_it_reproducible() {
        let draw = || {
            (0..5)
                .map(|_| Jitter::Full.apply(100 * MS, 100 * MS, MS, 100 * MS))
                .collect::<Vec<_>>()
        };
        crate::testing::seed(42);
        let a = draw();
        crate::testing::seed(42);
        assert_eq!(a, draw());
    }
}
