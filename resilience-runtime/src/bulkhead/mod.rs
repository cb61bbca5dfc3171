//! `#[bulkhead]`: at most `max_concurrent` calls inside at once; others wait up to `max_wait`
//! in FIFO order, else fail with [`Error::BulkheadFull`].
//!
//! The place is a guard ([`Place`]) living inside the call's future, so completion,
//! cancellation and panic all give it back. Taking and giving back a free place is one
//! compare-and-swap each (`places.rs`); the queue's mutex is touched only when the bulkhead is
//! full.

mod blocking;
mod enter;
mod future;
pub(crate) mod places;

pub use enter::{Enter, Entered};
pub use future::{Acquire, BulkheadCall, Place};

use crate::Error;
use crate::instruments::{CallCounters, NamedGauge};
use crate::keyed::{self, KeyedSite};
use crate::label::{FnLabel, Name};
use crate::outcome::{Failure, Layered};
use crate::registry::{self, Entry, Registry};
use crate::snapshot::{BulkheadSnapshot, Snapshot};
use places::Places;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// The settings of one `#[bulkhead(..)]`, built at each call from the attribute.
///
/// ```
/// # mod resilience { pub use resilience_runtime::bulkhead::BulkheadPolicy; }
/// use resilience::BulkheadPolicy;
/// assert_eq!(BulkheadPolicy::DEFAULT.max_concurrent, 25);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkheadPolicy {
    /// Calls allowed inside at once (≥ 1).
    pub max_concurrent: usize,
    /// How long a caller waits for a place before failing; zero fails at once.
    pub max_wait: Duration,
}

impl BulkheadPolicy {
    /// SPEC §4: 25 places, no waiting.
    pub const DEFAULT: BulkheadPolicy = BulkheadPolicy {
        max_concurrent: 25,
        max_wait: Duration::ZERO,
    };
}

impl Default for BulkheadPolicy {
    fn default() -> Self {
        BulkheadPolicy::DEFAULT
    }
}

/// One bulkhead: shared by every callsite with its `name`.
///
/// ```
/// # mod resilience { pub use resilience_runtime::bulkhead::Bulkhead; }
/// use resilience::Bulkhead;
/// let b = Bulkhead::new("docs::db", 2);
/// let first = b.try_acquire().unwrap();
/// let _second = b.try_acquire().unwrap();
/// assert!(b.try_acquire().is_none());
/// drop(first);
/// assert_eq!(b.available(), 1);
/// ```
#[derive(Debug)]
pub struct Bulkhead {
    name: &'static str,
    places: Places,
    rejected: AtomicU64,
    /// The configured `max_wait` in nanoseconds, or [`ATTRIBUTE`]: the one load a call pays
    /// for configuration.
    #[cfg(feature = "config")]
    configured_wait: AtomicU64,
    /// The attribute's `max_concurrent`, `enabled` and the configured places (cold: apply only).
    #[cfg(feature = "config")]
    settings: std::sync::Mutex<Settings>,
    pub(crate) counters: CallCounters,
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    available_gauge: NamedGauge,
}

impl Bulkhead {
    /// A bulkhead of `max_concurrent` places (at least one).
    pub fn new(name: &'static str, max_concurrent: usize) -> Self {
        let available_gauge = NamedGauge::bulkhead_available(name);
        available_gauge.set(max_concurrent.max(1));
        Bulkhead {
            name,
            places: Places::new(max_concurrent.max(1)),
            rejected: AtomicU64::new(0),
            #[cfg(feature = "config")]
            configured_wait: AtomicU64::new(ATTRIBUTE),
            #[cfg(feature = "config")]
            settings: std::sync::Mutex::new(Settings {
                attribute_places: max_concurrent.max(1),
                configured_places: None,
                enabled: true,
                configured: Vec::new(),
            }),
            counters: CallCounters::new(name, "bulkhead"),
            available_gauge,
        }
    }

