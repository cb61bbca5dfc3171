//! A hedge retuned at run time (feature `config`): a call takes the configured values when its
//! first run has to wait, over its attribute's, and keeps them. A call answered at its first
//! poll never looks (the hot path pays nothing). `max_hedged` cannot exceed the places the generated code
//! holds (the attribute's `max_hedged`): a larger one hedges as many times as those allow.

use super::stats::{HedgeStats, KIND};
use super::{Budget, HedgeDelay, HedgePolicy};
use crate::config::{Change, Table, Value, change};
use crate::registry::lock;
use std::sync::atomic::Ordering;

/// The values configured for a hedge name, over each call's attribute.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct HedgeOverrides {
    delay: Option<HedgeDelay>,
    max_hedged: Option<u32>,
}

impl HedgeOverrides {
    /// `written` with these values over it.
    pub(crate) fn over(&self, written: &HedgePolicy) -> HedgePolicy {
        HedgePolicy {
            delay: self.delay.unwrap_or(written.delay),
            max_hedged: self.max_hedged.unwrap_or(written.max_hedged),
            budget: written.budget,
        }
    }
}

/// What configuration set for a hedge name.
#[derive(Debug, Default)]
pub(crate) struct Settings {
    /// The values a call waiting now takes, if any are configured.
    pub(crate) current: Option<HedgeOverrides>,
    /// The policies configured calls have taken, each kept for good so a call can hold it: one
    /// per distinct pair of attribute and configuration, at most `config::kept::MERGED` (1024).
    merged: crate::config::Kept<HedgePolicy>,
    /// The configured table, `key = value`, for the snapshot.
    pub(crate) configured: Vec<String>,
    budget: Option<Budget>,
}

fn value_of(p: &HedgePolicy, key: &str) -> Option<Value> {
    Some(match key {
        "delay" => match p.delay {
            HedgeDelay::Fixed(d) => Value::Duration(d),
            HedgeDelay::Percentile(q) => Value::Percentile(q),
        },
        "max_hedged" => Value::Count(p.max_hedged),
        _ => return None,
    })
}

impl HedgeStats {
    /// The policy a call with `written` takes when its first run waits, if configuration sets
    /// any of its values: kept for good, so the call can hold it as its own.
    #[cold]
    pub(crate) fn configured_policy(&self, written: &HedgePolicy) -> Option<&'static HedgePolicy> {
        if !self.configured.load(Ordering::Relaxed) {
            return None;
        }
        let mut settings = lock(&self.settings);
        let policy = settings.current?.over(written);
        settings.merged.keep(policy, KIND, self.name())
    }

    /// Takes `table` for the calls that start from now (`None`: the attributes' values again).
    pub(crate) fn apply_config(&self, table: Option<&Table>) -> Vec<Change> {
        let mut settings = lock(&self.settings);
        let written = self.written_policy();
        let mut new = HedgeOverrides::default();
        for (key, value) in table.into_iter().flatten() {
            match (key.as_str(), value) {
                ("delay", Value::Duration(d)) => new.delay = Some(HedgeDelay::Fixed(*d)),
                ("delay", Value::Percentile(q)) => new.delay = Some(HedgeDelay::Percentile(*q)),
                ("max_hedged", Value::Count(n)) => new.max_hedged = Some(*n),
                // `enabled = false`: no hedge, the first run alone.
                ("enabled", Value::Enabled(false)) => new.max_hedged = Some(0),
                _ => {}
            }
        }
        let old = settings.current.unwrap_or_default();
        let (before, after) = (old.over(&written), new.over(&written));
        let mut changes: Vec<Change> = ["delay", "max_hedged"]
            .into_iter()
            .filter_map(|k| {
                change(
                    KIND,
                    self.name(),
                    k,
                    value_of(&before, k),
                    value_of(&after, k),
                )
            })
            .collect();
        changes.extend(self.budget.apply_config(
            (KIND, self.name()),
            table,
            &mut settings.budget,
            written.budget,
        ));
        settings.current = (new != HedgeOverrides::default()).then_some(new);
        settings.configured = crate::config::shown_table(table);
        self.configured
            .store(settings.current.is_some(), Ordering::Relaxed);
        changes
    }
}
