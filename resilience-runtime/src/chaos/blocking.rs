//! The sync front of `#[chaos]`: the same switch and draws; latency blocks the thread.

use super::ChaosPolicy;
use super::future::inject;
use crate::blocking::{self, BlockingSite};
use crate::outcome::Layered;

/// Runs `inner` after the faults of one call, if chaos is switched on: what a plain `fn` under
/// `#[chaos]` calls. Latency blocks the thread (or moves a `ManualClock`).
///
/// ```
/// use resilience_runtime::{chaos, Error, Failure};
/// use resilience_runtime::blocking::BlockingSite;
///
/// static SITE: BlockingSite = BlockingSite::new("docs::sync_pay");
/// let always = chaos::ChaosPolicy { error_rate: 1.0, ..chaos::ChaosPolicy::NONE };
/// let call = || chaos::chaos_blocking("docs::sync_pay", always, &SITE, || Ok::<u32, Failure<()>>(1));
/// chaos::disable();
/// assert_eq!(call(), Ok(1));
/// chaos::enable();
/// assert_eq!(call(), Err(Failure::Policy(Error::Injected { name: "docs::sync_pay" })));
/// chaos::disable();
/// ```
#[inline]
pub fn chaos_blocking<T, E>(
    name: &'static str,
    policy: ChaosPolicy,
    site: &BlockingSite,
    inner: impl FnOnce() -> Layered<T, E>,
) -> Layered<T, E> {
    if super::is_enabled() {
        let stats = super::stats::ChaosStats::of(name);
        let policy = stats.policy(policy);
        match policy.as_ref().map_or((None, false), super::switch::draw) {
            (Some(delay), fail) => {
                stats.injected_delay();
                if fail {
                    stats.injected_error();
                }
                crate::telemetry::chaos_latency(name, delay);
                site.before_wait();
                blocking::sleep(delay);
                if fail {
                    return Err(inject(name));
                }
            }
            (None, true) => {
                stats.injected_error();
                return Err(inject(name));
            }
            (None, false) => {}
        }
    }
    inner()
}