    /// A place if one is free and nobody is queued for one.
    #[inline]
    pub fn try_acquire(&self) -> Option<Place<'_>> {
        self.places.try_acquire().then(|| Place::new(self))
    }

    /// A place, waiting up to `max_wait` behind earlier callers; else [`Error::BulkheadFull`].
    ///
    /// ```
    /// # mod resilience { pub use resilience_runtime::{Error, bulkhead::Bulkhead}; }
    /// use resilience::{Bulkhead, Error};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let b = Bulkhead::new("docs::db", 1);
    /// let held = b.acquire(Duration::ZERO).await.unwrap();
    /// let full = b.acquire(Duration::from_millis(50)).await.unwrap_err();
    /// assert!(matches!(full, Error::BulkheadFull { max_concurrent: 1, .. }));
    /// drop(held);
    /// assert!(b.acquire(Duration::ZERO).await.is_ok());
    /// # }
    /// ```
    pub async fn acquire(&self, max_wait: Duration) -> Result<Place<'_>, Error> {
        if let Some(place) = self.try_acquire() {
            return Ok(place);
        }
        self.acquire_slow(max_wait).await
    }

    #[cold]
    async fn acquire_slow(&self, max_wait: Duration) -> Result<Place<'_>, Error> {
        let max_wait = self.max_wait(max_wait);
        if max_wait.is_zero() {
            return Err(self.reject());
        }
        Acquire::new(self, Instant::now() + max_wait).await
    }

    /// Runs `inner` holding a place, waiting up to `max_wait` for one: what a per-key
    /// bulkhead's call does (an unkeyed callsite's [`BulkheadSite::call`] takes a free place
    /// without building this future).
    ///
    /// ```
    /// use resilience_runtime::{bulkhead::Bulkhead, Failure};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let b = Bulkhead::new("docs::run", 1);
    /// let out = b.run(Duration::ZERO, async { Ok::<u8, Failure<()>>(1) }).await;
    /// assert_eq!(out, Ok(1));
    /// # }
    /// ```
    // Not in the docs: `resilience` exports no `Failure` to call it with.
    #[doc(hidden)]
    pub async fn run<F, T, E>(&self, max_wait: Duration, inner: F) -> Layered<T, E>
    where
        F: Future<Output = Layered<T, E>>,
    {
        let place = match self.acquire(max_wait).await {
            Ok(place) => place,
            Err(e) => return Err(Failure::Policy(e)),
        };
        let out = inner.await;
        drop(place);
        self.counters.passed(out.is_ok());
        out
    }

    /// Publishes the free places (feature `metrics`) after one was taken or given back.
    #[inline]
    fn places_changed(&self) {
        #[cfg(feature = "metrics")]
        self.available_gauge.set(self.places.available());
    }

    fn reject(&self) -> Error {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        self.counters.rejected();
        let error = Error::BulkheadFull {
            name: self.name,
            max_concurrent: self.places.capacity(),
        };
        crate::telemetry::rejected(&error);
        error
    }

    /// `written` (the attribute's `max_wait`), or the configured one: one relaxed load, paid
    /// only by a call that found no free place.
    #[inline]
    pub(crate) fn max_wait(&self, written: Duration) -> Duration {
        #[cfg(feature = "config")]
        {
            let configured = self.configured_wait.load(Ordering::Relaxed);
            if configured != ATTRIBUTE {
                return configured_wait(configured);
            }
        }
        written
    }

    /// The bulkhead's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// Its number of places (with `enabled = false` configured, the size it goes back to).
    pub fn max_concurrent(&self) -> usize {
        #[cfg(feature = "config")]
        if !self.enabled() {
            let settings = registry::lock(&self.settings);
            return settings
                .configured_places
                .unwrap_or(settings.attribute_places);
        }
        self.places.capacity()
    }
    /// Places free right now (with `enabled = false` configured, `usize::MAX`: no limit).
    pub fn available(&self) -> usize {
        if !self.enabled() {
            return usize::MAX;
        }
        self.places.available()
    }
    /// Whether it limits calls: `false` while `enabled = false` is configured (every call
    /// passes straight through).
    pub fn enabled(&self) -> bool {
        #[cfg(feature = "config")]
        return self.places.capacity() < UNLIMITED;
        #[cfg(not(feature = "config"))]
        true
    }
    /// Calls inside right now (places taken).
    pub fn in_flight(&self) -> usize {
        self.places.in_flight()
    }
    /// Callers queued for a place right now.
    pub fn waiting(&self) -> usize {
        self.places.waiting()
    }
    /// Calls refused with [`Error::BulkheadFull`] so far.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

