//! The runtime of [`resilience`](https://docs.rs/resilience): one module per policy, the
//! per-callsite registry, and telemetry. Users depend on `resilience`, which re-exports this.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

// The docs of the items `resilience` re-exports are shown on its pages, so their examples are
// written against its paths: a hidden `# use resilience_runtime as resilience;`, or, where
// `resilience` exports the item at another path (`resilience::Backoff` is `retry::Backoff`
// here), a hidden `# mod resilience { pub use resilience_runtime::retry::Backoff; }`.

mod checked;
mod error;
mod events;
mod instruments;
mod outcome;
mod registry;
mod snapshot;
mod stripe;
mod telemetry;

pub mod blocking;
pub mod bulkhead;
pub mod call;
#[cfg(feature = "chaos")]
pub mod chaos;
pub mod circuit_breaker;
#[cfg(feature = "config")]
pub mod config;
pub mod fallback;
pub mod fleet;
pub mod hedge;
pub mod keyed;
pub mod label;
pub mod rate_limit;
pub mod retry;
pub mod show;
pub mod testing;
pub mod timeout;

pub use circuit_breaker::{CircuitBreakerHandle, CircuitMetrics, CircuitState};
pub use error::{Error, InvalidValue};
pub use events::{EVENT_BUFFER, Event};
pub use hedge::HedgeHandle;
pub use outcome::{Failure, FromResilienceError, Layered, Outcome, PolicyError};
pub use registry::{Registry, registry};
pub use retry::{RetryDecision, RetryHandle};
pub use snapshot::{
    BulkheadSnapshot, ChaosSnapshot, CircuitBreakerSnapshot, HedgeSnapshot, KeyedSnapshot,
    RateLimiterSnapshot, RetrySnapshot, Snapshot, TimeoutSnapshot,
};
pub use timeout::TimeoutHandle;

/// What the generated code calls. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::Error;
    pub use crate::blocking::BlockingSite;
    pub use crate::bulkhead::{BulkheadPolicy, BulkheadSite, Entered, KeyedBulkheadSite};
    pub use crate::call::CallSite;
    #[cfg(feature = "chaos")]
    pub use crate::chaos::{ChaosPolicy, chaos, chaos_blocking};
    pub use crate::checked::{Checked, IntoWindow, checked};
    pub use crate::circuit_breaker::{
        BreakerPolicy, BreakerSite, KeyedBreakerSite, OpenFor, Window, every_error_fails, rejected,
    };
    pub use crate::fallback::{
        BlockingFallbackFn, FallbackFn, FallbackMode, Probe, ProbeResult, ProbeValue, Propagate,
        fallback_when,
    };
    pub use crate::fleet::{FleetPolicy, OnStoreError, Scope};
    pub use crate::hedge::{
        HedgeDelay, HedgePolicy, HedgeSite, Hedged1, Hedged2, Hedged3, Hedged4, Hedged5, Hedged6,
        Hedged7, Hedged8, Hedged9, Hedged10, hedge_every_error, runs,
    };
    pub use crate::keyed::DEFAULT_MAX_KEYS;
    pub use crate::label::FnLabel;
    pub use crate::outcome::Layered;
    pub use crate::outcome::run_body;
    pub use crate::outcome::{finish, finish_unrejected, lift};
    pub use crate::rate_limit::{KeyedRateLimitSite, Rate, RateLimitPolicy, RateLimitSite};
    pub use crate::retry::{
        Backoff, Budget, Jitter, RetryCall, RetryPolicy, RetrySite, retry_every_error,
    };
    pub use crate::show::{ShowDebug, ShowDisplay, ShowError};
    pub use crate::timeout::TimeoutSite;
    pub use core::ops::ControlFlow::{Break, Continue};
    pub use core::option::Option::{None, Some};
    pub use core::result::Result::{Err, Ok};
    pub use std::convert::Infallible;
    pub use std::time::Duration;

    /// The traits whose methods the generated code calls (`mode.lift(..)`, `.resilience_show()`),
    /// in scope through `use __private::methods::*` without a name a function body could see.
    pub mod methods {
        pub use crate::fallback::{FallbackMode as _, ProbeResult as _, ProbeValue as _};
        pub use crate::show::{ShowDebug as _, ShowDisplay as _};
    }

    /// Never called: `if false { return returns::<R>(); }` makes a block return `R`, so its `?`
    /// and tail coerce as the function's own body would.
    pub fn returns<R>() -> R {
        unreachable!("only pins a block's return type")
    }

    /// `Duration::from_secs(n)`, short for the expansion.
    pub const fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// `Duration::from_millis(n)`, short for the expansion.
    pub const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// `Duration::from_micros(n)`, short for the expansion.
    pub const fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// `Duration::from_nanos(n)`, short for the expansion.
    pub const fn ns(n: u64) -> Duration {
        Duration::from_nanos(n)
    }

    /// A `key = ..` value: anything that reads as a `&str`.
    #[diagnostic::on_unimplemented(
        message = "`key = ..` needs a string to tell instances apart, and `{Self}` is not `AsRef<str>`",
        label = "not a string",
        note = "give a `&str` or a `String`, such as `key = self.host.as_str()` or `key = user_id.to_string()`"
    )]
    pub trait Key {
        /// The key as the `&str` its instance is found by.
        fn as_key(&self) -> &str;
    }
    impl<K: AsRef<str> + ?Sized> Key for K {
        #[inline(always)]
        fn as_key(&self) -> &str {
            self.as_ref()
        }
    }

    /// A `key = ..` value as the `&str` its instance is found by.
    #[inline(always)]
    pub fn key<K: Key + ?Sized>(key: &K) -> &str {
        key.as_key()
    }

    /// Pins a duration argument's type, so a mismatch points at the argument.
    #[inline(always)]
    pub const fn duration(d: Duration) -> Duration {
        d
    }

    /// Pins a count argument's type (`attempts`, `burst`, `min_calls`, ...), so a mismatch
    /// points at the argument.
    #[inline(always)]
    pub const fn count(n: u32) -> u32 {
        n
    }

    /// Pins a bulkhead's `max_concurrent` argument's type.
    #[inline(always)]
    pub const fn max_concurrent(n: usize) -> usize {
        n
    }

    /// Pins a percentage argument's type: a share from 0.0 to 1.0 (`0.4` is 40%).
    #[inline(always)]
    pub const fn share(s: f64) -> f64 {
        s
    }

    /// Pins a `rate = ..` argument's type.
    #[inline(always)]
    pub const fn rate(r: Rate) -> Rate {
        r
    }

    /// A `window = ..` argument: a number of calls or a duration.
    #[inline(always)]
    pub fn window<W: IntoWindow>(w: W) -> crate::circuit_breaker::Window {
        w.into_window()
    }
}
