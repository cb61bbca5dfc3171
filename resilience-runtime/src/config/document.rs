//! [`Config`]: values by kind, name and key, read from TOML, any serde source, or the
//! environment, and merged (the later wins).

use super::error::ConfigError;
use super::value::{Kind, Raw, Value, WindowValue, parse_value};
use resilience_grammar::rules;
use serde::de::{self, Deserializer, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The values configured for one instance: key → value.
pub type Table = BTreeMap<String, Value>;

/// Overrides by name: `[circuit_breaker.payments] failure_rate = "40%"`. Checked when read,
/// with the attributes' rules; applied with [`Registry::apply`](crate::Registry::apply).
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::config::{Config, Kind, Value};
/// let config = Config::from_toml_str(r#"
///     [circuit_breaker.payments]
///     failure_rate = "40%"
///     [bulkhead.inventory]
///     max_concurrent = 4
/// "#).unwrap();
/// assert_eq!(config.get(Kind::Bulkhead, "inventory", "max_concurrent"), Some(&Value::Count(4)));
/// ```
///
/// It is `serde::Deserialize`, so it can sit in an application's own configuration:
///
/// ```
/// # use resilience_runtime as resilience;
/// #[derive(serde::Deserialize)]
/// struct AppConfig {
///     port: u16,
///     resilience: resilience::config::Config,
/// }
/// let app: AppConfig = toml::from_str(r#"
///     port = 8080
///     [resilience.retry.pricing]
///     attempts = 5
/// "#).unwrap();
/// assert!(!app.resilience.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct Config {
    tables: BTreeMap<(Kind, String), Table>,
}

/// A configuration as written: table → name → key → value.
type RawConfig = BTreeMap<String, BTreeMap<String, BTreeMap<String, Raw>>>;

impl TryFrom<RawConfig> for Config {
    type Error = ConfigError;

    fn try_from(raw: RawConfig) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        for (table, names) in raw {
            let kind = Kind::from_table(&table)
                .map_err(|p| ConfigError::invalid(&table, None, None, None, p))?;
            for (name, keys) in names {
                for (key, value) in keys {
                    config.set(kind, &name, &key, &value)?;
                }
            }
        }
        config.check()?;
        Ok(config)
    }
}

impl Config {
    /// An empty configuration: every attribute's values stand.
    pub fn new() -> Self {
        Config::default()
    }