/// The per-callsite state of one `#[bulkhead]`, held in a `static` the macro generates. On its
/// first call it joins the registry, where callsites with one `name` share one [`Bulkhead`];
/// after that a call reads one initialised `OnceLock`.
///
/// ```
/// use resilience_runtime::bulkhead::{BulkheadSite, BulkheadPolicy};
/// use resilience_runtime::Failure;
/// static SITE: BulkheadSite = BulkheadSite::new("docs::bulkhead_site");
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let out = SITE.call(BulkheadPolicy::DEFAULT, async { Ok::<u8, Failure<()>>(1) }).await;
/// assert_eq!(out, Ok(1));
/// assert_eq!(SITE.bulkhead(BulkheadPolicy::DEFAULT).available(), 25);
/// # }
/// ```
#[derive(Debug)]
pub struct BulkheadSite {
    name: Name,
    shared: bool,
    /// The attribute's values when all are literals ([`with`](Self::with)): what the first
    /// call registers the bulkhead with, and a full bulkhead waits by.
    policy: BulkheadPolicy,
    bulkhead: OnceLock<&'static Bulkhead>,
}

impl BulkheadSite {
    /// A site named `name` (the attribute's `name`, or `module::fn`).
    pub const fn new(name: &'static str) -> Self {
        BulkheadSite {
            name: Name::Fixed(name),
            shared: true,
            policy: BulkheadPolicy::DEFAULT,
            bulkhead: OnceLock::new(),
        }
    }

