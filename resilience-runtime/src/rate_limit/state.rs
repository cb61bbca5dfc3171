//! The limiter's GCRA state: governor's own `InMemoryState` (one atomic theoretical arrival
//! time, swapped in a compare-and-swap loop), with its loop inline in the caller.

use governor::nanos::Nanos;
use governor::state::{NotKeyed, StateStore};
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// The theoretical arrival time of a limiter's next permit in nanoseconds since its start (0:
/// none yet), decided by governor's GCRA. governor's `InMemoryState` does the same out of line,
/// which puts each of the decision's inputs on the stack on every call.
#[derive(Debug, Default)]
pub(super) struct Tat(AtomicU64);

impl StateStore for Tat {
    type Key = NotKeyed;

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
                Err(actual) => prev = actual,
            }
        }
    }
}
