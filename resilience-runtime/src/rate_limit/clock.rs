//! `governor`'s clock over tokio's, so a paused test clock drives rate windows too.

use governor::clock::{Clock, Reference};
use governor::nanos::Nanos;
use std::hash::{Hash, Hasher};
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
    /// The nanoseconds from `earlier` to this reading (zero if `earlier` is later, at most
    /// `u64::MAX`): what governor's GCRA asks on every call, with the limiter's start.
    #[inline]
    fn duration_since(&self, earlier: Self) -> Nanos {
        let (now, earlier) = (self.0.into_std(), earlier.0.into_std());
        match (Parts::of(now), Parts::of(earlier)) {
            (Some(now), Some(earlier)) => Nanos::from(now.nanos_since(earlier)),
            _ => Nanos::from(saturating_nanos(now.saturating_duration_since(earlier))),
        }
    }

    #[inline]
    fn saturating_sub(&self, duration: Nanos) -> Self {
        TokioInstant(self.0.checked_sub(duration.into()).unwrap_or(self.0))
    }
}

/// `d` in nanoseconds, at most `u64::MAX`.
fn saturating_nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

/// A `std::time::Instant`'s seconds and nanoseconds, read through its `Hash`, which writes
/// exactly these (its `timespec`, or its `Duration` on the platforms that keep one).
///
/// Why: the only public way from two `Instant`s to the time between them is
/// `checked_duration_since` and its kin, which cost two out-of-line calls (about 55
/// instructions, as many as the rest of a call through the limiter); from the parts it is a
/// subtraction. A hash that writes anything else (another shape, another order, nanoseconds
/// of a second or more) reads as `None`, and the caller takes the std path: a std that
/// hashed an `Instant` otherwise would make this slower, never wrong.
/// `tests::parts_give_the_std_difference` checks both ways agree, paused clock included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts {
    secs: i64,
    nanos: u32,
}

impl Parts {
    #[inline]
    fn of(instant: std::time::Instant) -> Option<Parts> {
        let mut reader = PartsReader::Secs;
        instant.hash(&mut reader);
        match reader {
            PartsReader::Done(parts) => Some(parts),
            _ => None,
        }
    }

    /// The nanoseconds from `earlier` to `self`: zero if `earlier` is later, at most `u64::MAX`.
    #[inline]
    fn nanos_since(self, earlier: Parts) -> u64 {
        let nanos = (i128::from(self.secs) - i128::from(earlier.secs)) * 1_000_000_000
            + (i128::from(self.nanos) - i128::from(earlier.nanos));
        u64::try_from(nanos.max(0)).unwrap_or(u64::MAX)
    }
}

/// The `Hasher` that [`Parts::of`] reads an instant with: seconds, then nanoseconds.
enum PartsReader {
    Secs,
    Nanos(i64),
    Done(Parts),
    /// A write it does not expect.
    Other,
}

impl Hasher for PartsReader {
    fn finish(&self) -> u64 {
        0
    }

    /// Every write but the two below comes here (the trait's defaults).
    #[inline]
    fn write(&mut self, _: &[u8]) {
        *self = PartsReader::Other;
    }

    #[inline]
    fn write_i64(&mut self, secs: i64) {
        *self = match self {
            PartsReader::Secs => PartsReader::Nanos(secs),
            _ => PartsReader::Other,
        };
    }

    #[inline]
    fn write_u64(&mut self, secs: u64) {
        match i64::try_from(secs) {
            Ok(secs) => self.write_i64(secs),
            Err(_) => *self = PartsReader::Other,
        }
    }

    #[inline]
    fn write_u32(&mut self, nanos: u32) {
        *self = match *self {
            PartsReader::Nanos(secs) if nanos < 1_000_000_000 => {
                PartsReader::Done(Parts { secs, nanos })
            }
            _ => PartsReader::Other,
        };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The time between two readings as std computes it, saturated as `duration_since`.
    fn std_nanos(now: std::time::Instant, earlier: std::time::Instant) -> u64 {
        saturating_nanos(now.saturating_duration_since(earlier))
    }

    /// Both ways agree on pairs of instants in both orders, a nanosecond to years apart and
    /// across second boundaries; and the parts are read here (the fast way is the one tested).
    #[test]
    fn parts_give_the_std_difference() {
        let base = std::time::Instant::now();
        assert!(
            Parts::of(base).is_some(),
            "this platform's Instant hashes otherwise"
        );
        let steps = [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_nanos(999_999_999),
            Duration::from_secs(1),
            Duration::new(1, 1),
            Duration::new(86_400 * 365 * 3, 123_456_789),
        ];
        for a in steps {
            for b in steps {
                let (x, y) = (base + a, base + b);
                let (px, py) = (Parts::of(x).unwrap(), Parts::of(y).unwrap());
                assert_eq!(px.nanos_since(py), std_nanos(x, y), "{a:?} {b:?}");
                let (tx, ty) = (TokioInstant(x.into()), TokioInstant(y.into()));
                assert_eq!(u64::from(tx.duration_since(ty)), std_nanos(x, y));
            }
        }
    }

    /// Readings of a paused tokio clock, moved by hand, are measured as tokio moved them.
    #[tokio::test(start_paused = true)]
    async fn a_paused_clock_is_measured_as_it_moves() {
        let start = TokioClock.now();
        for step in [
            Duration::from_nanos(1),
            Duration::from_millis(999),
            Duration::from_secs(7),
        ] {
            let before = TokioClock.now();
            tokio::time::advance(step).await;
            let after = TokioClock.now();
            assert_eq!(
                u64::from(after.duration_since(before)),
                saturating_nanos(step)
            );
            assert_eq!(u64::from(before.duration_since(after)), 0);
        }
        let total = TokioClock.now().instant() - start.instant();
        assert_eq!(
            u64::from(TokioClock.now().duration_since(start)),
            saturating_nanos(total)
        );
    }

    /// A hash of another shape is not read as parts.
    #[test]
    fn other_hashes_are_not_parts() {
        let read = |f: &dyn Fn(&mut PartsReader)| {
            let mut r = PartsReader::Secs;
            f(&mut r);
            matches!(r, PartsReader::Done(_))
        };
        assert!(read(&|r| (5i64, 7u32).hash(r)));
        assert!(!read(&|r| (7u32, 5i64).hash(r)));
        assert!(!read(&|r| (5i64, 1_000_000_000u32).hash(r)));
        assert!(!read(&|r| (5i64, 7u32, 1u8).hash(r)));
        assert!(!read(&|r| 5u128.hash(r)));
    }
}
