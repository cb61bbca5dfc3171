//! `#[hedge]`: when a call is slow, start the body again beside it and take the first success.
//!
//! The generated code hands [`HedgeSite::call`] a closure that makes one run of the body (the
//! layers beneath included); every run lives in the caller's own future ([`Hedge`]), polled
//! together, with no spawn and no `'static` bound. The adaptive delay (`delay = p95`) reads the
//! name's recent latencies from a lock-free histogram; hedges are capped by the retry budget's
//! mechanism.
//!
//! ```
//! use resilience_runtime::hedge::{HedgeDelay, HedgePolicy, HedgeSite, Hedged1, runs};
//! use resilience_runtime::Failure;
//! use std::time::Duration;
//!
//! static SITE: HedgeSite = HedgeSite::new("docs::lookup");
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # tokio::time::pause();
//! let policy = HedgePolicy {
//!     delay: HedgeDelay::Fixed(Duration::from_millis(50)),
//!     budget: resilience_runtime::retry::Budget::Unlimited,
//!     ..HedgePolicy::DEFAULT
//! };
//! let slow_then_fast = std::cell::Cell::new(0);
//! let out = SITE
//!     .call(&policy, runs::<Hedged1<_>>(), || {
//!         let run = slow_then_fast.replace(slow_then_fast.get() + 1);
//!         async move {
//!             let took = if run == 0 { 500 } else { 10 };
//!             tokio::time::sleep(Duration::from_millis(took)).await;
//!             Ok::<u32, Failure<std::io::Error>>(run)
//!         }
//!     }, |_| true)
//!     .await;
//! // The hedge, started at 50 ms, answered at 60 ms; the first run was dropped.
//! assert_eq!(out.unwrap(), 1);
//! # }
//! ```

#[cfg(feature = "config")]
mod configure;
mod future;
mod histogram;
mod runs;
mod stats;

pub use crate::retry::Budget;
pub use future::Hedge;
pub use runs::{
    Empty, End, Hedged1, Hedged2, Hedged3, Hedged4, Hedged5, Hedged6, Hedged7, Hedged8, Hedged9,
    Hedged10, Runs, Slot, runs,
};
pub use stats::HedgeHandle;
pub(crate) use stats::HedgeStats;

use crate::label::{FnLabel, Name};
use crate::registry::{self, Registry};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// When a hedge starts: after a fixed time, or after a percentile of the name's recent
/// latencies.
///
/// ```
/// # mod resilience { pub use resilience_runtime::hedge::HedgeDelay; }
/// use resilience::HedgeDelay;
/// assert_eq!(HedgeDelay::default(), HedgeDelay::Percentile(0.95));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum HedgeDelay {
    /// This long after the previous run started.
    Fixed(Duration),
    /// The share (0.5–0.999) of the last 5–10 s of latencies below which this one falls; no
    /// hedge by delay before 20 latencies are known.
    Percentile(f64),
}

impl Default for HedgeDelay {
    fn default() -> Self {
        HedgeDelay::Percentile(0.95)
    }
}

/// The settings of one `#[hedge(..)]`.
///
/// ```
/// # mod resilience { pub use resilience_runtime::hedge::{HedgeDelay, HedgePolicy}; }
/// use resilience::{HedgeDelay, HedgePolicy};
/// let p = HedgePolicy { max_hedged: 2, ..HedgePolicy::DEFAULT };
/// assert_eq!(p.delay, HedgeDelay::Percentile(0.95));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HedgePolicy {
    /// When each hedge starts, after the previous run started.
    pub delay: HedgeDelay,
    /// Extra runs at most (1..=10; the places are fixed by the generated code's `HedgedN`).
    pub max_hedged: u32,
    /// Share of calls that may start a hedge, over a sliding 10 s.
    pub budget: Budget,
}

impl HedgePolicy {
    /// The defaults of SPEC §14: `p95`, one hedge, a 10% budget.
    pub const DEFAULT: HedgePolicy = HedgePolicy {
        delay: HedgeDelay::Percentile(0.95),
        max_hedged: 1,
        budget: Budget::Ratio(0.1),
    };
}

impl Default for HedgePolicy {
    fn default() -> Self {
        HedgePolicy::DEFAULT
    }
}

/// The per-callsite state of one `#[hedge]`, held in a `static` the macro generates: it joins
/// the registry on its first call (callsites with one `name` share one entry).
#[derive(Debug)]
pub struct HedgeSite {
    name: Name,
    shared: bool,
    stats: OnceLock<&'static HedgeStats>,
}

impl HedgeSite {
    /// A site named `name` (the attribute's `name`, or the function's label).
    pub const fn new(name: &'static str) -> Self {
        HedgeSite {
            name: Name::Fixed(name),
            shared: true,
            stats: OnceLock::new(),
        }
    }

    /// The site of a method whose default label names its type (see [`FnLabel`]).
    pub const fn of_method(mut self, label: &'static FnLabel) -> Self {
        self.name = Name::Method(label);
        self
    }

    /// This callsite's own entry, never shared (a default name).
    pub const fn per_callsite(mut self) -> Self {
        self.shared = false;
        self
    }

    /// One hedged call: `make` makes a run (called up to `1 + max_hedged` times, its futures
    /// polled together in the returned future), `when` says which of the function's errors
    /// start the next run at once. `runs` holds the places ([`runs`]`::<Hedged1<_>>()`).
    #[inline]
    pub fn call<'p, R, M, W, Fut, T, E, P>(
        &'static self,
        policy: &'p HedgePolicy,
        runs: R,
        make: M,
        when: W,
    ) -> Hedge<'p, R, M, W>
    where
        R: Runs<Fut>,
        M: FnMut() -> Fut,
        Fut: std::future::Future<Output = crate::outcome::Layered<T, E, P>>,
        W: FnMut(&E) -> bool,
    {
        let stats = self.stats(policy);
        stats.budget.deposit();
        Hedge::new(stats, policy, runs, make, when)
    }

    #[inline]
    fn stats(&'static self, policy: &HedgePolicy) -> &'static HedgeStats {
        match self.stats.get() {
            Some(stats) => stats,
            None => self.register(policy),
        }
    }

    #[cold]
    fn register(&'static self, policy: &HedgePolicy) -> &'static HedgeStats {
        registry::callsite_instance(self, &self.stats, |reg| self.register_in(reg, policy))
    }

    fn register_in(&self, reg: &Registry, policy: &HedgePolicy) -> Arc<HedgeStats> {
        reg.register(stats::KIND, self.name.get(), self.shared, || {
            HedgeStats::new(self.name.get(), *policy)
        })
        .0
    }
}

/// Hedges after every error of the function: the predicate used when `#[hedge]` has no `when`.
#[doc(hidden)]
#[inline]
pub fn hedge_every_error<E>(_: &E) -> bool {
    true
}
