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
    shown_change(kind, name, key, [old, new], "off")
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
    shown_change(kind, name, key, [old, new], "attribute")
}

/// The change of `key` from `old` to `new`, `None` shown as `unset`, if they differ.
fn shown_change(
    kind: &'static str,
    name: &str,
    key: &'static str,
    [old, new]: [Option<Value>; 2],
    unset: &str,
) -> Option<Change> {
    let show = |v: Option<Value>| v.map_or_else(|| unset.to_owned(), |v| v.to_string());
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
            "{}] {}: {} → {}",
            TableHeader(self.kind, &self.name),
            self.key,
            self.old,
            self.new
        )
    }
}

/// `[kind.name` as TOML spells it: a name that is not a bare key (a method's label
/// `app::Client::get`, a per-key `name[key]`) in quotes, so the line can be pasted back.
struct TableHeader<'a>(&'a str, &'a str);

impl fmt::Display for TableHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let TableHeader(kind, name) = *self;
        let is_bare = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        // A per-key instance, `name[key]`, reads as the registry writes it: its table is
        // its name's.
        let base = name.split_once('[').map_or(name, |(base, _)| base);
        if is_bare(base) {
            write!(f, "[{kind}.{name}")
        } else {
            write!(f, "[{kind}.{name:?}")
        }
    }
}

/// What [`Registry::apply`] changed, in the order of the registry's entries, and the names
/// that no callsite has yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Each change.
    pub changes: Vec<Change>,
    /// Each configured `(kind, name)` that no callsite has registered yet: kept, and applied
    /// at that name's first call. A typo in a name shows here (and as a `tracing` event),
    /// since it never matches a callsite.
    pub waiting: Vec<(&'static str, String)>,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            writeln!(f, "{c}")?;
        }
        for (kind, name) in &self.waiting {
            writeln!(
                f,
                "{}] waits for its first callsite (none of this name has registered yet)",
                TableHeader(kind, name)
            )?;
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
    /// # use resilience_runtime as resilience;
    /// use resilience::{registry, config::Config};
    /// let config = Config::from_toml_str("[bulkhead.docs_apply]\nmax_concurrent = 4").unwrap();
    /// let applied = registry().apply(&config).unwrap();
    /// // No callsite named `docs_apply` has run yet: nothing changed now, it waits for one.
    /// assert!(applied.changes.is_empty());
    /// assert_eq!(applied.waiting, [("bulkhead", "docs_apply".to_owned())]);
    /// assert_eq!(
    ///     applied.to_string(),
    ///     "[bulkhead.docs_apply] waits for its first callsite (none of this name has registered yet)\n"
    /// );
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
            for (kind, name, _) in config.tables() {
                let kind = kind.table();
                if !entries.iter().any(|e| e.kind() == kind && e.name() == name) {
                    crate::telemetry::config_waiting(kind, name);
                    applied.waiting.push((kind, name.to_owned()));
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

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn a_change_reads_as_toml_a_name_that_is_not_a_bare_key_quoted() {
        let plain = Change::new("retry", "pricing", "attempts", 3, 5);
        assert_eq!(plain.to_string(), "[retry.pricing] attempts: 3 → 5");
        let method = Change::new("retry", "app::Client::get", "attempts", 3, 5);
        assert_eq!(
            method.to_string(),
            r#"[retry."app::Client::get"] attempts: 3 → 5"#
        );
        let keyed = Change::new("bulkhead", "upstream[eu]", "max_concurrent", 4, 2);
        assert_eq!(
            keyed.to_string(),
            "[bulkhead.upstream[eu]] max_concurrent: 4 → 2"
        );
    }
}
