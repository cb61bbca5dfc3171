//! Every policy instance a callsite created, for operators to inspect and override: one table
//! keyed by (kind, name) that knows no policy type.
//!
//! Each policy module registers its instances through the [`Entry`] trait (name, kind, snapshot
//! row) and adds its typed lookups (`reg.bulkhead(name)`, `reg.bulkheads()`) to [`Registry`]
//! in its own file, so a new kind of policy touches its own module and not this file. This file
//! imports no policy: the policies import it.
//!
//! A callsite registers on its first call and caches a `&'static` to its instance; the hot path
//! reads that cache and never looks anything up by name. Test registries
//! ([`crate::testing::isolated`]) cost it nothing: once one has been created in the process, a
//! callsite that has not cached its instance yet no longer caches it, and each of its calls
//! takes the cold path, which finds the instance of this thread's test (or the process-wide
//! one) by the address of the callsite's `static`.

use crate::events::Event;
use crate::snapshot::Snapshot;
use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use tokio::sync::broadcast;

/// What the registry needs of an instance: its kind, its name and its snapshot row. Each policy
/// module implements it for its own type, with `check` and `apply` for configuration.
pub(crate) trait Entry: Any + Send + Sync + fmt::Debug {
    /// The kind, as written in the attribute (`"circuit_breaker"`, `"bulkhead"`, …).
    fn kind(&self) -> &'static str;
    /// The name its callsites share (the attribute's `name`, or `module::fn`).
    fn name(&self) -> &'static str;
    /// Adds its row to `into`, labelled `label` (its name, or `name[key]`).
    fn snapshot(&self, label: &str, into: &mut Snapshot);
    /// Whether it lives only in the process-wide registry, whatever the thread's (a test
    /// registry's snapshot shows it too, as its lookups find it).
    fn process_wide(&self) -> bool {
        false
    }
    /// Checks the configured `table` against its own values before anything changes (all or
    /// nothing): the rules between keys, over its attribute's values. By default none: each
    /// key was checked on its own when the configuration was read.
    #[cfg(feature = "config")]
    fn check(&self, _table: &crate::config::Table) -> Result<(), crate::config::Refused> {
        Ok(())
    }
    /// Applies `table` (`None`: back to the attribute's values) into the atomics its callsites
    /// read; returns each change.
    #[cfg(feature = "config")]
    fn apply(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change>;
}

/// The process-wide registry of resilience policies, or a test's own
/// ([`testing::isolated`](crate::testing::isolated)).
///
/// Lookups are named alike for every kind: `circuit_breaker(name)` and `circuit_breakers()`,
/// `bulkhead`/`bulkheads`, `rate_limiter`/`rate_limiters`, `retry`/`retries`,
/// `timeout`/`timeouts`. A per-key instance is found by its label, `name[key]`.
///
/// ```
/// # use resilience_runtime as resilience;
/// let reg = resilience::registry();
/// for r in reg.retries() {
///     println!("{} retried {} times", r.name(), r.retries());
/// }
/// ```
#[derive(Default)]
pub struct Registry {
    table: Mutex<Table>,
    /// Where [`Registry::subscribe`] receivers listen; created by the first subscriber.
    pub(crate) events: OnceLock<broadcast::Sender<Event>>,
    /// A test registry's instance for each callsite (by the address of its `static`); the
    /// process-wide registry keeps them in the callsites themselves.
    sites: Mutex<HashMap<usize, &'static (dyn Any + Send + Sync)>>,
    /// The configuration last applied: an entry registered later gets its table.
    #[cfg(feature = "config")]
    config: Mutex<crate::config::Config>,
}

/// The entries in order of first call, and the first entry of each (kind, name).
#[derive(Default)]
struct Table {
    entries: Vec<Arc<dyn Entry>>,
    named: HashMap<(&'static str, &'static str), usize>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = lock(&self.table);
        f.debug_struct("Registry")
            .field("entries", &table.entries.len())
            .finish()
    }
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::default);

/// True once a test registry has ever been created in this process.
static ISOLATING: AtomicBool = AtomicBool::new(false);
/// Callsites that cached a process-wide instance (before any test registry existed).
static CACHED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's test registry, while a [`testing::Isolated`](crate::testing::Isolated)
    /// guard lives.
    static CURRENT: Cell<Option<&'static Registry>> = const { Cell::new(None) };
}

