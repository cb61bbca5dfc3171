//! A rate limiter retuned at run time (feature `config`). governor's limiter has a fixed
//! quota, so a new rate or burst is a new limiter, swapped in at once: the next call takes its
//! permit there (it starts with its whole burst free). An unconfigured call pays one relaxed
//! load for this; a configured one finds the limiter under a short lock.

use super::{KIND, Limiter, RateLimitPolicy, RateLimiter, TokioClock};
use crate::config::{Change, Table, Value, change, configured_change};
use crate::registry::lock;
use governor::RateLimiter as Gcra;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// What configuration set for a limiter.
#[derive(Debug, Default)]
pub(super) struct Settings {
    /// The rate and burst configured, and the limiter that counts them.
    pub(super) limiter: Option<(RateLimitPolicy, Limiter)>,
    /// Switched off (`enabled = false`): every call passes.
    pub(super) disabled: bool,
    /// The configured values, `key = value`, for the snapshot.
    pub(super) configured: Vec<String>,
}

/// `configured_wait` when the attribute's `max_wait` stands.
pub(super) const ATTRIBUTE: u64 = u64::MAX;

impl RateLimiter {
    /// Takes a permit from the configured limiter (or passes, switched off).
    #[cold]
    #[inline(never)]
    pub(super) fn try_acquire_configured(&self) -> Result<(), Duration> {
        let settings = lock(&self.settings);
        match &settings.limiter {
            _ if settings.disabled => {
                self.admitted.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Some((_, limiter)) => self.take_from(limiter),
            None => self.take_from(&self.gcra),
        }
    }

    /// The rate and burst it admits by now.
    pub(super) fn effective_policy(&self) -> RateLimitPolicy {
        match &lock(&self.settings).limiter {
            Some((p, _)) => *p,
            None => self.policy,
        }
    }

    /// The configured `max_wait`, out of line.
    #[cold]
    #[inline(never)]
    pub(super) fn configured_wait(nanos: u64) -> Duration {
        Duration::from_nanos(nanos)
    }

    /// Takes `table` at once (`None`: the attribute's values again).
    pub(super) fn apply_config(&self, table: Option<&Table>) -> Vec<Change> {
        let get = |key| table.and_then(|t| t.get(key));
        let mut settings = lock(&self.settings);
        let old = settings.limiter.as_ref().map_or(self.policy, |(p, _)| *p);
        let mut new = self.policy;
        if let Some(Value::Rate(count, per)) = get("rate") {
            (new.count, new.per) = (*count, *per);
            // A burst of the rate's count (the attribute's default) follows the new count.
            if self.policy.burst == self.policy.count {
                new.burst = *count;
            }
        }
        if let Some(Value::Count(burst)) = get("burst") {
            new.burst = *burst;
        }
        let mut changes = Vec::new();
        let rate = |p: &RateLimitPolicy| Some(Value::Rate(p.count, p.per));
        let burst = |p: &RateLimitPolicy| Some(Value::Count(p.burst));
        changes.extend(change(KIND, self.name, "rate", rate(&old), rate(&new)));
        changes.extend(change(KIND, self.name, "burst", burst(&old), burst(&new)));
        if (new.count, new.per, new.burst) != (old.count, old.per, old.burst) {
            settings.limiter = (new != self.policy).then(|| {
                (
                    new,
                    Gcra::new(new.quota(), super::state::Tat::default(), TokioClock),
                )
            });
        }
        let disabled = crate::config::disabled(table);
        let was = std::mem::replace(&mut settings.disabled, disabled);
        if was != disabled {
            changes.push(Change::new(KIND, self.name, "enabled", !was, !disabled));
        }
        let wait = match get("max_wait") {
            Some(Value::Duration(d)) => u64::try_from(d.as_nanos()).unwrap_or(ATTRIBUTE - 1),
            _ => ATTRIBUTE,
        };
        let old_wait = self.configured_wait.swap(wait, Ordering::Relaxed);
        let shown = |n: u64| (n != ATTRIBUTE).then(|| Value::Duration(Duration::from_nanos(n)));
        changes.extend(configured_change(
            KIND,
            self.name,
            "max_wait",
            shown(old_wait),
            shown(wait),
        ));
        settings.configured = crate::config::shown_table(table);
        self.configured.store(
            settings.disabled || settings.limiter.is_some(),
            Ordering::Relaxed,
        );
        changes
    }
}
