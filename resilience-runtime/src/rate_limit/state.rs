//! The limiter's GCRA state: what governor's `InMemoryState` keeps (one atomic theoretical
//! arrival time, replaced by compare-and-swap), with the loop inline in the caller.

use governor::nanos::Nanos;
use governor::state::{NotKeyed, StateStore};
#[cfg(loom)]
use loom::sync::atomic::{AtomicU64, Ordering};
use std::num::NonZeroU64;
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU64, Ordering};

/// The theoretical arrival time of a limiter's next permit, in nanoseconds since the limiter's
/// start (0: none yet); governor's GCRA decides each call on it. governor's `InMemoryState`
/// runs the same loop out of line, which writes every input of the decision to the stack on
/// every call; inline, they stay in registers.
#[derive(Debug, Default)]
pub(super) struct Tat(AtomicU64);

impl StateStore for Tat {
    type Key = NotKeyed;

    /// `f` decides from the stored time (`None` before the first permit) and gives the time to
    /// store; a time changed by another call meanwhile makes `f` decide again on the new one.
    /// Orderings as governor's: the decision reads what the last permit's taker stored.
    #[inline(always)]
    fn measure_and_replace<T, F, E>(&self, _key: &NotKeyed, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut prev = self.0.load(Ordering::Acquire);
        loop {
            let (result, next) = f(NonZeroU64::new(prev).map(|n| Nanos::from(n.get())))?;
            match self.0.compare_exchange_weak(
                prev,
                next.into(),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(result),
                Err(now) => prev = now,
            }
        }
    }
}

/// A GCRA step on a fixed time: one permit per `t`, a burst of `burst`, all at time 0.
#[cfg(test)]
fn take(state: &Tat, t: u64, burst: u64) -> Result<(), u64> {
    state.measure_and_replace(&NotKeyed::NonKey, |tat| {
        let tat = tat.map_or(0, u64::from);
        if tat + t > t * burst {
            Err(tat)
        } else {
            Ok(((), Nanos::from(tat + t)))
        }
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::rate_limit::{RateLimitPolicy, RateLimiter};
    use std::time::Duration;

    #[test]
    fn decides_on_the_stored_time_and_keeps_it_when_refused() {
        let state = Tat::default();
        assert_eq!(take(&state, 10, 2), Ok(()));
        assert_eq!(take(&state, 10, 2), Ok(()));
        assert_eq!(take(&state, 10, 2), Err(20));
        assert_eq!(state.0.load(Ordering::Relaxed), 20);
    }

    /// Threads racing for one limiter's burst take exactly the burst: none lost, none twice.
    /// (A permit frees once a day, so none frees while they run.)
    #[test]
    fn racing_threads_take_exactly_the_burst() {
        let day = Duration::from_secs(86_400);
        let limiter = RateLimiter::new("state::race", RateLimitPolicy::new(1000, 1000 * day));
        let taken: usize = std::thread::scope(|s| {
            let racers: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..500).filter(|_| limiter.try_acquire().is_ok()).count()))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).sum()
        });
        assert_eq!(taken, 1000);
        assert_eq!(limiter.admitted(), 1000);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// Three threads race for a burst of two: two are admitted, the third refused, and the
    /// stored time counts both permits.
    #[test]
    fn three_racers_for_a_burst_of_two() {
        loom::model(|| {
            let state = Arc::new(Tat::default());
            let racers: Vec<_> = (0..3)
                .map(|_| {
                    let state = Arc::clone(&state);
                    loom::thread::spawn(move || take(&state, 10, 2).is_ok())
                })
                .collect();
            let admitted = racers
                .into_iter()
                .map(|r| r.join().unwrap())
                .filter(|&ok| ok)
                .count();
            assert_eq!(admitted, 2);
            assert_eq!(state.0.load(Ordering::Acquire), 20);
        });
    }
}
