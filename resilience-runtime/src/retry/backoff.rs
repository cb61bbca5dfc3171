//! Delay schedules: the delay before the n-th retry, before jitter.

use std::time::Duration;

/// How long to wait before each retry, before [`Jitter`](super::Jitter) is applied.
///
/// Delays are exact (`exponential(50ms)` gives 50ms, 100ms, 200ms… with no rounding drift) and
/// never exceed `max`.
///
/// ```
/// # mod resilience { pub use resilience_runtime::retry::Backoff; }
/// use resilience::Backoff;
/// use std::time::Duration;
/// let ms = Duration::from_millis;
/// let b = Backoff::exponential(ms(50), 2.0, ms(300));
/// let first: Vec<_> = (0..4).map(|n| b.delay(n)).collect();
/// assert_eq!(first, [ms(50), ms(100), ms(200), ms(300)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Backoff {
    /// `base · factor^n`, capped at `max`.
    Exponential {
        /// First delay.
        base: Duration,
        /// Growth per retry (≥ 1).
        factor: f64,
        /// Cap.
        max: Duration,
    },
    /// The same delay every time.
    Constant(Duration),
    /// `base · fib(n)` (1, 1, 2, 3, 5, …), capped at `max`.
    Fibonacci {
        /// First delay.
        base: Duration,
        /// Cap.
        max: Duration,
    },
    /// Retry at once.
    None,
}

impl Backoff {
    /// The default schedule: exponential from 100ms, factor 2, at most 10s.
    pub const DEFAULT: Backoff = Backoff::Exponential {
        base: Duration::from_millis(100),
        factor: 2.0,
        max: Duration::from_secs(10),
    };

    /// `exponential(base, factor = f, max = m)`.
    pub const fn exponential(base: Duration, factor: f64, max: Duration) -> Self {
        Backoff::Exponential { base, factor, max }
    }

    /// `constant(delay)`.
    pub const fn constant(delay: Duration) -> Self {
        Backoff::Constant(delay)
    }

    /// `fibonacci(base, max = m)`.
    pub const fn fibonacci(base: Duration, max: Duration) -> Self {
        Backoff::Fibonacci { base, max }
    }

    /// The delay before retry number `n` (0 for the first retry), before jitter.
    pub fn delay(&self, n: u32) -> Duration {
        match *self {
            Backoff::Exponential { base, factor, max } => {
                let nanos = base.as_nanos() as f64 * factor.powi(n.min(i32::MAX as u32) as i32);
                if nanos.is_finite() && nanos < max.as_nanos() as f64 {
                    Duration::from_nanos(nanos as u64)
                } else {
                    max
                }
            }
            Backoff::Constant(d) => d,
            Backoff::Fibonacci { base, max } => {
                let (mut a, mut b) = (1u64, 1u64);
                for _ in 0..n {
                    (a, b) = (b, a.saturating_add(b));
                    if base.saturating_mul(a.min(u32::MAX as u64) as u32) >= max {
                        return max;
                    }
                }
                base.saturating_mul(a.min(u32::MAX as u64) as u32).min(max)
            }
            Backoff::None => Duration::ZERO,
        }
    }

    /// The first delay, which decorrelated jitter starts from.
    pub fn base(&self) -> Duration {
        match *self {
            Backoff::Exponential { base, .. } | Backoff::Fibonacci { base, .. } => base,
            Backoff::Constant(d) => d,
            Backoff::None => Duration::ZERO,
        }
    }

    /// The largest delay this schedule gives.
    pub fn max(&self) -> Duration {
        match *self {
            Backoff::Exponential { max, .. } | Backoff::Fibonacci { max, .. } => max,
            Backoff::Constant(d) => d,
            Backoff::None => Duration::ZERO,
        }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn exponential_is_exact_and_capped() {
        let b = Backoff::exponential(ms(50), 2.0, ms(2000));
        let got: Vec<_> = (0..8).map(|n| b.delay(n)).collect();
        assert_eq!(got, [50, 100, 200, 400, 800, 1600, 2000, 2000].map(ms));
        let b = Backoff::exponential(ms(100), 1.5, ms(10_000));
        let got: Vec<_> = (0..4).map(|n| b.delay(n)).collect();
        assert_eq!(
            got,
            [ms(100), ms(150), ms(225), Duration::from_micros(337_500)]
        );
    }

    #[test]
    fn exponential_saturates_at_huge_n() {
        let b = Backoff::exponential(ms(1), 10.0, ms(5));
        assert_eq!(b.delay(u32::MAX), ms(5));
    }

    #[test]
    fn fibonacci_never_exceeds_max() {
        let b = Backoff::fibonacci(ms(100), ms(1000));
        let got: Vec<_> = (0..9).map(|n| b.delay(n)).collect();
        assert_eq!(
            got,
            [100, 100, 200, 300, 500, 800, 1000, 1000, 1000].map(ms)
        );
        assert_eq!(b.delay(10_000), ms(1000));
    }

    #[test]
    fn constant_and_none() {
        assert_eq!(Backoff::constant(ms(7)).delay(9), ms(7));
        assert_eq!(Backoff::None.delay(3), Duration::ZERO);
    }
}
