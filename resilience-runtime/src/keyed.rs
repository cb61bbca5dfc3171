//! Per-key instances (`key = expr` on `circuit_breaker`, `bulkhead` and `rate_limit`): one instance of a policy per value of the key, created on
//! first use with the attribute's settings, listed as `name[key]`, at most `max_keys` of them
//! (the least recently used is dropped past that, and the drop counted).
//!
//! The instances of one name live in a [`papaya`] map: a keyed call costs one lock-free lookup
//! (and a clone of the instance's `Arc`, so dropping the instance never cuts a call short);
//! only a new key takes the family's mutex. Unkeyed callsites never come here.

use crate::registry::{self, Entry, Registry};
use crate::snapshot::{KeyedSnapshot, Snapshot};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The default of `max_keys`.
pub const DEFAULT_MAX_KEYS: usize = 1000;

/// The instances of one name, one per key.
pub(crate) struct Keyed<T> {
    kind: &'static str,
    name: &'static str,
    /// The attribute's `max_keys`.
    #[cfg(feature = "config")]
    written_max_keys: usize,
    /// `max_keys` now: the attribute's, or as configured.
    max_keys: AtomicUsize,
    instances: papaya::HashMap<Box<str>, Slot<T>>,
    /// Bumped by each keyed call: the recency of a key is the tick of its last call.
    tick: AtomicU64,
    dropped: AtomicU64,
    /// Taken only to add a key (and drop the least recently used past `max_keys`).
    adding: Mutex<()>,
    /// The configured table of this name (feature `config`): every key's instance takes it,
    /// a new key's on creation.
    #[cfg(feature = "config")]
    configured: Mutex<Option<crate::config::Table>>,
}

struct Slot<T> {
    label: Arc<str>,
    instance: Arc<T>,
    used: AtomicU64,
}

impl<T> std::fmt::Debug for Keyed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyed")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("keys", &self.instances.len())
            .field("max_keys", &self.max_keys.load(Ordering::Relaxed))
            .finish()
    }
}

impl<T: Entry> Keyed<T> {
    fn new(kind: &'static str, name: &'static str, max_keys: usize) -> Self {
        Keyed {
            kind,
            name,
            #[cfg(feature = "config")]
            written_max_keys: max_keys.max(1),
            max_keys: AtomicUsize::new(max_keys.max(1)),
            instances: papaya::HashMap::new(),
            tick: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            adding: Mutex::new(()),
            #[cfg(feature = "config")]
            configured: Mutex::new(None),
        }
    }

    /// The instance for `key`, made by `make` on its first use.
    #[inline]
    pub(crate) fn get(&self, key: &str, make: impl FnOnce() -> T) -> Arc<T> {
        let now = self.tick.fetch_add(1, Ordering::Relaxed);
        if let Some(slot) = self.instances.pin().get(key) {
            slot.used.store(now, Ordering::Relaxed);
            return Arc::clone(&slot.instance);
        }
        self.add(key, now, make)
    }

    #[cold]
    fn add(&self, key: &str, now: u64, make: impl FnOnce() -> T) -> Arc<T> {
        let _adding = registry::lock(&self.adding);
        let map = self.instances.pin();
        if let Some(slot) = map.get(key) {
            return Arc::clone(&slot.instance);
        }
        while map.len() >= self.max_keys.load(Ordering::Relaxed) {
            let oldest = map
                .iter()
                .min_by_key(|(_, slot)| slot.used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    map.remove(&k);
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
                None => break,
            }
        }
        let instance = Arc::new(make());
        #[cfg(feature = "config")]
        if let Some(table) = registry::lock(&self.configured).as_ref() {
            instance.apply(Some(table));
        }
        map.insert(
            key.into(),
            Slot {
                label: format!("{}[{key}]", self.name).into(),
                instance: Arc::clone(&instance),
                used: AtomicU64::new(now),
            },
        );
        instance
    }

    /// The instance labelled `key`, if it is live.
    fn find(&self, key: &str) -> Option<(Arc<str>, Arc<T>)> {
        let map = self.instances.pin();
        map.get(key)
            .map(|s| (Arc::clone(&s.label), Arc::clone(&s.instance)))
    }