/// The process-wide [`Registry`], or, on a thread inside
/// [`testing::isolated`](crate::testing::isolated), that test's own.
///
/// ```
/// # use resilience_runtime as resilience;
/// assert!(std::ptr::eq(resilience::registry(), resilience::registry()));
/// ```
pub fn registry() -> &'static Registry {
    test_registry().unwrap_or(&GLOBAL)
}

/// The process-wide registry, whatever this thread's.
pub(crate) fn global() -> &'static Registry {
    &GLOBAL
}

/// Whether a test registry was ever created: read only on a callsite's cold path.
#[inline]
pub(crate) fn isolating() -> bool {
    ISOLATING.load(Ordering::Relaxed)
}

/// This thread's test registry, if any.
#[inline]
pub(crate) fn test_registry() -> Option<&'static Registry> {
    if isolating() {
        CURRENT.with(Cell::get)
    } else {
        None
    }
}

/// A callsite's instance once test registries exist (the callsite no longer caches it): in this
/// thread's test registry, else in the process-wide one, registered there by `register` on the
/// callsite's first call. `site` is the address of the callsite's `static`.
#[cold]
#[inline(never)]
fn isolating_instance<T: Entry>(
    site: usize,
    register: impl FnOnce(&Registry) -> Arc<T>,
) -> &'static T {
    test_registry()
        .unwrap_or(&GLOBAL)
        .site_instance(site, register)
}

/// A callsite's instance, on its cold path. The first call registers it in the process-wide
/// registry with `register` and caches it in `cache` for good (its `Arc` kept, so the hot path
/// reads a `&'static` and nothing else); once test registries exist, every call of a callsite
/// not cached yet comes here and finds its instance in this thread's registry, by the address
/// of the callsite's `static`.
#[cold]
pub(crate) fn callsite_instance<T: Entry, S>(
    site: &'static S,
    cache: &'static OnceLock<&'static T>,
    register: impl Fn(&Registry) -> Arc<T>,
) -> &'static T {
    if isolating() {
        return isolating_instance(std::ptr::from_ref(site) as usize, register);
    }
    cache.get_or_init(|| {
        // Counts a callsite that cached its process-wide instance; see [`set_current`].
        CACHED.fetch_add(1, Ordering::Relaxed);
        let kept: &'static Arc<T> = Box::leak(Box::new(register(&GLOBAL)));
        kept
    })
}

