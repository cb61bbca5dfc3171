//! The live figures of one hedge name, shared by its callsites, and their view in the registry.

use super::HedgePolicy;
use super::histogram::Histogram;
use crate::instruments::NamedCounter;
use crate::keyed::{self, Found};
use crate::registry::{Entry, Registry};
use crate::retry::RetryBudget;
use crate::snapshot::{HedgeSnapshot, Snapshot};
use std::sync::Arc;
#[cfg(feature = "config")]
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// The registry's kind for hedges (`[hedge.<name>]` in configuration).
pub(super) const KIND: &str = "hedge";

/// Live figures of one hedge name.
#[derive(Debug)]
pub(crate) struct HedgeStats {
    name: &'static str,
    policy: HedgePolicy,
    /// The hedge budget: the retry budget's mechanism, with no reserve. It counts the calls.
    pub(super) budget: RetryBudget,
    pub(super) latencies: Histogram,
    hedges: AtomicU64,
    won: AtomicU64,
    hedges_total: NamedCounter,
    /// The adaptive delay last computed: `tick << 32 | micros` (`NO_DELAY` micros: too few
    /// latencies), recomputed at most once per [`TICK`].
    delay: AtomicU64,
    /// Whether configuration overrides the attributes' values: read by a call's first wait.
    #[cfg(feature = "config")]
    pub(super) configured: AtomicBool,
    #[cfg(feature = "config")]
    pub(super) settings: std::sync::Mutex<super::configure::Settings>,
}

/// How often an adaptive delay is recomputed from the histogram.
const TICK: Duration = Duration::from_millis(100);
const NO_DELAY: u64 = u32::MAX as u64;
const NEVER: u64 = u64::MAX;

impl HedgeStats {
    pub(super) fn new(name: &'static str, policy: HedgePolicy) -> Self {
        HedgeStats {
            name,
            policy,
            budget: RetryBudget::with_reserve(policy.budget, 0),
            latencies: Histogram::new(),
            hedges: AtomicU64::new(0),
            won: AtomicU64::new(0),
            hedges_total: NamedCounter::hedges(name),
            delay: AtomicU64::new(NEVER),
            #[cfg(feature = "config")]
            configured: AtomicBool::new(false),
            #[cfg(feature = "config")]
            settings: std::sync::Mutex::default(),
        }
    }

