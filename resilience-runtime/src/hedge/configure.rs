//! A hedge retuned at run time (feature `config`): the configured values a call takes when it
//! starts, over its attribute's. `max_hedged` cannot exceed the places the generated code
//! holds (the attribute's `max_hedged`): a larger one hedges as many times as those allow.

use super::stats::{HedgeStats, KIND};
use super::{Budget, HedgeDelay, HedgePolicy};
use crate::config::{Change, Table, Value, change};
use crate::registry::lock;
use std::sync::atomic::Ordering;

/// The values configured for a hedge name, over each call's attribute; kept for good once made
/// (a call holds a `&'static` to the ones it started with), one per distinct configuration.
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
    /// The values a call starting now takes, if any are configured.
    pub(crate) current: Option<&'static HedgeOverrides>,
    made: Vec<&'static HedgeOverrides>,
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
        let old = settings.current.copied().unwrap_or_default();
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
        let budget = match table.and_then(|t| t.get("budget")) {
            Some(Value::Budget(Some(s))) => Some(Budget::Ratio(*s)),
            Some(Value::Budget(None)) => Some(Budget::Unlimited),
            _ => None,
        };
        if budget != settings.budget {
            let show = |b: Budget| match b {
                Budget::Ratio(r) => Value::Budget(Some(r)).to_string(),
                _ => "none".to_owned(),
            };
            let (from, to) = (
                settings.budget.unwrap_or(written.budget),
                budget.unwrap_or(written.budget),
            );
            self.budget.retune(to);
            changes.push(Change::new(
                KIND,
                self.name(),
                "budget",
                show(from),
                show(to),
            ));
            settings.budget = budget;
        }
        settings.current = (new != HedgeOverrides::default()).then(|| {
            match settings.made.iter().find(|m| ***m == new) {
                Some(made) => *made,
                None => {
                    let made: &'static HedgeOverrides = Box::leak(Box::new(new));
                    settings.made.push(made);
                    made
                }
            }
        });
        settings.configured = crate::config::shown_table(table);
        self.configured
            .store(settings.current.is_some(), Ordering::Relaxed);
        changes
    }
}