    /// Reads a TOML document of tables `[<kind>.<name>]`.
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// let err = resilience::config::Config::from_toml_str("[retry.pricing]\natempts = 5")
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("did you mean `attempts`?"));
    /// // The name level left out:
    /// let err = resilience::config::Config::from_toml_str("[retry]\nattempts = 5")
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("such as `[retry.pricing]`"), "{err}");
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let mut problem = e.message().to_owned();
            if problem.contains("expected a map") {
                // `[retry]` with its keys right under it: the name level is missing.
                problem.push_str(
                    "; values go in a table per kind and name, such as `[retry.pricing]` then `attempts = 5`",
                );
            }
            ConfigError::Unreadable {
                source: "TOML".into(),
                problem,
            }
        })?;
        Config::try_from(raw)
    }

    /// Reads a TOML file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            source: path.display().to_string(),
            problem: e.to_string(),
        })?;
        Config::from_toml_str(&text).map_err(|e| match e {
            ConfigError::Unreadable { problem, .. } => ConfigError::Unreadable {
                source: path.display().to_string(),
                problem,
            },
            e => e,
        })
    }

    /// Reads the process's environment variables `<PREFIX>__<KIND>__<NAME>__<KEY>=<value>`,
    /// such as `RESILIENCE__CIRCUIT_BREAKER__PAYMENTS__FAILURE_RATE=40%`. Kind, name and key
    /// are read in lower case (so a name from the environment is a lower-case name).
    pub fn from_env(prefix: &str) -> Result<Config, ConfigError> {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        Config::from_vars(prefix, vars)
    }

    /// [`from_env`](Config::from_env) over the given variables (a test's own, say).
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// use resilience::config::{Config, Kind, Value};
    /// let config = Config::from_vars(
    ///     "RESILIENCE",
    ///     [("RESILIENCE__CIRCUIT_BREAKER__PAYMENTS__FAILURE_RATE", "40%")],
    /// )
    /// .unwrap();
    /// assert_eq!(
    ///     config.get(Kind::CircuitBreaker, "payments", "failure_rate"),
    ///     Some(&Value::Share(0.4))
    /// );
    /// ```
    pub fn from_vars<K: AsRef<str>, V: AsRef<str>>(
        prefix: &str,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Config, ConfigError> {
        let start = format!("{prefix}__");
        let mut config = Config::default();
        for (var, value) in vars {
            let (var, value) = (var.as_ref(), value.as_ref());
            let Some(rest) = var.strip_prefix(&start) else {
                continue;
            };
            let parts: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
            let [table, name, key] = parts.as_slice() else {
                return Err(ConfigError::Unreadable {
                    source: var.to_owned(),
                    problem: format!(
                        "expected `{prefix}__<KIND>__<NAME>__<KEY>`, such as `{prefix}__CIRCUIT_BREAKER__PAYMENTS__FAILURE_RATE`"
                    ),
                });
            };
            let kind = Kind::from_table(table)
                .map_err(|p| ConfigError::invalid(table, None, None, None, p))?;
            config.set(kind, name, key, &Raw::Text(value.to_owned()))?;
        }
        config.check()?;
        Ok(config)
    }

    /// This configuration with `later`'s values over it, key by key.
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// use resilience::config::{Config, Kind, Value};
    /// let file = Config::from_toml_str("[retry.pricing]\nattempts = 3\nbudget = \"20%\"").unwrap();
    /// let env = Config::from_vars("R", [("R__RETRY__PRICING__ATTEMPTS", "5")]).unwrap();
    /// let both = file.merge(env);
    /// assert_eq!(both.get(Kind::Retry, "pricing", "attempts"), Some(&Value::Count(5)));
    /// assert_eq!(both.get(Kind::Retry, "pricing", "budget"), Some(&Value::Budget(Some(0.2))));
    /// ```
    pub fn merge(mut self, later: Config) -> Config {
        for (at, table) in later.tables {
            self.tables.entry(at).or_default().extend(table);
        }
        self
    }

    /// The value configured for `key` of the instance `name` of `kind`.
    pub fn get(&self, kind: Kind, name: &str, key: &str) -> Option<&Value> {
        self.tables.get(&(kind, name.to_owned()))?.get(key)
    }

    /// The values configured for the instance of the kind written `table` called `name`.
    pub(crate) fn table_of(&self, table: &str, name: &str) -> Option<&Table> {
        let kind = Kind::from_table(table).ok()?;
        self.tables.get(&(kind, name.to_owned()))
    }

    /// The instances configured, with their values.
    pub fn tables(&self) -> impl Iterator<Item = (Kind, &str, &Table)> {
        self.tables.iter().map(|((k, n), t)| (*k, n.as_str(), t))
    }

    /// Whether nothing is configured.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    fn set(&mut self, kind: Kind, name: &str, key: &str, raw: &Raw) -> Result<(), ConfigError> {
        let table = kind.table();
        if name.trim().is_empty() {
            return Err(ConfigError::invalid(
                table,
                Some(name),
                None,
                None,
                "the name is empty; give a label such as `[circuit_breaker.payments]`",
            ));
        }
        let value = parse_value(kind, key, raw).map_err(|p| {
            ConfigError::invalid(table, Some(name), Some(key), Some(raw.to_string()), p)
        })?;
        self.tables
            .entry((kind, name.to_owned()))
            .or_default()
            .insert(key.to_owned(), value);
        Ok(())
    }

    /// The rules between keys that a configuration can break on its own.
    fn check(&self) -> Result<(), ConfigError> {
        for ((kind, name), t) in &self.tables {
            if let (Some(Value::Count(m)), Some(Value::Window(WindowValue::Calls(n)))) =
                (t.get("min_calls"), t.get("window"))
            {
                rules::min_calls_in_window(u64::from(*m), u64::from(*n)).map_err(|p| {
                    ConfigError::invalid(
                        kind.table(),
                        Some(name),
                        Some("min_calls"),
                        Some(m.to_string()),
                        p,
                    )
                })?;
            }
        }
        Ok(())
    }
}

