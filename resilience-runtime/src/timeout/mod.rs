//! `#[timeout]`: cancel the call when its time is up.

mod future;

pub use future::{Lift, Nested, Timeout};

use crate::keyed::{self, Found};
use crate::label::{FnLabel, Name};
use crate::registry::{self, Entry, Registry};
use crate::snapshot::{Snapshot, TimeoutSnapshot};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The per-callsite state of one `#[timeout]`, held in a `static` the macro generates: its
/// name, and (feature `metrics`) its metric handles, registered on the first call.
///
/// The duration is given per call, so `#[timeout(self.config.deadline)]` works.
///
/// ```
/// use resilience_runtime::{timeout::TimeoutSite, Error, Failure};
/// use std::time::Duration;
///
/// static SITE: TimeoutSite = TimeoutSite::new("docs::slow");
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # tokio::time::pause();
/// let slow = async {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     Ok::<u32, Failure<std::io::Error>>(1)
/// };
/// let out = SITE.call(Duration::from_millis(100), slow).await;
/// assert!(matches!(out, Err(Failure::Policy(Error::Timeout { .. }))));
/// # }
/// ```
#[derive(Debug)]
pub struct TimeoutSite {
    name: Name,
    /// Calls ended (in time or timed out).
    calls: AtomicU64,
    timed_out: AtomicU64,
    /// Whether the site is in the registry (from its first call that waits).
    registered: AtomicBool,
    /// The configured duration in nanoseconds, [`ATTRIBUTE`] or [`DISABLED`]: the one load a
    /// call pays for configuration.
    #[cfg(feature = "config")]
    configured: AtomicU64,
    /// The configured values, `key = value`, for the snapshot.
    #[cfg(feature = "config")]
    shown: std::sync::Mutex<Vec<String>>,
    #[cfg(feature = "metrics")]
    counters: std::sync::OnceLock<crate::instruments::CallCounters>,
}

impl TimeoutSite {
    /// A site named `name` (the attribute's `name`, or `module::fn`).
    pub const fn new(name: &'static str) -> Self {
        TimeoutSite {
            name: Name::Fixed(name),
            calls: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            registered: AtomicBool::new(false),
            #[cfg(feature = "config")]
            configured: AtomicU64::new(ATTRIBUTE),
            #[cfg(feature = "config")]
            shown: std::sync::Mutex::new(Vec::new()),
            #[cfg(feature = "metrics")]
            counters: std::sync::OnceLock::new(),
        }
    }

    /// The site of a method whose default label names its type (see [`FnLabel`]).
    pub const fn of_method(mut self, label: &'static FnLabel) -> Self {
        self.name = Name::Method(label);
        self
    }

    /// The site's name.
    pub fn name(&self) -> &'static str {
        self.name.get()
    }

    /// Bounds `inner` by `after`: when the time is up the inner future is dropped (cancelled)
    /// and the call fails with [`Error::Timeout`](crate::Error::Timeout).
    ///
    /// The inner future is polled first; the timer starts when it first has to wait, so a
    /// call that completes at once never touches the timer wheel.
    #[inline]
    pub fn call<F: Future>(&'static self, after: Duration, inner: F) -> Timeout<F> {
        Timeout::new(self, after, Nested, inner)
    }

    /// [`call`](Self::call) around the function's body itself: `lift` turns the value the
    /// body returns into the layer's result, so the body needs no future of its own around it.
    ///
    /// ```
    /// use resilience_runtime::{timeout::TimeoutSite, Error, Failure};
    /// use resilience_runtime::__private::lift;
    /// use std::time::Duration;
    ///
    /// static SITE: TimeoutSite = TimeoutSite::new("docs::body");
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let out = SITE.run(Duration::from_millis(100), lift, async { Ok::<u32, std::io::Error>(7) });
    /// assert!(matches!(out.await, Ok(7)));
    /// # }
    /// ```
    #[inline]
    pub fn run<F: Future, L: Lift<F::Output>>(
        &'static self,
        after: Duration,
        lift: L,
        body: F,
    ) -> Timeout<F, L> {
        Timeout::new(self, after, lift, body)
    }

    /// Counts a call that ended: one relaxed add.
    /// `written` (the attribute's duration), or the configured one: one relaxed load, paid
    /// only by a call that has to wait (a ready call never starts its timer).
    #[inline]
    fn after(&self, written: Duration) -> Duration {
        #[cfg(feature = "config")]
        match self.configured.load(Ordering::Relaxed) {
            ATTRIBUTE => written,
            configured => configured_after(configured),
        }
        #[cfg(not(feature = "config"))]
        written
    }

    #[inline]
    fn ended(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a call cut short.
    #[cold]
    fn timed_out(&'static self) {
        self.timed_out.fetch_add(1, Ordering::Relaxed);
        self.ended();
    }

    /// A call has to wait (its timer starts): the site joins the registry on the first. A call
    /// that completes at its first poll never comes here, so it pays only [`ended`](Self::ended).
    /// In the process-wide registry: a timeout's counts change no behaviour, so test registries
    /// do not isolate them.
    #[inline]
    fn waits(&'static self) {
        if !self.registered.load(Ordering::Relaxed) {
            self.register();
        }
    }

    #[cold]
    #[inline(never)]
    fn register(&'static self) {
        if !self.registered.swap(true, Ordering::Relaxed) {
            registry::global().register(KIND, self.name.get(), false, || TimeoutEntry(self));
        }
    }

    #[cfg(feature = "metrics")]
    #[inline]
    fn counters(&self) -> &crate::instruments::CallCounters {
        self.counters
            .get_or_init(|| crate::instruments::CallCounters::new(self.name.get(), "timeout"))
    }
}