/// Makes `registry` this thread's registry (`None`: the process-wide one again); returns the
/// one it replaces. For [`crate::testing`]. The first call warns if callsites had already
/// cached process-wide instances: those stay on them, whatever thread calls them.
pub(crate) fn set_current(registry: Option<&'static Registry>) -> Option<&'static Registry> {
    if !ISOLATING.swap(true, Ordering::Relaxed) {
        let cached = CACHED.load(Ordering::Relaxed);
        if cached > 0 {
            crate::telemetry::cached_before_isolation(cached);
        }
    }
    CURRENT.with(|c| c.replace(registry))
}

impl Registry {
    /// The entry of `kind` called `name` for a callsite, made by `make` unless one exists:
    /// `shared` callsites (an explicit `name`) share the first entry of their name; others
    /// always get their own. Returns the entry and whether it was made now.
    pub(crate) fn register<T: Entry>(
        &self,
        kind: &'static str,
        name: &'static str,
        shared: bool,
        make: impl FnOnce() -> T,
    ) -> (Arc<T>, bool) {
        let mut table = lock(&self.table);
        if shared
            && let Some(&i) = table.named.get(&(kind, name))
            && let Some(existing) = downcast::<T>(&table.entries[i])
        {
            return (existing, false);
        }
        let made = Arc::new(make());
        #[cfg(feature = "config")]
        if let Some(t) = lock(&self.config).table_of(kind, name) {
            made.apply(Some(t));
        }
        let i = table.entries.len();
        table.entries.push(Arc::clone(&made) as Arc<dyn Entry>);
        table.named.entry((kind, name)).or_insert(i);
        (made, true)
    }

    /// A test registry's instance for the callsite at `site`, registered with `register` on
    /// its first call there. Kept for good (a test registry lives until the process ends), so
    /// the callsite gets a `&'static` as it does from its own cache.
    pub(crate) fn site_instance<T: Entry>(
        &self,
        site: usize,
        register: impl FnOnce(&Self) -> Arc<T>,
    ) -> &'static T {
        if let Some(found) = lock(&self.sites).get(&site)
            && let Some(t) = found.downcast_ref::<Arc<T>>()
        {
            return t;
        }
        // Registered outside the lock of `sites`: `register` takes the table's.
        let arc = register(self);
        let mut sites = lock(&self.sites);
        let kept: &'static Arc<T> = match sites.get(&site).and_then(|f| f.downcast_ref()) {
            Some(t) => t,
            None => {
                let kept: &'static Arc<T> = Box::leak(Box::new(arc));
                sites.insert(site, kept);
                kept
            }
        };
        kept
    }

    /// Runs `f` over every entry and the configuration last applied, with registration held
    /// off meanwhile: so an entry either registers before and is walked, or after and gets
    /// the new configuration.
    #[cfg(feature = "config")]
    pub(crate) fn reconfigure<R>(
        &self,
        f: impl FnOnce(&[Arc<dyn Entry>], &mut crate::config::Config) -> R,
    ) -> R {
        let table = lock(&self.table);
        let mut config = lock(&self.config);
        f(&table.entries, &mut config)
    }

    /// The first entry of `kind` called `name`.
    pub(crate) fn named(&self, kind: &'static str, name: &str) -> Option<Arc<dyn Entry>> {
        let table = lock(&self.table);
        table
            .entries
            .iter()
            .find(|e| e.kind() == kind && e.name() == name)
            .cloned()
    }

    /// Every entry of `kind`, in order of first call.
    pub(crate) fn of_kind(&self, kind: &'static str) -> Vec<Arc<dyn Entry>> {
        lock(&self.table)
            .entries
            .iter()
            .filter(|e| e.kind() == kind)
            .cloned()
            .collect()
    }

    /// Every instance with its live figures, each kind in its own section, in order of first
    /// call. Each figure is read on its own (relaxed), so under load the figures of one entry
    /// may be a few calls apart.
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// let snap = resilience::registry().snapshot();
    /// println!("{snap}");
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        let mut entries = lock(&self.table).entries.clone();
        if !std::ptr::eq(self, global()) {
            let shared = lock(&GLOBAL.table).entries.clone();
            entries.extend(shared.into_iter().filter(|e| e.process_wide()));
        }
        let mut snapshot = Snapshot::default();
        for e in entries {
            e.snapshot(e.name(), &mut snapshot);
        }
        snapshot.fleet = crate::fleet::status();
        snapshot
    }
}

/// `entry` as a `T`, if it is one.
pub(crate) fn downcast<T: Entry>(entry: &Arc<dyn Entry>) -> Option<Arc<T>> {
    let any: Arc<dyn Any + Send + Sync> = Arc::clone(entry) as Arc<dyn Any + Send + Sync>;
    any.downcast::<T>().ok()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind the registry has never heard of, registered the way every policy module
    /// registers its own (the shape a later `#[hedge]` takes).
    #[derive(Debug)]
    struct Hedge {
        name: &'static str,
    }

    impl Entry for Hedge {
        fn kind(&self) -> &'static str {
            "hedge"
        }
        fn name(&self) -> &'static str {
            self.name
        }
        fn snapshot(&self, _label: &str, _into: &mut Snapshot) {}
        #[cfg(feature = "config")]
        fn apply(&self, _: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
            Vec::new()
        }
    }

    #[test]
    fn a_new_kind_registers_without_this_file_knowing_it() {
        let reg = Registry::default();
        let make = || Hedge { name: "search" };
        let (first, made) = reg.register("hedge", "search", true, make);
        assert!(made);
        let (shared, made) = reg.register("hedge", "search", true, make);
        assert!(!made && Arc::ptr_eq(&first, &shared));
        // A callsite without `name` keeps its own entry, even with the same label.
        let (own, made) = reg.register("hedge", "search", false, make);
        assert!(made && !Arc::ptr_eq(&first, &own));
        assert_eq!(reg.of_kind("hedge").len(), 2);
        let found = reg.named("hedge", "search").expect("registered");
        assert!(Arc::ptr_eq(&downcast::<Hedge>(&found).unwrap(), &first));
        // Kinds do not mix: the same name under another kind is another entry.
        assert!(reg.named("retry", "search").is_none());
    }

    #[test]
    fn this_file_imports_no_policy() {
        let source = include_str!("registry.rs");
        for policy in [
            "bulkhead",
            "chaos",
            "circuit_breaker",
            "fallback",
            "hedge",
            "rate_limit",
            "retry",
            "timeout",
        ] {
            let import = format!("crate::{policy}");
            assert!(!source.contains(&import), "registry.rs names {import}");
        }
    }
}
