//! `#[bulkhead]`: at most `max_concurrent` calls inside at once; others wait up to `max_wait`
//! in FIFO order, else fail with [`Error::BulkheadFull`].
//!
//! The place is a guard ([`Place`]) living inside the call's future, so completion,
//! cancellation and panic all give it back. Taking and giving back a free place is one
//! compare-and-swap each (`places.rs`); the queue's mutex is touched only when the bulkhead is
//! full.

mod blocking;
mod future;
pub(crate) mod places;

pub use future::{Acquire, BulkheadCall, Place};

use crate::Error;
use crate::instruments::{CallCounters, NamedGauge};
use crate::registry;
use places::Places;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// The settings of one `#[bulkhead(..)]`, built at each call from the attribute.
///
/// ```
/// use resilience_runtime::bulkhead::BulkheadPolicy;
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
/// use resilience_runtime::bulkhead::Bulkhead;
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
    /// use resilience_runtime::{bulkhead::Bulkhead, Error};
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
        if max_wait.is_zero() {
            return Err(self.reject());
        }
        Acquire::new(self, Instant::now() + max_wait).await
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

    /// The bulkhead's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// Its number of places.
    pub fn max_concurrent(&self) -> usize {
        self.places.capacity()
    }
    /// Places free right now.
    pub fn available(&self) -> usize {
        self.places.available()
    }
    /// Calls inside right now (places taken).
    pub fn in_flight(&self) -> usize {
        self.places.capacity() - self.places.available()
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
    name: &'static str,
    shared: bool,
    bulkhead: OnceLock<Arc<Bulkhead>>,
}

impl BulkheadSite {
    /// A site named `name` (the attribute's `name`, or `module::fn`).
    pub const fn new(name: &'static str) -> Self {
        BulkheadSite {
            name,
            shared: true,
            bulkhead: OnceLock::new(),
        }
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
        self.bulkhead.get_or_init(|| {
            registry::registry().bulkhead(self.name, self.shared, policy.max_concurrent)
        })
    }

    /// Runs `inner` holding a place: a free one is taken right here (one compare-and-swap),
    /// else the returned future waits for one up to `policy.max_wait`.
    #[inline]
    pub fn call<F>(&'static self, policy: BulkheadPolicy, inner: F) -> BulkheadCall<F> {
        BulkheadCall::new(self.bulkhead(policy), policy.max_wait, inner)
    }
}

/// A view of one bulkhead in the [`Registry`](crate::Registry).
///
/// ```
/// for b in resilience_runtime::registry().bulkheads() {
///     println!("{}: {}/{} in flight, {} waiting", b.name(), b.in_flight(), b.max_concurrent(), b.waiting());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct BulkheadHandle(pub(crate) Arc<Bulkhead>);

impl std::ops::Deref for BulkheadHandle {
    type Target = Bulkhead;
    fn deref(&self) -> &Bulkhead {
        &self.0
    }
}
