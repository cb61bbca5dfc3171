//! The live figures of one retry name, shared by its callsites, and their view in the registry.

use super::{RetryBudget, RetryPolicy};
use crate::instruments::{CallCounters, NamedCounter};
use crate::keyed::{self, Found};
use crate::registry::{Entry, Registry};
use crate::snapshot::{RetrySnapshot, Snapshot};
use std::sync::Arc;
#[cfg(feature = "config")]
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicU64, Ordering};

/// The registry's kind for retries (`[retry.<name>]` in configuration).
pub(super) const KIND: &str = "retry";

/// Why a call ended with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GaveUp {
    /// Its last allowed attempt failed (`attempts` used up, or past `max_elapsed`).
    Exhausted,
    /// Its error is not to be retried (`when`, or a rejection that stops).
    Stopped,
    /// The retry budget refused the next retry.
    BudgetRefused,
}

/// Live figures of one retry name.
#[derive(Debug)]
pub(crate) struct RetryStats {
    name: &'static str,
    policy: RetryPolicy,
    retries: AtomicU64,
    exhausted: AtomicU64,
    stopped: AtomicU64,
    /// The retry budget this name's callsites share (it counts the calls, and the refusals).
    pub(crate) budget: RetryBudget,
    /// Whether configuration overrides the attributes' values: read by a call's first failure.
    #[cfg(feature = "config")]
    pub(super) configured: AtomicBool,
    #[cfg(feature = "config")]
    pub(super) settings: std::sync::Mutex<super::configure::Settings>,
    counters: CallCounters,
    retries_total: NamedCounter,
}

impl RetryStats {
    pub(super) fn new(name: &'static str, policy: RetryPolicy) -> Self {
        RetryStats {
            name,
            policy,
            retries: AtomicU64::new(0),
            exhausted: AtomicU64::new(0),
            stopped: AtomicU64::new(0),
            budget: RetryBudget::new(policy.budget),
            #[cfg(feature = "config")]
            configured: AtomicBool::new(false),
            #[cfg(feature = "config")]
            settings: std::sync::Mutex::default(),
            counters: CallCounters::new(name, KIND),
            retries_total: NamedCounter::retries(name),
        }
    }

    /// The first callsite's policy.
    #[cfg(feature = "config")]
    pub(crate) fn written_policy(&self) -> RetryPolicy {
        self.policy
    }

    /// The retry name (every callsite sharing these stats has it).
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }
    pub(crate) fn record_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        self.retries_total.increment();
    }
    /// A call ended with an `Ok` (after any number of attempts).
    #[inline]
    pub(crate) fn record_success(&self) {
        self.counters.passed(true);
    }
    /// A call ended with its last error, for `why`. (A budget refusal is counted by the budget.)
    pub(crate) fn record_gave_up(&self, why: GaveUp) {
        match why {
            GaveUp::Exhausted => self.exhausted.fetch_add(1, Ordering::Relaxed),
            GaveUp::Stopped => self.stopped.fetch_add(1, Ordering::Relaxed),
            GaveUp::BudgetRefused => 0,
        };
        self.counters.passed(false);
    }
}

impl Entry for RetryStats {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn snapshot(&self, label: &str, into: &mut Snapshot) {
        let (exhausted, stopped) = (self.exhausted(), self.stopped());
        let budget_refused = self.budget.exhausted();
        into.retries.push(RetrySnapshot {
            name: label.to_owned(),
            attempts: self.effective_attempts(),
            calls: self.budget.calls(),
            retries: self.retries.load(Ordering::Relaxed),
            gave_up: exhausted + stopped + budget_refused,
            exhausted,
            stopped,
            budget_refused,
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

impl RetryStats {
    /// `attempts` as a call starting now takes it (the first callsite's attribute, or as
    /// configured).
    fn effective_attempts(&self) -> u32 {
        #[cfg(feature = "config")]
        if let Some(o) = crate::registry::lock(&self.settings).current {
            return o.over(&self.policy).attempts;
        }
        self.policy.attempts
    }
    fn exhausted(&self) -> u64 {
        self.exhausted.load(Ordering::Relaxed)
    }
    fn stopped(&self) -> u64 {
        self.stopped.load(Ordering::Relaxed)
    }
}

/// A view of one retry name in the [`Registry`]. Every count is since the name's first call;
/// a call that ends with an error counts in [`gave_up`](Self::gave_up) and in exactly one of
/// [`exhausted`](Self::exhausted), [`stopped`](Self::stopped) and
/// [`budget_refused`](Self::budget_refused).
///
/// ```
/// # use resilience_runtime as resilience;
/// # let reg = resilience::registry();
/// if let Some(r) = reg.retry("pricing") {
///     println!("{}: {} retries, gave up {} times", r.name(), r.retries(), r.gave_up());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RetryHandle {
    label: Arc<str>,
    stats: Arc<RetryStats>,
}

impl RetryHandle {
    /// The retry name.
    pub fn name(&self) -> &str {
        &self.label
    }
    /// The policy of the first callsite that used this name.
    pub fn policy(&self) -> RetryPolicy {
        self.stats.policy
    }
    /// Calls made (each once, however many attempts it took; calls still running included).
    pub fn calls(&self) -> u64 {
        self.stats.budget.calls()
    }
    /// Retries made (attempts after the first).
    pub fn retries(&self) -> u64 {
        self.stats.retries.load(Ordering::Relaxed)
    }
    /// Calls that ended with an error:
    /// [`exhausted`](Self::exhausted) + [`stopped`](Self::stopped) +
    /// [`budget_refused`](Self::budget_refused).
    pub fn gave_up(&self) -> u64 {
        self.exhausted() + self.stopped() + self.budget_refused()
    }
    /// Calls whose last allowed attempt failed: `attempts` used up, or the next delay would
    /// have ended past `max_elapsed`.
    pub fn exhausted(&self) -> u64 {
        self.stats.exhausted()
    }
    /// Calls ended by an error not to be retried: `when` said no (or `Stop`), or a rejection
    /// that stops retrying (an open circuit).
    pub fn stopped(&self) -> u64 {
        self.stats.stopped()
    }
    /// Calls ended because the retry budget refused their next retry.
    pub fn budget_refused(&self) -> u64 {
        self.stats.budget.exhausted()
    }
}

/// Retries: one entry per name, created by its first call.
impl Registry {
    /// Every retry name seen so far, in order of first call.
    pub fn retries(&self) -> Vec<RetryHandle> {
        keyed::all(self, KIND).into_iter().map(handle).collect()
    }

    /// The retry entry called `name`, once a callsite with that name has run.
    pub fn retry(&self, name: &str) -> Option<RetryHandle> {
        keyed::find(self, KIND, name).map(handle)
    }
}

fn handle(f: Found<RetryStats>) -> RetryHandle {
    RetryHandle {
        label: f.label,
        stats: f.instance,
    }
}