impl<'de> serde::Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        struct RawVisitor;
        impl Visitor<'_> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value as in the attribute: a string such as \"800ms\", a number or a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
                Ok(i64::try_from(v).map_or(Raw::Text(v.to_string()), Raw::Integer))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Text(v.to_owned()))
            }
        }
        d.deserialize_any(RawVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = r#"
        [circuit_breaker.payments]
        failure_rate = "40%"
        open_for = "exponential(10s, max = 5m)"
        [retry.pricing]
        attempts = 5
        backoff = "exponential(50ms, max = 2s)"
        [timeout.pricing]
        duration = "500ms"
        [bulkhead.inventory]
        max_concurrent = 4
        [rate_limit.replay]
        rate = "20/1s"
        burst = 5
        [chaos.pricing]
        error_rate = "10%"
        enabled = false
    "#;

    #[test]
    fn the_spec_example_reads() {
        let c = Config::from_toml_str(SPEC_EXAMPLE).unwrap();
        assert_eq!(c.tables().count(), 6);
        assert_eq!(
            c.get(Kind::RateLimit, "replay", "rate")
                .unwrap()
                .to_string(),
            "20/1s"
        );
        assert_eq!(
            c.get(Kind::Chaos, "pricing", "enabled"),
            Some(&Value::Enabled(false))
        );
    }

    #[test]
    fn errors_name_table_name_key_and_value() {
        let err = |s: &str| Config::from_toml_str(s).unwrap_err();
        assert_eq!(
            err("[circuit_braker.payments]\nfailure_rate = \"40%\""),
            ConfigError::invalid(
                "circuit_braker",
                None,
                None,
                None,
                "unknown table `[circuit_braker]`; did you mean `circuit_breaker`?"
            )
        );
        assert_eq!(
            err("[retry.pricing]\nattempts = 0").to_string(),
            "[retry.pricing] attempts = 0: `attempts` counts the first call too, so it must be at least 1 (1 means no retry)"
        );
        assert!(
            err("[circuit_breaker.p]\nwindow = 10\nmin_calls = 20")
                .to_string()
                .contains(
                    "[circuit_breaker.p] min_calls = 20: `min_calls = 20` can never be reached"
                )
        );
        assert!(matches!(err("[retry"), ConfigError::Unreadable { .. }));
        assert!(
            err("[retry.p]\nattempts = [1]")
                .to_string()
                .contains("a string such as")
        );
        assert!(
            err("[bulkhead.p]\nmax_concurrent = \"four\"")
                .to_string()
                .contains("expected a whole number")
        );
    }

    #[test]
    fn env_names_kind_name_and_key_in_capitals() {
        let c = Config::from_vars(
            "RESILIENCE",
            [
                ("RESILIENCE__CIRCUIT_BREAKER__PAYMENTS__FAILURE_RATE", "40%"),
                ("RESILIENCE__BULKHEAD__INVENTORY__ENABLED", "false"),
                ("OTHER", "x"),
            ],
        )
        .unwrap();
        assert_eq!(
            c.get(Kind::CircuitBreaker, "payments", "failure_rate"),
            Some(&Value::Share(0.4))
        );
        assert_eq!(
            c.get(Kind::Bulkhead, "inventory", "enabled"),
            Some(&Value::Enabled(false))
        );
        let bad = Config::from_vars("R", [("R__RETRY__PRICING__ATTEMPTS", "0")]).unwrap_err();
        assert!(
            bad.to_string()
                .starts_with("[retry.pricing] attempts = \"0\": ")
        );
        let short = Config::from_vars("R", [("R__RETRY__ATTEMPTS", "3")]).unwrap_err();
        assert!(short.to_string().contains("R__<KIND>__<NAME>__<KEY>"));
    }

    #[test]
    fn files_read_and_report_their_path() {
        let dir = std::env::temp_dir().join(format!("resilience-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ok.toml");
        std::fs::write(&path, SPEC_EXAMPLE).unwrap();
        assert_eq!(
            Config::from_file(&path).unwrap(),
            Config::from_toml_str(SPEC_EXAMPLE).unwrap()
        );
        let missing = Config::from_file(dir.join("missing.toml")).unwrap_err();
        assert!(missing.to_string().contains("missing.toml"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
