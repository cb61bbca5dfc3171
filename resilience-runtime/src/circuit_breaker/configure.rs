//! A breaker retuned at run time (feature `config`): the configured table over the attribute's
//! values makes the policy it decides with from the next call or decision; its state and
//! counts stay (a new window starts empty).

use super::{BreakerPolicy, CircuitBreaker, CircuitState, KIND, OpenFor, Window};
use crate::config::{Change, Kind, Refused, Table, Value, WindowValue, change, check_together};
use resilience_grammar::backoff::OpenFor as WrittenOpenFor;

/// What configuration set apart from the policy: for the snapshot and `enabled`.
#[derive(Debug, Default)]
pub(super) struct Settings {
    /// The configured values, `key = value`.
    pub(super) configured: Vec<String>,
    /// Whether configuration switched the breaker off (`enabled = false`).
    pub(super) disabled: bool,
}

/// The value of `key` in `p`, as configuration writes it (`None`: off or not a value).
fn value_of(p: &BreakerPolicy, key: &str) -> Option<Value> {
    Some(match key {
        "failure_rate" => Value::Share(p.failure_rate),
        "slow_call" => Value::Duration(p.slow_call?),
        "slow_rate" => {
            p.slow_call?;
            Value::Share(p.slow_rate)
        }
        "window" => Value::Window(match p.window {
            Window::Calls(n) => WindowValue::Calls(n),
            Window::Time(d) => WindowValue::Time(d),
        }),
        "min_calls" => Value::Count(p.min_calls),
        "consecutive_failures" => Value::Count(p.consecutive_failures?),
        "open_for" => Value::OpenFor(match p.open_for {
            OpenFor::Fixed(d) => WrittenOpenFor::Fixed(d),
            OpenFor::Exponential { base, max } => WrittenOpenFor::Exponential { base, max },
        }),
        "half_open_calls" => Value::Count(p.half_open_calls),
        _ => return None,
    })
}

/// The keys of a breaker's policy, in the order of SPEC §4.
const KEYS: [&str; 8] = [
    "failure_rate",
    "slow_call",
    "slow_rate",
    "window",
    "min_calls",
    "consecutive_failures",
    "open_for",
    "half_open_calls",
];

/// `written` with the values of `table` over it.
pub(super) fn configured(written: BreakerPolicy, table: Option<&Table>) -> BreakerPolicy {
    let mut p = written;
    for (key, value) in table.into_iter().flatten() {
        match (key.as_str(), value) {
            ("failure_rate", Value::Share(s)) => p.failure_rate = *s,
            ("slow_call", Value::Duration(d)) => p.slow_call = Some(*d),
            ("slow_rate", Value::Share(s)) => p.slow_rate = *s,
            ("window", Value::Window(WindowValue::Calls(n))) => p.window = Window::Calls(*n),
            ("window", Value::Window(WindowValue::Time(d))) => p.window = Window::Time(*d),
            ("min_calls", Value::Count(n)) => p.min_calls = *n,
            ("consecutive_failures", Value::Count(n)) => p.consecutive_failures = Some(*n),
            ("open_for", Value::OpenFor(WrittenOpenFor::Fixed(d))) => {
                p.open_for = OpenFor::Fixed(*d)
            }
            ("open_for", Value::OpenFor(WrittenOpenFor::Exponential { base, max })) => {
                p.open_for = OpenFor::exponential(*base, *max)
            }
            ("half_open_calls", Value::Count(n)) => p.half_open_calls = *n,
            _ => {}
        }
    }
    p
}

/// The rules between keys, over the attribute's values (`min_calls` within a count window,
/// `slow_rate` with a `slow_call`).
pub(super) fn check(written: &BreakerPolicy, table: &Table) -> Result<(), Refused> {
    let attribute = |key: &str| match key {
        // The default `min_calls` is clamped to a smaller count window, as in the attribute (a
        // written 20 reads the same: it is let through too).
        "min_calls" if written.min_calls == BreakerPolicy::DEFAULT.min_calls => None,
        _ => value_of(written, key),
    };
    check_together(Kind::CircuitBreaker, |k| {
        table.get(k).cloned().or_else(|| attribute(k))
    })
    .map_err(|(key, problem)| Refused::new(key, problem))
}

impl CircuitBreaker {
    /// Retunes the breaker to `table` over its attribute's values (`None`: back to them).
    pub(super) fn apply_config(&self, table: Option<&Table>) -> Vec<Change> {
        let label = self.label();
        let old = self.machine.policy();
        let new = configured(*self.machine.written_policy(), table);
        let mut changes: Vec<Change> = KEYS
            .iter()
            .filter_map(|key| change(KIND, &label, key, value_of(&old, key), value_of(&new, key)))
            .collect();
        self.machine.retune(new, self.now(), self.transition());
        let disabled = crate::config::disabled(table);
        let mut settings = crate::registry::lock(&self.settings);
        settings.configured = crate::config::shown_table(table);
        let was = std::mem::replace(&mut settings.disabled, disabled);
        if was != disabled {
            changes.push(Change::new(KIND, &label, "enabled", !was, !disabled));
            if disabled {
                self.handle_disable();
            } else if self.state() == CircuitState::Disabled {
                self.handle_reset();
            }
        }
        changes
    }
}
