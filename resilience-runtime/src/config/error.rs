//! What is wrong with a configuration, and where.

use std::fmt;

/// A configuration that cannot be used: where (table, name, key, value) and why, in the
/// attributes' words. Nothing of it was applied.
///
/// ```
/// # use resilience_runtime as resilience;
/// let err = resilience::config::Config::from_toml_str(
///     "[circuit_breaker.payments]\nfailure_rate = \"150%\"",
/// )
/// .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "[circuit_breaker.payments] failure_rate = \"150%\": \
///      `failure_rate` must be between 0% and 100% (0.0 and 1.0); got 150%"
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A table, name, key or value that is not allowed.
    Invalid {
        /// The kind's table: `circuit_breaker`.
        table: String,
        /// The instance's name, when the mistake is inside one.
        name: Option<String>,
        /// The key, when the mistake is in one.
        key: Option<String>,
        /// The value as written, when the mistake is in one.
        value: Option<String>,
        /// Why, and what to write instead.
        problem: String,
    },
    /// The text is not TOML, or the file or variable cannot be read.
    Unreadable {
        /// The file, `TOML`, or the environment variable.
        source: String,
        /// Why.
        problem: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(
        table: &str,
        name: Option<&str>,
        key: Option<&str>,
        value: Option<String>,
        problem: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid {
            table: table.to_owned(),
            name: name.map(str::to_owned),
            key: key.map(str::to_owned),
            value,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid {
                table,
                name,
                key,
                value,
                problem,
            } => {
                match name {
                    Some(name) => write!(f, "[{table}.{name}]")?,
                    None => write!(f, "[{table}]")?,
                }
                if let Some(key) = key {
                    write!(f, " {key}")?;
                    if let Some(value) = value {
                        write!(f, " = {value}")?;
                    }
                }
                write!(f, ": {problem}")
            }
            ConfigError::Unreadable { source, problem } => write!(f, "{source}: {problem}"),
        }
    }
}

impl std::error::Error for ConfigError {}