/// The registry's kind for timeouts (`[timeout.<name>]` in configuration).
const KIND: &str = "timeout";

/// `configured` when the attribute's duration stands.
#[cfg(feature = "config")]
const ATTRIBUTE: u64 = u64::MAX;
/// `configured` when `enabled = false`.
#[cfg(feature = "config")]
const DISABLED: u64 = u64::MAX - 1;

/// The duration a configured call waits for: out of line, so a call without configuration
/// pays one load and one comparison.
#[cfg(feature = "config")]
#[cold]
#[inline(never)]
fn configured_after(configured: u64) -> Duration {
    match configured {
        // Switched off: a timer that never fires (tokio caps it at its far future).
        DISABLED => Duration::MAX,
        nanos => Duration::from_nanos(nanos),
    }
}

#[cfg(feature = "config")]
fn show(configured: u64) -> String {
    match configured {
        ATTRIBUTE => "attribute".to_owned(),
        DISABLED => "off".to_owned(),
        n => resilience_grammar::duration::display(Duration::from_nanos(n)),
    }
}

/// A timeout callsite in the registry (its counts live in its `static`).
#[derive(Debug)]
struct TimeoutEntry(&'static TimeoutSite);

impl Entry for TimeoutEntry {
    fn kind(&self) -> &'static str {
        KIND
    }
    /// Timeout counts live in their callsites, process-wide.
    fn process_wide(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        self.0.name.get()
    }
    fn snapshot(&self, label: &str, into: &mut Snapshot) {
        into.timeouts.push(TimeoutSnapshot {
            name: label.to_owned(),
            calls: self.0.calls.load(Ordering::Relaxed),
            timed_out: self.0.timed_out.load(Ordering::Relaxed),
            #[cfg(feature = "config")]
            configured: registry::lock(&self.0.shown).clone(),
            #[cfg(not(feature = "config"))]
            configured: Vec::new(),
        });
    }
    #[cfg(feature = "config")]
    fn apply(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
        use crate::config::{Change, Value};
        let get = |key| table.and_then(|t| t.get(key));
        let new = match (get("enabled"), get("duration")) {
            (Some(Value::Enabled(false)), _) => DISABLED,
            (_, Some(Value::Duration(d))) => u64::try_from(d.as_nanos()).unwrap_or(DISABLED - 1),
            _ => ATTRIBUTE,
        };
        *registry::lock(&self.0.shown) = crate::config::shown_table(table);
        let old = self.0.configured.swap(new, Ordering::Relaxed);
        if old == new {
            return Vec::new();
        }
        let name = self.0.name.get();
        if (old == DISABLED) != (new == DISABLED) {
            // Switched off or back on: said as written.
            return vec![Change::new(
                KIND,
                name,
                "enabled",
                old != DISABLED,
                new != DISABLED,
            )];
        }
        vec![Change::new(KIND, name, "duration", show(old), show(new))]
    }
}

/// A view of one `#[timeout]` callsite in the [`Registry`].
///
/// ```
/// # use resilience_runtime as resilience;
/// for t in resilience::registry().timeouts() {
///     println!("{}: {} of {} calls timed out", t.name(), t.timed_out(), t.calls());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct TimeoutHandle {
    label: Arc<str>,
    site: &'static TimeoutSite,
}

impl TimeoutHandle {
    /// The timeout's name.
    pub fn name(&self) -> &str {
        &self.label
    }
    /// Calls that ended since the callsite's first: completed in time, or timed out.
    pub fn calls(&self) -> u64 {
        self.site.calls.load(Ordering::Relaxed)
    }
    /// Calls cut short with [`Error::Timeout`](crate::Error::Timeout) (each also counts in
    /// [`calls`](Self::calls)).
    pub fn timed_out(&self) -> u64 {
        self.site.timed_out.load(Ordering::Relaxed)
    }
}

fn handle(f: Found<TimeoutEntry>) -> TimeoutHandle {
    TimeoutHandle {
        label: f.label,
        site: f.instance.0,
    }
}

/// Timeouts: one entry per callsite, from its first call that waits. Counted per
/// callsite and process-wide, so [`registry()`](crate::registry) lists them even inside a test
/// registry.
impl Registry {
    /// Every timeout callsite seen so far, in order of first call.
    pub fn timeouts(&self) -> Vec<TimeoutHandle> {
        keyed::all(registry::global(), KIND)
            .into_iter()
            .map(handle)
            .collect()
    }

    /// The first timeout callsite called `name`, once one of its calls has waited.
    pub fn timeout(&self, name: &str) -> Option<TimeoutHandle> {
        keyed::find(registry::global(), KIND, name).map(handle)
    }
}
