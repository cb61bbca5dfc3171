//! Every policy instance a callsite created, for operators to inspect and override.
//!
//! A callsite registers on its first call; the hot path keeps a `&'static` to its entry and
//! never looks anything up by name.

use crate::bulkhead::{Bulkhead, BulkheadHandle};
use crate::instruments::{CallCounters, NamedCounter};
use crate::rate_limit::{RateLimitPolicy, RateLimiter, RateLimiterHandle};
use crate::retry::RetryPolicy;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

/// The process-wide registry of resilience policies.
///
/// ```
/// let reg = resilience_runtime::registry();
/// for r in reg.retries() {
///     println!("{} retried {} times", r.name(), r.retries());
/// }
/// ```
#[derive(Debug, Default)]
pub struct Registry {
    retries: Mutex<Vec<Arc<RetryStats>>>,
    pub(crate) circuit_breakers: Mutex<Vec<Arc<crate::circuit_breaker::CircuitBreaker>>>,
    bulkheads: Mutex<Vec<Arc<Bulkhead>>>,
    rate_limiters: Mutex<Vec<Arc<RateLimiter>>>,
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::default);

/// The process-wide [`Registry`].
///
/// ```
/// assert!(std::ptr::eq(resilience_runtime::registry(), resilience_runtime::registry()));
/// ```
pub fn registry() -> &'static Registry {
    &GLOBAL
}

impl Registry {
    /// Every retry name seen so far, in order of first call.
    pub fn retries(&self) -> Vec<RetryHandle> {
        lock(&self.retries)
            .iter()
            .map(|s| RetryHandle(Arc::clone(s)))
            .collect()
    }

    /// The retry entry called `name`, once a callsite with that name has run.
    pub fn retry_named(&self, name: &str) -> Option<RetryHandle> {
        lock(&self.retries)
            .iter()
            .find(|s| s.name == name)
            .map(|s| RetryHandle(Arc::clone(s)))
    }

    /// The entry for `name`, created with `policy` if this is the first callsite of that name.
    /// `shared` is false for a callsite with a default name: it always gets its own entry.
    pub(crate) fn retry(
        &self,
        name: &'static str,
        shared: bool,
        policy: RetryPolicy,
    ) -> Arc<RetryStats> {
        let mut all = lock(&self.retries);
        if let Some(existing) = all.iter().find(|s| shared && s.name == name) {
            return Arc::clone(existing);
        }
        let stats = Arc::new(RetryStats {
            name,
            policy,
            retries: AtomicU64::new(0),
            gave_up: AtomicU64::new(0),
            budget: crate::retry::RetryBudget::new(policy.budget),
            counters: CallCounters::new(name, "retry"),
            retries_total: NamedCounter::retries(name),
        });
        all.push(Arc::clone(&stats));
        stats
    }
}

/// Bulkheads and rate limiters: one entry per name, created by its first callsite.
impl Registry {
    /// Every bulkhead seen so far, in order of first call.
    pub fn bulkheads(&self) -> Vec<BulkheadHandle> {
        lock(&self.bulkheads)
            .iter()
            .map(|b| BulkheadHandle(Arc::clone(b)))
            .collect()
    }

    /// The bulkhead called `name`, once a callsite with that name has run.
    pub fn bulkhead_named(&self, name: &str) -> Option<BulkheadHandle> {
        lock(&self.bulkheads)
            .iter()
            .find(|b| b.name() == name)
            .map(|b| BulkheadHandle(Arc::clone(b)))
    }

    pub(crate) fn bulkhead(
        &self,
        name: &'static str,
        shared: bool,
        max_concurrent: usize,
    ) -> Arc<Bulkhead> {
        let mut all = lock(&self.bulkheads);
        if let Some(existing) = all.iter().find(|b| shared && b.name() == name) {
            if existing.max_concurrent() != max_concurrent.max(1) {
                crate::telemetry::shared_config_conflict("bulkhead", name);
            }
            return Arc::clone(existing);
        }
        let b = Arc::new(Bulkhead::new(name, max_concurrent));
        all.push(Arc::clone(&b));
        b
    }

    /// Every rate limiter seen so far, in order of first call.
    pub fn rate_limiters(&self) -> Vec<RateLimiterHandle> {
        lock(&self.rate_limiters)
            .iter()
            .map(|l| RateLimiterHandle(Arc::clone(l)))
            .collect()
    }

    /// The rate limiter called `name`, once a callsite with that name has run.
    pub fn rate_limiter_named(&self, name: &str) -> Option<RateLimiterHandle> {
        lock(&self.rate_limiters)
            .iter()
            .find(|l| l.name() == name)
            .map(|l| RateLimiterHandle(Arc::clone(l)))
    }

    pub(crate) fn rate_limiter(
        &self,
        name: &'static str,
        shared: bool,
        policy: RateLimitPolicy,
    ) -> Arc<RateLimiter> {
        let mut all = lock(&self.rate_limiters);
        if let Some(existing) = all.iter().find(|l| shared && l.name() == name) {
            let kept = existing.policy();
            if (kept.count, kept.per, kept.burst) != (policy.count, policy.per, policy.burst) {
                crate::telemetry::shared_config_conflict("rate limit", name);
            }
            return Arc::clone(existing);
        }
        let l = Arc::new(RateLimiter::new(name, policy));
        all.push(Arc::clone(&l));
        l
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Live figures of one retry name.
#[derive(Debug)]
pub(crate) struct RetryStats {
    name: &'static str,
    policy: RetryPolicy,
    retries: AtomicU64,
    gave_up: AtomicU64,
    /// The retry budget this name's callsites share.
    pub(crate) budget: crate::retry::RetryBudget,
    counters: CallCounters,
    retries_total: NamedCounter,
}

impl RetryStats {
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
    pub(crate) fn record_gave_up(&self) {
        self.gave_up.fetch_add(1, Ordering::Relaxed);
        self.counters.passed(false);
    }
}

/// A view of one retry name in the [`Registry`].
///
/// ```
/// # let reg = resilience_runtime::registry();
/// if let Some(r) = reg.retry_named("pricing") {
///     println!("{}: {} retries, gave up {} times", r.name(), r.retries(), r.gave_up());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RetryHandle(Arc<RetryStats>);

impl RetryHandle {
    /// The retry name.
    pub fn name(&self) -> &'static str {
        self.0.name
    }
    /// The policy of the first callsite that used this name.
    pub fn policy(&self) -> RetryPolicy {
        self.0.policy
    }
    /// Retries made (attempts after the first).
    pub fn retries(&self) -> u64 {
        self.0.retries.load(Ordering::Relaxed)
    }
    /// Calls that failed after a last attempt or a `Stop`.
    pub fn gave_up(&self) -> u64 {
        self.0.gave_up.load(Ordering::Relaxed)
    }
    /// Retries the retry budget refused (each also counts in [`gave_up`](Self::gave_up)).
    pub fn budget_exhausted(&self) -> u64 {
        self.0.budget.exhausted()
    }
}
