//! `#[chaos]`: fault injection for game days and tests (feature `chaos`). A call is delayed by
//! `latency` (with probability `latency_rate`), then fails with
//! [`Error::Injected`](crate::Error::Injected) (with probability `error_rate`) before its body
//! runs.
//!
//! Everything is inert until switched on, by [`enable`] or by the environment variable
//! `RESILIENCE_CHAOS=1` (read once, at the first chaos call). While switched off, a call costs
//! one relaxed atomic load. [`seed`] makes the faults repeat from run to run.
//!
//! ```
//! use resilience_runtime::{chaos, Error, Failure};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let always = chaos::ChaosPolicy { error_rate: 1.0, ..chaos::ChaosPolicy::NONE };
//! let call = || chaos::chaos("docs::pay", always, async { Ok::<u32, Failure<()>>(1) });
//!
//! chaos::disable();
//! assert_eq!(call().await, Ok(1)); // switched off: the body runs
//! chaos::enable();
//! assert_eq!(call().await, Err(Failure::Policy(Error::Injected { name: "docs::pay" })));
//! chaos::disable();
//! # }
//! ```

mod blocking;
mod future;
mod stats;
mod switch;

pub use blocking::chaos_blocking;

pub use future::Chaos;
pub use stats::ChaosHandle;
pub use switch::{disable, enable, is_enabled, seed};

use std::future::Future;
use std::time::Duration;

/// The settings of one `#[chaos(error_rate, latency, latency_rate)]`, built at each call.
///
/// ```
/// use resilience_runtime::chaos::ChaosPolicy;
/// use std::time::Duration;
/// let p = ChaosPolicy { latency: Duration::from_millis(200), latency_rate: 0.2, ..ChaosPolicy::NONE };
/// assert_eq!(p.error_rate, 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChaosPolicy {
    /// Share of calls failed with [`Error::Injected`](crate::Error::Injected), 0.0 to 1.0.
    pub error_rate: f64,
    /// The delay injected before the body.
    pub latency: Duration,
    /// Share of calls delayed by `latency`, 0.0 to 1.0.
    pub latency_rate: f64,
}

impl ChaosPolicy {
    /// Injects nothing.
    pub const NONE: ChaosPolicy = ChaosPolicy {
        error_rate: 0.0,
        latency: Duration::ZERO,
        latency_rate: 0.0,
    };
}

impl Default for ChaosPolicy {
    fn default() -> Self {
        ChaosPolicy::NONE
    }
}

/// Runs `inner` after injecting the faults `policy` draws, when chaos is switched on: first a
/// delay of `policy.latency` (tokio's clock), then [`Error::Injected`](crate::Error::Injected)
/// instead of the body. Switched off, `inner` runs untouched.
///
/// ```
/// use resilience_runtime::chaos::{chaos, ChaosPolicy};
/// use resilience_runtime::Failure;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let out = chaos("docs::f", ChaosPolicy::NONE, async { Ok::<u8, Failure<()>>(2) }).await;
/// assert_eq!(out, Ok(2));
/// # }
/// ```
#[inline]
pub fn chaos<F: Future>(name: &'static str, policy: ChaosPolicy, inner: F) -> Chaos<F> {
    Chaos::new(name, policy, inner)
}
