//! [`Registry::apply`]: a configuration checked against every instance, then applied to all
//! of them or to none; instances that register later get it on their first call.

use super::document::{Config, Table};
use super::error::ConfigError;
use super::value::Value;
use crate::registry::Registry;
use std::fmt;

/// One value changed by [`Registry::apply`]: name, key, old → new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The kind's table: `bulkhead`.
    pub kind: &'static str,
    /// The instance's name, or `name[key]` for a per-key instance.
    pub name: String,
    /// The key.
    pub key: &'static str,
    /// The value before, as written in attributes.
    pub old: String,
    /// The value now.
    pub new: String,
}

impl Change {
    pub(crate) fn new(
        kind: &'static str,
        name: &str,
        key: &'static str,
        old: impl fmt::Display,
        new: impl fmt::Display,
    ) -> Self {
        Change {
            kind,
            name: name.to_owned(),
            key,
            old: old.to_string(),
            new: new.to_string(),
        }
    }
}

/// The change of `key` from `old` to `new` (`None`: off), if they differ.
pub(crate) fn change(
    kind: &'static str,
    name: &str,
    key: &'static str,
    old: Option<Value>,
    new: Option<Value>,
) -> Option<Change> {
    let show = |v: Option<Value>| v.map_or_else(|| "off".to_owned(), |v| v.to_string());
    (old != new).then(|| Change::new(kind, name, key, show(old), show(new)))
}

/// The change of a configured `key` from `old` to `new` (`None`: the attribute's value, whatever
/// each call's is), if they differ.
pub(crate) fn configured_change(
    kind: &'static str,
    name: &str,
    key: &'static str,
    old: Option<Value>,
    new: Option<Value>,
) -> Option<Change> {
    let show = |v: Option<Value>| v.map_or_else(|| "attribute".to_owned(), |v| v.to_string());
    (old != new).then(|| Change::new(kind, name, key, show(old), show(new)))
}

/// A configured table as `key = value` lines, for the snapshot.
pub(crate) fn shown_table(table: Option<&Table>) -> Vec<String> {
    table
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect()
}

/// Whether `table` switches the layer off (`enabled = false`).
pub(crate) fn disabled(table: Option<&Table>) -> bool {
    matches!(
        table.and_then(|t| t.get("enabled")),
        Some(Value::Enabled(false))
    )
}

/// Refuses `max_keys` for an instance without `key = ..`.
pub(crate) fn no_max_keys(kind: &str, table: &Table) -> Result<(), Refused> {
    if table.contains_key("max_keys") {
        return Err(Refused::new(
            "max_keys",
            format!(
                "`max_keys` applies to a `#[{kind}(key = ..)]` callsite only, and this one has no `key`"
            ),
        ));
    }
    Ok(())
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}.{}] {}: {} → {}",
            self.kind, self.name, self.key, self.old, self.new
        )
    }
}

/// What [`Registry::apply`] changed, in the order of the registry's entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Each change.
    pub changes: Vec<Change>,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            writeln!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Why an instance refuses a configured value: the key and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub(crate) key: String,
    pub(crate) problem: String,
}

impl Refused {
    pub(crate) fn new(key: &str, problem: impl Into<String>) -> Self {
        Refused {
            key: key.to_owned(),
            problem: problem.into(),
        }
    }
}

impl Registry {
    /// Applies `config` to every instance it names, all or nothing: a value an instance
    /// refuses (its attribute's rules between keys, such as `min_calls` above a count window)
    /// rejects the whole configuration and nothing changes. A later configuration replaces
    /// the earlier one: a key it no longer sets goes back to the attribute's value. A name with
    /// no callsite yet is kept, and applied when its first callsite registers.
    ///
    /// ```
    /// use resilience_runtime::{registry, config::Config};
    /// let config = Config::from_toml_str("[bulkhead.docs_apply]\nmax_concurrent = 4").unwrap();
    /// let applied = registry().apply(&config).unwrap();
    /// // No callsite named `docs_apply` has run yet: nothing changed now, it waits for one.
    /// assert!(applied.changes.is_empty());
    /// ```
    pub fn apply(&self, config: &Config) -> Result<Applied, ConfigError> {
        self.reconfigure(|entries, current| {
            for e in entries {
                let Some(table) = config.table_of(e.kind(), e.name()) else {
                    continue;
                };
                e.check(table)
                    .map_err(|r| refused(e.kind(), e.name(), table, r))?;
            }
            let mut applied = Applied::default();
            for e in entries {
                let (now, before) = (
                    config.table_of(e.kind(), e.name()),
                    current.table_of(e.kind(), e.name()),
                );
                if now.is_none() && before.is_none() {
                    continue;
                }
                for change in e.apply(now) {
                    crate::telemetry::config_changed(&change);
                    applied.changes.push(change);
                }
            }
            *current = config.clone();
            Ok(applied)
        })
    }
}

fn refused(kind: &str, name: &str, table: &Table, r: Refused) -> ConfigError {
    let value = table.get(&r.key).map(Value::to_string);
    ConfigError::invalid(kind, Some(name), Some(&r.key), value, r.problem)
}