    /// The first callsite's policy.
    #[cfg(feature = "config")]
    pub(crate) fn written_policy(&self) -> HedgePolicy {
        self.policy
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// A hedge started.
    pub(super) fn record_hedge(&self) {
        self.hedges.fetch_add(1, Ordering::Relaxed);
        self.hedges_total.increment();
    }

    /// A hedge's answer was the call's.
    pub(super) fn record_won(&self) {
        self.won.fetch_add(1, Ordering::Relaxed);
    }

    /// The `q` percentile of the recent latencies at `now`, recomputed at most once per
    /// [`TICK`] (for the first policy's percentile; another is computed each time).
    pub(super) fn adaptive_delay(&self, q: f64, now: Instant) -> Option<Duration> {
        let epoch = self.latencies.epoch(now);
        let tick = (now.saturating_duration_since(self.origin()).as_millis() / TICK.as_millis())
            as u64
            & u64::from(u32::MAX);
        let cacheable = matches!(self.policy.delay, super::HedgeDelay::Percentile(p) if p == q);
        if cacheable {
            let cached = self.delay.load(Ordering::Relaxed);
            if cached != NEVER && cached >> 32 == tick {
                return match cached & NO_DELAY {
                    NO_DELAY => None,
                    micros => Some(Duration::from_micros(micros)),
                };
            }
        }
        let delay = self.latencies.quantile(q, epoch);
        if cacheable {
            let micros = delay.map_or(NO_DELAY, |d| (d.as_micros() as u64).min(NO_DELAY - 1));
            self.delay.store(tick << 32 | micros, Ordering::Relaxed);
        }
        delay
    }

    /// `max_hedged` as a call waiting now takes it.
    fn effective_max_hedged(&self) -> u32 {
        #[cfg(feature = "config")]
        if let Some(o) = crate::registry::lock(&self.settings).current {
            return o.over(&self.policy).max_hedged;
        }
        self.policy.max_hedged
    }

    fn origin(&self) -> Instant {
        self.budget.origin()
    }
}

impl Entry for HedgeStats {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn snapshot(&self, label: &str, into: &mut Snapshot) {
        into.hedges.push(HedgeSnapshot {
            name: label.to_owned(),
            max_hedged: self.effective_max_hedged(),
            calls: self.budget.calls(),
            hedges: self.hedges.load(Ordering::Relaxed),
            won: self.won.load(Ordering::Relaxed),
            budget_refused: self.budget.exhausted(),
            #[cfg(feature = "config")]
            configured: crate::registry::lock(&self.settings).configured.clone(),
            #[cfg(not(feature = "config"))]
            configured: Vec::new(),
        });
    }
    #[cfg(feature = "config")]
    fn apply(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
        self.apply_config(table)
    }
}

/// A view of one hedge name in the [`Registry`]. Every count is since the name's first call.
///
/// ```
/// # use resilience_runtime as resilience;
/// # let reg = resilience::registry();
/// if let Some(h) = reg.hedge("search") {
///     println!("{}: {} hedges for {} calls, {} won", h.name(), h.hedges(), h.calls(), h.won());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct HedgeHandle {
    label: Arc<str>,
    stats: Arc<HedgeStats>,
}

impl HedgeHandle {
    /// The hedge name.
    pub fn name(&self) -> &str {
        &self.label
    }
    /// The policy of the first callsite that used this name.
    pub fn policy(&self) -> HedgePolicy {
        self.stats.policy
    }
    /// Calls made (each once, however many runs it took; calls still running included).
    pub fn calls(&self) -> u64 {
        self.stats.budget.calls()
    }
    /// Hedges started: runs beyond each call's first.
    pub fn hedges(&self) -> u64 {
        self.stats.hedges.load(Ordering::Relaxed)
    }
    /// Calls whose answer came from a hedge rather than the first run.
    pub fn won(&self) -> u64 {
        self.stats.won.load(Ordering::Relaxed)
    }
    /// Hedges the budget refused (the call went on with the runs it had).
    pub fn budget_refused(&self) -> u64 {
        self.stats.budget.exhausted()
    }
    /// Latencies known over the last 5–10 s (an adaptive delay needs 20).
    pub fn latencies(&self) -> u64 {
        let latencies = &self.stats.latencies;
        latencies.len(latencies.epoch(Instant::now()))
    }
    /// The adaptive delay now (its percentile of the last 5–10 s), or `None` before 20 latencies or
    /// for a fixed delay.
    pub fn delay(&self) -> Option<Duration> {
        match self.stats.policy.delay {
            super::HedgeDelay::Percentile(q) => {
                let now = Instant::now();
                self.stats
                    .latencies
                    .quantile(q, self.stats.latencies.epoch(now))
            }
            super::HedgeDelay::Fixed(_) => None,
        }
    }
}

/// Hedges: one entry per name, created by its first call.
impl Registry {
    /// Every hedge name seen so far, in order of first call.
    pub fn hedges(&self) -> Vec<HedgeHandle> {
        keyed::all(self, KIND).into_iter().map(handle).collect()
    }

    /// The hedge entry called `name`, once a callsite with that name has run.
    pub fn hedge(&self, name: &str) -> Option<HedgeHandle> {
        keyed::find(self, KIND, name).map(handle)
    }
}

fn handle(f: Found<HedgeStats>) -> HedgeHandle {
    HedgeHandle {
        label: f.label,
        stats: f.instance,
    }
}
