//! What chaos injected, per name, in the registry: listed from a name's first call with chaos
//! switched on (a call while it is off costs one relaxed load and counts nothing).

use super::ChaosPolicy;
use crate::keyed::{self, Found};
use crate::registry::{self, Entry, Registry};
use crate::snapshot::{ChaosSnapshot, Snapshot};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The registry's kind for chaos (`[chaos.<name>]` in configuration).
const KIND: &str = "chaos";

/// The faults injected under one name.
#[derive(Debug)]
pub(crate) struct ChaosStats {
    name: &'static str,
    errors: AtomicU64,
    delays: AtomicU64,
    /// What configuration set (feature `config`), read by each call while chaos is on.
    #[cfg(feature = "config")]
    settings: std::sync::Mutex<Settings>,
}

/// What configuration set for a chaos name.
#[cfg(feature = "config")]
#[derive(Debug, Default)]
struct Settings {
    error_rate: Option<f64>,
    latency: Option<std::time::Duration>,
    latency_rate: Option<f64>,
    /// `enabled = false`: nothing is injected under this name.
    disabled: bool,
    /// The configured values, `key = value`, for the snapshot.
    configured: Vec<String>,
}

impl ChaosStats {
    /// The entry of `name` in the current registry (looked up by name: this runs only while
    /// chaos is switched on, which already takes the generator's lock per call).
    pub(crate) fn of(name: &'static str) -> Arc<ChaosStats> {
        registry::registry()
            .register(KIND, name, true, || ChaosStats {
                name,
                errors: AtomicU64::new(0),
                delays: AtomicU64::new(0),
                #[cfg(feature = "config")]
                settings: std::sync::Mutex::default(),
            })
            .0
    }
    /// The faults a call draws from: `written` with the configured values over it, or `None`
    /// when configuration switched this name off.
    pub(crate) fn policy(&self, written: ChaosPolicy) -> Option<ChaosPolicy> {
        #[cfg(feature = "config")]
        {
            let s = registry::lock(&self.settings);
            if s.disabled {
                return None;
            }
            Some(ChaosPolicy {
                error_rate: s.error_rate.unwrap_or(written.error_rate),
                latency: s.latency.unwrap_or(written.latency),
                latency_rate: s.latency_rate.unwrap_or(written.latency_rate),
            })
        }
        #[cfg(not(feature = "config"))]
        Some(written)
    }

    pub(crate) fn injected_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn injected_delay(&self) {
        self.delays.fetch_add(1, Ordering::Relaxed);
    }
}

impl Entry for ChaosStats {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn snapshot(&self, label: &str, into: &mut Snapshot) {
        into.chaos.push(ChaosSnapshot {
            name: label.to_owned(),
            enabled: super::is_enabled(),
            injected_errors: self.errors.load(Ordering::Relaxed),
            injected_delays: self.delays.load(Ordering::Relaxed),
            #[cfg(feature = "config")]
            configured: registry::lock(&self.settings).configured.clone(),
            #[cfg(not(feature = "config"))]
            configured: Vec::new(),
        });
    }
    /// The next call drawn takes the new values.
    #[cfg(feature = "config")]
    fn apply(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
        use crate::config::{Change, Value, configured_change};
        let get = |key| table.and_then(|t| t.get(key));
        let share = |key| match get(key) {
            Some(Value::Share(s)) => Some(*s),
            _ => None,
        };
        let mut s = registry::lock(&self.settings);
        let latency = match get("latency") {
            Some(Value::Duration(d)) => Some(*d),
            _ => None,
        };
        let (error_rate, latency_rate) = (share("error_rate"), share("latency_rate"));
        let disabled = crate::config::disabled(table);
        let mut changes = Vec::new();
        let shares = |v: Option<f64>| v.map(Value::Share);
        let durations = |v: Option<std::time::Duration>| v.map(Value::Duration);
        let name = self.name;
        changes.extend(configured_change(
            KIND,
            name,
            "error_rate",
            shares(s.error_rate),
            shares(error_rate),
        ));
        changes.extend(configured_change(
            KIND,
            name,
            "latency",
            durations(s.latency),
            durations(latency),
        ));
        changes.extend(configured_change(
            KIND,
            name,
            "latency_rate",
            shares(s.latency_rate),
            shares(latency_rate),
        ));
        if s.disabled != disabled {
            changes.push(Change::new(
                KIND,
                self.name,
                "enabled",
                !s.disabled,
                !disabled,
            ));
        }
        *s = Settings {
            error_rate,
            latency,
            latency_rate,
            disabled,
            configured: crate::config::shown_table(table),
        };
        changes
    }
}

/// A view of one chaos name in the [`Registry`].
///
/// ```
/// # use resilience_runtime as resilience;
/// for c in resilience::registry().chaos_all() {
///     println!("{}: {} errors, {} delays injected", c.name(), c.injected_errors(), c.injected_delays());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ChaosHandle {
    label: Arc<str>,
    stats: Arc<ChaosStats>,
}

impl ChaosHandle {
    /// The chaos name.
    pub fn name(&self) -> &str {
        &self.label
    }
    /// Calls failed with [`Error::Injected`](crate::Error::Injected).
    pub fn injected_errors(&self) -> u64 {
        self.stats.errors.load(Ordering::Relaxed)
    }
    /// Calls delayed by the injected latency (a delayed call may also be failed).
    pub fn injected_delays(&self) -> u64 {
        self.stats.delays.load(Ordering::Relaxed)
    }
}

fn handle(f: Found<ChaosStats>) -> ChaosHandle {
    ChaosHandle {
        label: f.label,
        stats: f.instance,
    }
}

/// Chaos: one entry per name, from its first call with chaos switched on.
impl Registry {
    /// Every chaos name that has run with chaos switched on, in order of first call.
    pub fn chaos_all(&self) -> Vec<ChaosHandle> {
        keyed::all(self, KIND).into_iter().map(handle).collect()
    }

    /// The chaos entry called `name`, once it has run with chaos switched on.
    pub fn chaos(&self, name: &str) -> Option<ChaosHandle> {
        keyed::find(self, KIND, name).map(handle)
    }
}