    /// Every live instance with its label, in key order.
    fn all(&self) -> Vec<(Arc<str>, Arc<T>)> {
        let map = self.instances.pin();
        let mut all: Vec<_> = map
            .iter()
            .map(|(_, s)| (Arc::clone(&s.label), Arc::clone(&s.instance)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Instances dropped so far to stay within `max_keys`.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl<T: Entry> Entry for Keyed<T> {
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn snapshot(&self, _label: &str, into: &mut Snapshot) {
        let all = self.all();
        into.keyed.push(KeyedSnapshot {
            kind: self.kind,
            name: self.name.to_owned(),
            keys: all.len(),
            max_keys: self.max_keys.load(Ordering::Relaxed),
            dropped: self.dropped(),
        });
        for (label, instance) in all {
            instance.snapshot(&label, into);
        }
    }
    /// Every key's instance checks the table (less `max_keys`, the family's own).
    #[cfg(feature = "config")]
    fn check(&self, table: &crate::config::Table) -> Result<(), crate::config::Refused> {
        // As in the attribute: one fleet-wide state per key is not built yet, and one shared
        // by every key would be a different limit.
        if matches!(
            table.get("scope"),
            Some(crate::config::Value::Word("fleet"))
        ) {
            return Err(crate::config::Refused::new(
                "scope",
                format!(
                    "`scope = fleet` does not combine with `key = ..` yet (each key would share one fleet-wide state); `{}` has per-key instances",
                    self.name
                ),
            ));
        }
        let per_key = per_key(table);
        for (_, instance) in self.all() {
            instance.check(&per_key)?;
        }
        Ok(())
    }
    /// Every key's instance takes the table now, and every new key's on creation; `max_keys`
    /// applies from the next new key (keys past it are dropped then, least recently used
    /// first).
    #[cfg(feature = "config")]
    fn apply(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
        use crate::config::Value;
        let per_key = table.map(per_key);
        let max_keys = match table.and_then(|t| t.get("max_keys")) {
            Some(Value::Count(n)) => (*n as usize).max(1),
            _ => self.written_max_keys,
        };
        let _adding = registry::lock(&self.adding);
        *registry::lock(&self.configured) = per_key.clone();
        let mut changes = Vec::new();
        let old = self.max_keys.swap(max_keys, Ordering::Relaxed);
        if old != max_keys {
            changes.push(crate::config::Change::new(
                self.kind, self.name, "max_keys", old, max_keys,
            ));
        }
        for (label, instance) in self.all() {
            changes.extend(instance.apply(per_key.as_ref()).into_iter().map(|mut c| {
                c.name = label.to_string();
                c
            }));
        }
        changes
    }
}

/// A family's table as each key's instance takes it: without `max_keys`.
#[cfg(feature = "config")]
fn per_key(table: &crate::config::Table) -> crate::config::Table {
    let mut per_key = table.clone();
    per_key.remove("max_keys");
    per_key
}

/// The per-callsite state of an attribute with `key = ..`, held in a `static` the macro
/// generates: the family of its name, found on the first call.
#[derive(Debug)]
pub struct KeyedSite<T: 'static> {
    kind: &'static str,
    name: &'static str,
    max_keys: usize,
    family: OnceLock<&'static Keyed<T>>,
}

// The bound names the crate's own entry trait: the methods here are the crate's; each kind
// adds its public constructor and lookup (`KeyedBreakerSite::new`, `.breaker(key, ..)`).
#[allow(private_bounds)]
impl<T: Entry> KeyedSite<T> {
    /// A site of `kind` named `name`, keeping at most `max_keys` instances (each kind has its
    /// own constructor that gives its kind).
    pub(crate) const fn of(kind: &'static str, name: &'static str, max_keys: usize) -> Self {
        KeyedSite {
            kind,
            name,
            max_keys,
            family: OnceLock::new(),
        }
    }

    /// The site's name.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The instance for `key`, made by `make` on its first use.
    #[inline]
    pub(crate) fn instance(&'static self, key: &str, make: impl FnOnce() -> T) -> Arc<T> {
        match self.family.get() {
            Some(family) => family.get(key, make),
            None => self.family().get(key, make),
        }
    }

    /// The first call (every call, once test registries exist in the process).
    #[cold]
    fn family(&'static self) -> &'static Keyed<T> {
        registry::callsite_instance(self, &self.family, |reg| self.register(reg))
    }

    fn register(&self, reg: &Registry) -> Arc<Keyed<T>> {
        let (family, _) = reg.register(self.kind, self.name, true, || {
            Keyed::new(self.kind, self.name, self.max_keys)
        });
        family
    }
}

/// One instance found in the registry: its label (`name` or `name[key]`) and the instance.
pub(crate) struct Found<T> {
    pub(crate) label: Arc<str>,
    pub(crate) instance: Arc<T>,
}

/// Every instance of `kind` in `reg`, unkeyed and keyed, in order of first call (the keys of
/// one name in key order).
pub(crate) fn all<T: Entry>(reg: &Registry, kind: &'static str) -> Vec<Found<T>> {
    let mut out = Vec::new();
    for e in reg.of_kind(kind) {
        if let Some(instance) = registry::downcast::<T>(&e) {
            out.push(Found {
                label: Arc::from(instance.name()),
                instance,
            });
        } else if let Some(family) = registry::downcast::<Keyed<T>>(&e) {
            out.extend(
                family
                    .all()
                    .into_iter()
                    .map(|(label, instance)| Found { label, instance }),
            );
        }
    }
    out
}

/// The instance of `kind` labelled `label` in `reg`: a name, or `name[key]`.
pub(crate) fn find<T: Entry>(reg: &Registry, kind: &'static str, label: &str) -> Option<Found<T>> {
    if let Some(e) = reg.named(kind, label)
        && let Some(instance) = registry::downcast::<T>(&e)
    {
        return Some(Found {
            label: Arc::from(label),
            instance,
        });
    }
    let (name, key) = label.strip_suffix(']')?.split_once('[')?;
    let family = registry::downcast::<Keyed<T>>(&reg.named(kind, name)?)?;
    family
        .find(key)
        .map(|(label, instance)| Found { label, instance })
}
