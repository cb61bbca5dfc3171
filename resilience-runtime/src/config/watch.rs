//! [`watch`]: re-reads a configuration file when it changes and applies it.

use super::document::Config;
use super::error::ConfigError;
use std::path::PathBuf;
use std::time::Duration;

/// Reads the TOML file at `path` every `every` (on the tokio runtime it is called in) and,
/// when its text changed, applies it to [`registry()`](crate::registry) (the one of the
/// calling thread, as when it was called). A file that cannot be read or applied is reported
/// as a `tracing` error event (target `resilience`, fields `path` and `error`) and changes
/// nothing: the last good configuration stays. Abort the returned task to stop watching.
///
/// ```no_run
/// # use resilience_runtime as resilience;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let watching = resilience::config::watch("resilience.toml", std::time::Duration::from_secs(5));
/// // … later, to stop:
/// watching.abort();
/// # }
/// ```
pub fn watch(path: impl Into<PathBuf>, every: Duration) -> tokio::task::JoinHandle<()> {
    watch_with(path, every, Config::new())
}

/// [`watch`], each reading of the file applied with `over` merged on top (the later wins):
/// the configuration from the environment, say, which a plain `watch` would drop at its first
/// reading, since a configuration applied replaces the one before.
///
/// ```no_run
/// # use resilience_runtime as resilience;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), resilience::config::ConfigError> {
/// use resilience::config::{self, Config};
/// let env = Config::from_env("RESILIENCE")?;
/// // The file, then the environment over it, now and at every change of the file.
/// resilience::registry().apply(&Config::from_file("resilience.toml")?.merge(env.clone()))?;
/// config::watch_with("resilience.toml", std::time::Duration::from_secs(5), env);
/// # Ok(()) }
/// ```
pub fn watch_with(
    path: impl Into<PathBuf>,
    every: Duration,
    over: Config,
) -> tokio::task::JoinHandle<()> {
    let path = path.into();
    let registry = crate::registry();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last: Option<String> = None;
        loop {
            tick.tick().await;
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    let error = ConfigError::Unreadable {
                        source: path.display().to_string(),
                        problem: e.to_string(),
                    };
                    if last.is_some() {
                        crate::telemetry::config_rejected(&path, &error);
                        last = None;
                    }
                    continue;
                }
            };
            if last.as_deref() == Some(text.as_str()) {
                continue;
            }
            let applied =
                Config::from_toml_str(&text).and_then(|c| registry.apply(&c.merge(over.clone())));
            if let Err(error) = applied {
                crate::telemetry::config_rejected(&path, &error);
            }
            // A bad text is reported once, not at every tick, until it changes again.
            last = Some(text);
        }
    })
}
