//! The global on/off switch and the seedable generator every chaos callsite draws from.

use super::ChaosPolicy;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

const UNSET: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;

/// `UNSET` until the first chaos call reads `RESILIENCE_CHAOS`, or until [`enable`] or
/// [`disable`] decides.
static STATE: AtomicU8 = AtomicU8::new(UNSET);
/// `RESILIENCE_CHAOS`, read once.
static ENV: OnceLock<bool> = OnceLock::new();
/// `None` until the first draw (seeded from the OS) or [`seed`]. Only touched while chaos is
/// switched on, so a lock is fine.
static RNG: Mutex<Option<fastrand::Rng>> = Mutex::new(None);

/// Switches chaos on for every `#[chaos]` callsite of the process, whatever
/// `RESILIENCE_CHAOS` says.
///
/// ```
/// # use resilience_runtime as resilience;
/// resilience::chaos::enable();
/// assert!(resilience::chaos::is_enabled());
/// # resilience::chaos::disable();
/// ```
pub fn enable() {
    STATE.store(ON, Ordering::Relaxed);
}

/// Switches chaos off: every `#[chaos]` callsite runs its body untouched again.
///
/// ```
/// # use resilience_runtime as resilience;
/// resilience::chaos::disable();
/// assert!(!resilience::chaos::is_enabled());
/// ```
pub fn disable() {
    STATE.store(OFF, Ordering::Relaxed);
}

/// Whether chaos is switched on: by [`enable`], or, until [`enable`] or [`disable`] is called,
/// by the environment variable `RESILIENCE_CHAOS` (`1`, `true`, `on` or `yes`), read once.
///
/// ```
/// # use resilience_runtime as resilience;
/// resilience::chaos::disable();
/// assert!(!resilience::chaos::is_enabled());
/// ```
#[inline]
pub fn is_enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        ON => true,
        OFF => false,
        _ => from_env(),
    }
}

#[cold]
fn from_env() -> bool {
    let on = *ENV.get_or_init(|| {
        std::env::var("RESILIENCE_CHAOS").is_ok_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "on" | "yes"
            )
        })
    });
    // An `enable` or `disable` that came first wins.
    let _ = STATE.compare_exchange(
        UNSET,
        if on { ON } else { OFF },
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    STATE.load(Ordering::Relaxed) == ON
}

/// Seeds the generator every `#[chaos]` callsite draws from, so the same calls get the same
/// faults from run to run.
///
/// The generator is shared by the whole process: calls made concurrently draw in the order
/// they reach it, so a reproducible sequence needs the calls made one after another.
///
/// ```
/// # use resilience_runtime as resilience;
/// resilience::chaos::seed(42);
/// ```
pub fn seed(seed: u64) {
    *RNG.lock().unwrap_or_else(PoisonError::into_inner) = Some(fastrand::Rng::with_seed(seed));
}

/// The faults of one call: a delay to sleep first, and whether to fail afterwards. Latency is
/// drawn before the error, so a seed fixes both.
pub(super) fn draw(policy: &ChaosPolicy) -> (Option<Duration>, bool) {
    let mut rng = RNG.lock().unwrap_or_else(PoisonError::into_inner);
    let rng = rng.get_or_insert_with(fastrand::Rng::new);
    let delay =
        (!policy.latency.is_zero() && rng.f64() < policy.latency_rate).then_some(policy.latency);
    let fail = rng.f64() < policy.error_rate;
    (delay, fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_of_zero_and_one_are_exact() {
        let never = ChaosPolicy {
            latency: Duration::from_millis(5),
            ..ChaosPolicy::NONE
        };
        let always = ChaosPolicy {
            error_rate: 1.0,
            latency: Duration::from_millis(5),
            latency_rate: 1.0,
        };
        for _ in 0..1000 {
            assert_eq!(draw(&never), (None, false));
            assert_eq!(draw(&always), (Some(Duration::from_millis(5)), true));
        }
    }

    #[test]
    fn no_latency_means_no_delay_whatever_the_rate() {
        let p = ChaosPolicy {
            latency_rate: 1.0,
            ..ChaosPolicy::NONE
        };
        assert_eq!(draw(&p).0, None);
    }
}
