//! What chaos injected, per name, in the registry: listed from a name's first call with chaos
//! switched on (a call while it is off costs one relaxed load and counts nothing).

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
            })
            .0
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
        });
    }
}

/// A view of one chaos name in the [`Registry`].
///
/// ```
/// for c in resilience_runtime::registry().chaos_all() {
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