    /// The site with the attribute's values, which [`try_enter`](Self::try_enter) and
    /// [`enter`](Self::enter) use (the default is [`BulkheadPolicy::DEFAULT`]). Read only on
    /// the first call and by a call that waits: a free place costs nothing more.
    pub const fn with(mut self, policy: BulkheadPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The site of a method whose default label names its type (see [`FnLabel`]).
    pub const fn of_method(mut self, label: &'static FnLabel) -> Self {
        self.name = Name::Method(label);
        self
    }

    /// This callsite's own entry, never shared: what a default (`module::fn`) name gets, since
    /// two functions in one module may carry the same label.
    pub const fn per_callsite(mut self) -> Self {
        self.shared = false;
        self
    }

    /// The site's bulkhead, registered on first use with `policy` (the first callsite of a
    /// shared name sets its size).
    #[inline]
    pub fn bulkhead(&'static self, policy: BulkheadPolicy) -> &'static Bulkhead {
        match self.bulkhead.get() {
            Some(b) => b,
            None => self.register(policy),
        }
    }

    /// The first call (every call, once test registries exist in the process).
    #[cold]
    fn register(&'static self, policy: BulkheadPolicy) -> &'static Bulkhead {
        registry::callsite_instance(self, &self.bulkhead, |reg| self.register_in(reg, policy))
    }

    fn register_in(&self, reg: &Registry, policy: BulkheadPolicy) -> Arc<Bulkhead> {
        let (b, made) = reg.register(KIND, self.name.get(), self.shared, || {
            Bulkhead::new(self.name.get(), policy.max_concurrent)
        });
        if !made && b.max_concurrent() != policy.max_concurrent.max(1) {
            crate::telemetry::shared_config_conflict("bulkhead", self.name.get());
        }
        b
    }

    /// Runs `inner` holding a place: a free one is taken right here (one compare-and-swap),
    /// else the returned future waits for one up to `policy.max_wait` (or the configured one,
    /// read only then).
    #[inline]
    pub fn call<F>(&'static self, policy: BulkheadPolicy, inner: F) -> BulkheadCall<F> {
        BulkheadCall::new(self.bulkhead(policy), policy.max_wait, inner)
    }
}

/// The registry's kind for bulkheads (`[bulkhead.<name>]` in configuration).
const KIND: &str = "bulkhead";

/// `configured_wait` when the attribute's `max_wait` stands.
#[cfg(feature = "config")]
const ATTRIBUTE: u64 = u64::MAX;

/// The places of a bulkhead switched off with `enabled = false`: as good as no limit.
#[cfg(feature = "config")]
const UNLIMITED: usize = 1 << 40;

/// The configured `max_wait`: out of line, so a call without configuration pays one load and
/// one comparison.
#[cfg(feature = "config")]
#[cold]
#[inline(never)]
fn configured_wait(nanos: u64) -> Duration {
    Duration::from_nanos(nanos)
}

/// A bulkhead's values apart from the hot path's.
#[cfg(feature = "config")]
#[derive(Debug)]
struct Settings {
    attribute_places: usize,
    configured_places: Option<usize>,
    enabled: bool,
    /// The configured values, `key = value`, for the snapshot.
    configured: Vec<String>,
}

#[cfg(feature = "config")]
impl Bulkhead {
    fn apply_config(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
        use crate::config::{Change, Value};
        let get = |key| table.and_then(|t| t.get(key));
        let mut changes = Vec::new();
        let mut settings = registry::lock(&self.settings);
        let places = match get("max_concurrent") {
            Some(Value::Count(n)) => Some(*n as usize),
            _ => None,
        };
        let enabled = !matches!(get("enabled"), Some(Value::Enabled(false)));
        let shown = |p: Option<usize>| p.map_or_else(|| "attribute".to_owned(), |p| p.to_string());
        if places != settings.configured_places {
            let old = shown(
                settings
                    .configured_places
                    .or(Some(settings.attribute_places)),
            );
            let new = shown(places.or(Some(settings.attribute_places)));
            changes.push(Change::new(KIND, self.name, "max_concurrent", old, new));
        }
        if enabled != settings.enabled {
            changes.push(Change::new(
                KIND,
                self.name,
                "enabled",
                settings.enabled,
                enabled,
            ));
        }
        settings.configured = crate::config::shown_table(table);
        settings.configured_places = places;
        settings.enabled = enabled;
        let target = if enabled {
            places.unwrap_or(settings.attribute_places)
        } else {
            UNLIMITED
        };
        if target != self.places.capacity() {
            self.places.resize(target);
            self.places_changed();
        }
        let wait = match get("max_wait") {
            Some(Value::Duration(d)) => u64::try_from(d.as_nanos()).unwrap_or(u64::MAX - 1),
            _ => ATTRIBUTE,
        };
        let old = self.configured_wait.swap(wait, Ordering::Relaxed);
        if old != wait {
            let show = |n: u64| {
                if n == ATTRIBUTE {
                    "attribute".to_owned()
                } else {
                    resilience_grammar::duration::display(Duration::from_nanos(n))
                }
            };
            changes.push(Change::new(
                KIND,
                self.name,
                "max_wait",
                show(old),
                show(wait),
            ));
        }
        changes
    }
}

impl Entry for Bulkhead {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn snapshot(&self, label: &str, into: &mut Snapshot) {
        into.bulkheads.push(BulkheadSnapshot {
            name: label.to_owned(),
            max_concurrent: self.max_concurrent(),
            enabled: self.enabled(),
            in_flight: self.in_flight(),
            available: self.available(),
            waiting: self.waiting(),
            rejected: self.rejected(),
            #[cfg(feature = "config")]
            configured: registry::lock(&self.settings).configured.clone(),
            #[cfg(not(feature = "config"))]
            configured: Vec::new(),
        });
    }
    #[cfg(feature = "config")]
    fn check(&self, table: &crate::config::Table) -> Result<(), crate::config::Refused> {
        // Each key was checked when the configuration was read; none depends on another. (A
        // per-key family takes `max_keys` before its instances see the table.)
        crate::config::no_max_keys(KIND, table)
    }
    #[cfg(feature = "config")]
    fn apply(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
        self.apply_config(table)
    }
}

/// The per-callsite state of one `#[bulkhead(name = "..", key = ..)]`: one bulkhead per value
/// of the key, created on first use with the callsite's size, listed as `name[key]`.
///
/// ```
/// use resilience_runtime::bulkhead::{BulkheadPolicy, KeyedBulkheadSite};
/// static SITE: KeyedBulkheadSite = KeyedBulkheadSite::new("docs::tenants", 1000);
/// let one = BulkheadPolicy { max_concurrent: 1, ..BulkheadPolicy::DEFAULT };
/// let a = SITE.bulkhead("a", one);
/// let _held = a.try_acquire().unwrap();
/// assert!(a.try_acquire().is_none());
/// assert!(SITE.bulkhead("b", one).try_acquire().is_some());
/// ```
pub type KeyedBulkheadSite = KeyedSite<Bulkhead>;

impl KeyedSite<Bulkhead> {
    /// A keyed site named `name`, keeping at most `max_keys` bulkheads.
    pub const fn new(name: &'static str, max_keys: usize) -> Self {
        KeyedSite::of(KIND, name, max_keys)
    }

    /// The bulkhead for `key`, created with `policy`'s size on the key's first call; the
    /// generated code runs the call through it with `Bulkhead::run`.
    #[inline]
    pub fn bulkhead(&'static self, key: &str, policy: BulkheadPolicy) -> Arc<Bulkhead> {
        let name = self.name();
        self.instance(key, || Bulkhead::new(name, policy.max_concurrent))
    }
}

/// A view of one bulkhead in the [`Registry`]; it derefs to the [`Bulkhead`].
///
/// ```
/// # use resilience_runtime as resilience;
/// for b in resilience::registry().bulkheads() {
///     println!("{}: {}/{} in flight, {} waiting", b.name(), b.in_flight(), b.max_concurrent(), b.waiting());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct BulkheadHandle {
    label: Arc<str>,
    bulkhead: Arc<Bulkhead>,
}

impl BulkheadHandle {
    /// The bulkhead's name, or `name[key]` for a per-key bulkhead.
    pub fn name(&self) -> &str {
        &self.label
    }
}

impl std::ops::Deref for BulkheadHandle {
    type Target = Bulkhead;
    fn deref(&self) -> &Bulkhead {
        &self.bulkhead
    }
}

// How the registry's lookup becomes a handle: internal (`Found` is the crate's own).
#[doc(hidden)]
impl From<keyed::Found<Bulkhead>> for BulkheadHandle {
    fn from(f: keyed::Found<Bulkhead>) -> Self {
        BulkheadHandle {
            label: f.label,
            bulkhead: f.instance,
        }
    }
}

/// Bulkheads: one entry per name (per key with `key = ..`), created by its first call.
impl Registry {
    /// Every bulkhead seen so far, in order of first call (the keys of one name in key order).
    pub fn bulkheads(&self) -> Vec<BulkheadHandle> {
        keyed::all(self, KIND).into_iter().map(Into::into).collect()
    }

    /// The bulkhead called `name` (or `name[key]`), once a callsite with that name has run.
    pub fn bulkhead(&self, name: &str) -> Option<BulkheadHandle> {
        keyed::find(self, KIND, name).map(Into::into)
    }
}
