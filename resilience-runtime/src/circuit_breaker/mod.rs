//! `#[circuit_breaker]`: stop calling a failing dependency, then probe it until it recovers.
//!
//! How it decides is in `state.rs`; the window in `window.rs`; this file ties a callsite's
//! `static` to its shared breaker and turns a call's result into what the breaker records.
//!
//! # The window
//!
//! Rates are computed over an exact window, the same one [`CircuitBreakerHandle::metrics`]
//! reports:
//!
//! * `window = 100` (the default): exactly the last 100 calls recorded while closed.
//! * `window = 60s`: the calls of the last 60 s, to a granularity of D/16 (buckets of 3.75 s
//!   here): a call younger than 15/16 of the window always counts, and a call as old as the
//!   window or older never does, however long the breaker was idle. (resilience4j's time
//!   window has one-second buckets.)
//!
//! A new window starts empty when the breaker closes after half-open, and on an operator's
//! `reset`: the calls that opened the breaker do not count against it again.
//!
//! The breaker decides when a failure or slow call is recorded, never on a success (a success
//! cannot raise a rate). So a window that reaches the threshold on a success opens at the next
//! failure: with `window = 4, min_calls = 4, failure_rate = 50%`, the calls F F S S leave the
//! breaker closed at 50%, and one more F (F S S F, still 50%) opens it. No rate decision is
//! taken while the window holds fewer than `min_calls` calls. `consecutive_failures` counts
//! failures since the last success, whatever the window.
//!
//! ```
//! # use resilience_runtime as resilience;
//! use resilience::CircuitState;
//! use resilience::circuit_breaker::{BreakerPolicy, Machine, Recorded, Window};
//! let quiet = |_: &_| {};
//! let policy = BreakerPolicy { window: Window::Calls(4), min_calls: 4, ..BreakerPolicy::DEFAULT };
//! let m = Machine::new("docs::window", policy, 0);
//! for outcome in [Recorded::Failure, Recorded::Success, Recorded::Success, Recorded::Success] {
//!     let ticket = m.try_acquire(|| 0, quiet).unwrap();
//!     m.record(ticket, outcome, false, || 0, quiet);
//! }
//! assert_eq!(m.window_counts(0), (4, 1, 0)); // the last 4 calls, one failed
//! let ticket = m.try_acquire(|| 0, quiet).unwrap();
//! m.record(ticket, Recorded::Success, false, || 0, quiet);
//! assert_eq!(m.window_counts(0), (4, 0, 0)); // the failure has left the window
//! assert_eq!(m.state(), CircuitState::Closed);
//! ```
//!
//! # Cost
//!
//! A closed call that succeeds in a count window costs one `Relaxed` load of the state word at
//! admission, one at recording, and a `fetch_add` on the calling thread's stripe of the success
//! counter (8 stripes, each on its own 128-byte line, taken round-robin by threads). (A failure
//! tells whether a success came since the last failure from that counter's sum, so a success
//! does nothing for `consecutive_failures`.) No lock, no
//! allocation, no clock unless `slow_call` is set. In a time window a success also reads the
//! clock and counts in its stripe's cell for the current bucket (still no lock and no shared
//! write). A failure or slow call takes the breaker's mutex: it is logged in order (its
//! position among all calls, or its bucket), and the window is read there to decide.
//!
//! # What counts
//!
//! * The body's `Err(e)` is a failure when `when(&e)` is true (every error by default);
//!   `Ok` is a success. A call lasting at least `slow_call` is also slow.
//! * `Timeout` and `Injected` from a layer beneath are failures; `BulkheadFull`,
//!   `RateLimited` and `CircuitOpen` from beneath are ignored (the dependency was not called).
//! * A panic is a failure (and keeps unwinding); a cancelled call (its future dropped) counts
//!   as nothing and gives its half-open slot back.
//! * A call admitted in one state that finishes after the breaker moved on is ignored.

mod config;
#[cfg(feature = "config")]
mod configure;
#[cfg(feature = "redis")]
mod fleet;
pub(crate) mod metrics;
pub(crate) mod state;
mod sync;
mod window;

pub use config::{BreakerPolicy, OpenFor, Window};
pub use metrics::CircuitMetrics;
pub use state::CircuitState;
#[doc(hidden)]
pub use state::{Machine, Recorded, Ticket, Transition};

use crate::Error;
use crate::instruments::{CallCounters, NamedGauge};
use crate::keyed::{self, KeyedSite};
use crate::label::{FnLabel, Name};
use crate::outcome::{Failure, Layered, PolicyError};
use crate::registry::{self, Entry, Registry};
use crate::snapshot::{CircuitBreakerSnapshot, Snapshot};
use std::sync::{Arc, OnceLock};
use tokio::time::Instant;

/// One circuit breaker, shared by every callsite with its `name`.
#[derive(Debug)]
pub struct CircuitBreaker {
    machine: Machine,
    /// Where the configuring callsite is (`file:line`).
    callsite: &'static str,
    origin: Instant,
    counters: CallCounters,
    state_gauge: NamedGauge,
    /// The key of a per-key breaker (`key = ..`), named in its transition events.
    key: Option<Arc<str>>,
    /// What configuration set (cold: apply and snapshot only).
    #[cfg(feature = "config")]
    settings: std::sync::Mutex<configure::Settings>,
    /// `scope`, `store_timeout`: the attribute's, or the configuration's.
    fleet: crate::fleet::FleetCell,
    /// Its tasks and messages with the fleet store.
    #[cfg(feature = "redis")]
    link: fleet::Link,
}

impl CircuitBreaker {
    /// A closed breaker.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, BreakerPolicy};
    /// use resilience_runtime::CircuitState;
    /// let b = CircuitBreaker::new("docs::payments", "docs.rs:1", BreakerPolicy::DEFAULT);
    /// assert_eq!(b.state(), CircuitState::Closed);
    /// ```
    pub fn new(name: &'static str, callsite: &'static str, policy: BreakerPolicy) -> Self {
        let state_gauge = NamedGauge::circuit_state(name);
        state_gauge.set(CircuitState::Closed as usize);
        CircuitBreaker {
            machine: Machine::new(name, policy, 0),
            callsite,
            origin: Instant::now(),
            counters: CallCounters::new(name, "circuit_breaker"),
            state_gauge,
            key: None,
            #[cfg(feature = "config")]
            settings: std::sync::Mutex::default(),
            fleet: crate::fleet::FleetCell::new(policy.fleet),
            #[cfg(feature = "redis")]
            link: fleet::Link::default(),
        }
    }

    /// This breaker as the one for `key` of its name (`key = ..`): its transitions name the
    /// key.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, BreakerPolicy};
    /// let b = CircuitBreaker::new("docs::hosts", "docs.rs:1", BreakerPolicy::DEFAULT).for_key("east");
    /// assert_eq!(b.key(), Some("east"));
    /// ```
    pub fn for_key(mut self, key: &str) -> Self {
        self.key = Some(Arc::from(key));
        self
    }

    /// The key of a per-key breaker.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The breaker's name.
    pub fn name(&self) -> &'static str {
        self.machine.name()
    }

    /// The callsite that configured it (`file:line`).
    pub fn callsite(&self) -> &'static str {
        self.callsite
    }

    /// The configuration it decides with: its first callsite's attribute, with the values
    /// configured at run time (feature `config`) over it.
    pub fn policy(&self) -> BreakerPolicy {
        self.machine.policy()
    }

    /// The configuration of its first callsite's attribute.
    pub fn written_policy(&self) -> &BreakerPolicy {
        self.machine.written_policy()
    }

    /// `name`, or `name[key]` for a per-key breaker: how events, configuration changes and
    /// other replicas know it.
    #[cfg_attr(not(any(feature = "config", feature = "redis")), allow(dead_code))]
    pub(crate) fn label(&self) -> String {
        match &self.key {
            Some(key) => format!("{}[{key}]", self.name()),
            None => self.name().to_owned(),
        }
    }

    /// Its state.
    pub fn state(&self) -> CircuitState {
        self.machine.state()
    }

    fn now(&self) -> u64 {
        u64::try_from(
            Instant::now()
                .saturating_duration_since(self.origin)
                .as_nanos(),
        )
        .unwrap_or(u64::MAX)
    }

    fn transition(&self) -> impl Fn(&Transition) + '_ {
        move |t: &Transition| self.transitioned(t)
    }

    /// A transition made here: the state gauge, telemetry, and (fleet scope) its publication.
    /// Out of line, so the closed path's code is the same with feature `redis` as without.
    #[cold]
    #[inline(never)]
    fn transitioned(&self, t: &Transition) {
        self.state_gauge.set(t.to as usize);
        crate::telemetry::circuit_transition(self.name(), self.key.as_ref(), t);
        #[cfg(feature = "redis")]
        self.publish(t);
    }

    /// Its fleet settings in force (`scope`, `store_timeout`).
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, BreakerPolicy};
    /// use resilience_runtime::fleet::Scope;
    /// let b = CircuitBreaker::new("docs::scope", "docs.rs:1", BreakerPolicy::DEFAULT);
    /// assert_eq!(b.fleet_policy().scope, Scope::Local);
    /// ```
    pub fn fleet_policy(&self) -> crate::fleet::FleetPolicy {
        self.fleet.get()
    }

    /// Admits a call (a [`Permit`] to hold while it runs), or rejects it with
    /// [`Error::CircuitOpen`] without running it.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, BreakerPolicy};
    /// let b = CircuitBreaker::new("docs::b", "docs.rs:1", BreakerPolicy::DEFAULT);
    /// b.handle_force_open();
    /// assert!(b.acquire().is_err());
    /// ```
    #[inline]
    pub fn acquire(&self) -> Result<Permit<'_>, Error> {
        match self.machine.closed() {
            Some(ticket) => Ok(self.permit(ticket)),
            None => self.acquire_other(),
        }
    }

    /// The permit of an admitted call: timed (`slow_call`, or a time window) when the breaker
    /// times its calls, so recording reads the clock.
    #[inline(always)]
    fn permit(&self, ticket: Ticket) -> Permit<'_> {
        let ticket = if self.machine.times_calls() {
            self.timed(ticket)
        } else {
            ticket
        };
        Permit {
            breaker: self,
            ticket,
        }
    }

    /// A timed call's ticket, with its start if `slow_call` will judge it.
    #[cold]
    #[inline(never)]
    fn timed(&self, ticket: Ticket) -> Ticket {
        match self.machine.slow_call() {
            Some(_) => ticket.started_at(self.now()),
            None => ticket.timed(),
        }
    }

    /// Admission in any state but closed: one call out of line, so the closed path keeps
    /// nothing of its own.
    #[cold]
    #[inline(never)]
    fn acquire_other(&self) -> Result<Permit<'_>, Error> {
        match self.machine.try_acquire(|| self.now(), self.transition()) {
            Ok(ticket) => Ok(self.permit(ticket)),
            Err(retry_after) => Err(self.rejected(retry_after)),
        }
    }

    #[cold]
    #[inline(never)]
    fn rejected(&self, retry_after: std::time::Duration) -> Error {
        self.counters.rejected();
        let error = Error::CircuitOpen {
            name: self.name(),
            retry_after,
        };
        crate::telemetry::rejected(&error);
        error
    }

    /// Records a call; its slowness is looked at only for a timed ticket (or a probe), off the
    /// untimed path.
    #[inline]
    fn record(&self, ticket: Ticket, outcome: Recorded) {
        if !self
            .machine
            .record_untimed(ticket, outcome, || self.now(), self.transition())
        {
            self.record_other(ticket, outcome);
        }
    }

    /// A probe, a timed call, or a call admitted in a state since left.
    #[cold]
    #[inline(never)]
    fn record_other(&self, ticket: Ticket, outcome: Recorded) {
        let slow = self.is_slow(ticket, outcome);
        self.machine
            .record_other(ticket, outcome, slow, || self.now(), self.transition());
    }

    /// Whether a call started for `slow_call` ran at least `slow_call` (as it is now).
    fn is_slow(&self, ticket: Ticket, outcome: Recorded) -> bool {
        match self.machine.slow_call() {
            Some(limit) if outcome != Recorded::Ignored => ticket
                .elapsed(self.now())
                .is_some_and(|elapsed| u128::from(elapsed) >= limit.as_nanos()),
            _ => false,
        }
    }

    /// The window's figures and the rejection count.
    pub fn metrics(&self) -> CircuitMetrics {
        let (calls, failures, slow) = self.machine.window_counts(self.now());
        let rate = |n: u64| {
            if calls > 0 {
                n as f64 / calls as f64
            } else {
                0.0
            }
        };
        CircuitMetrics {
            calls,
            failures,
            slow_calls: slow,
            failure_rate: rate(failures),
            slow_rate: rate(slow),
            rejected: self.machine.not_permitted(),
        }
    }

    /// See [`CircuitBreakerHandle::force_open`].
    #[doc(hidden)]
    pub fn handle_force_open(&self) {
        self.machine
            .force(CircuitState::ForcedOpen, self.now(), self.transition());
    }

    /// See [`CircuitBreakerHandle::disable`].
    #[doc(hidden)]
    pub fn handle_disable(&self) {
        self.machine
            .force(CircuitState::Disabled, self.now(), self.transition());
    }

    /// See [`CircuitBreakerHandle::reset`].
    #[doc(hidden)]
    pub fn handle_reset(&self) {
        self.machine
            .force(CircuitState::Closed, self.now(), self.transition());
    }
}

/// The admission of one call. Record its result with [`Permit::finish`]; dropped unfinished
/// it counts as cancelled (nothing recorded, half-open slot given back), or as a failure when
/// dropped by a panic.
#[derive(Debug)]
#[must_use = "a permit records nothing unless finished"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    /// Its admission; for a call timed for `slow_call`, its start too (see `Ticket`).
    ticket: Ticket,
}

impl Permit<'_> {
    /// Records the call's result and passes it on. `when(&e)` says whether the function's own
    /// error `e` is a failure.
    #[inline(always)]
    pub fn finish<T, E, P: PolicyError>(
        self,
        result: Layered<T, E, P>,
        when: impl FnOnce(&E) -> bool,
    ) -> Layered<T, E, P> {
        let outcome = match &result {
            Ok(_) => Recorded::Success,
            Err(Failure::Inner(e)) => {
                if when(e) {
                    Recorded::Failure
                } else {
                    Recorded::Success
                }
            }
            Err(Failure::Policy(p)) => match p.as_error() {
                Some(Error::Timeout { .. } | Error::Injected { .. }) => Recorded::Failure,
                _ => Recorded::Ignored,
            },
        };
        // Finished: no `Drop` (which records a cancellation or a panic).
        let this = std::mem::ManuallyDrop::new(self);
        this.breaker.record(this.ticket, outcome);
        this.breaker.counters.passed(result.is_ok());
        result
    }
}

impl Drop for Permit<'_> {
    /// Only an unfinished permit is dropped: the call was cancelled, or its body panicked.
    fn drop(&mut self) {
        let outcome = if std::thread::panicking() {
            Recorded::Failure
        } else {
            Recorded::Ignored
        };
        self.breaker.record(self.ticket, outcome);
    }
}

/// The per-callsite state of one `#[circuit_breaker]`, held in a `static` the macro generates.
///
/// Its first call registers it (callsites with one `name` share one breaker); after that a
/// call reads one initialised `OnceLock`.
///
/// ```
/// use resilience_runtime::circuit_breaker::{BreakerSite, BreakerPolicy};
/// use resilience_runtime::{Error, Failure};
/// static SITE: BreakerSite = BreakerSite::new("docs::site", "docs.rs:1");
/// let permit = SITE.acquire(BreakerPolicy::DEFAULT).unwrap();
/// let r: Result<u8, Failure<&str, Error>> = permit.finish(Ok(1), |_| true);
/// assert_eq!(r, Ok(1));
/// ```
#[derive(Debug)]
pub struct BreakerSite {
    name: Name,
    callsite: &'static str,
    shared: bool,
    /// The attribute's values, when all are literals ([`with`](Self::with)): what the first
    /// call registers the breaker with.
    policy: BreakerPolicy,
    /// The registry's breaker: its `Arc` is kept for good (leaked once per callsite), so a call
    /// reaches the breaker without going through the `Arc`.
    breaker: OnceLock<&'static CircuitBreaker>,
}

impl BreakerSite {
    /// A site named `name` (the attribute's `name`, or `module::fn`) written at `callsite`.
    pub const fn new(name: &'static str, callsite: &'static str) -> Self {
        BreakerSite {
            name: Name::Fixed(name),
            callsite,
            shared: true,
            policy: BreakerPolicy::DEFAULT,
            breaker: OnceLock::new(),
        }
    }

    /// The site with the attribute's values, which [`admit`](Self::admit) registers on the
    /// first call (the default is [`BreakerPolicy::DEFAULT`]).
    pub const fn with(mut self, policy: BreakerPolicy) -> Self {
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

    /// The site's breaker, registering it with `policy` on the first call.
    #[inline]
    pub fn breaker(&'static self, policy: BreakerPolicy) -> &'static CircuitBreaker {
        match self.breaker.get() {
            Some(b) => b,
            None => self.register(policy),
        }
    }

    /// The first call (every call, once test registries exist in the process).
    #[cold]
    fn register(&'static self, policy: BreakerPolicy) -> &'static CircuitBreaker {
        registry::callsite_instance(self, &self.breaker, |reg| self.register_in(reg, policy))
    }

    /// The breaker for this callsite in `reg`, created with `policy` if this is the first
    /// callsite of its name; a later callsite with another policy keeps the first and is warned
    /// about.
    fn register_in(&self, reg: &Registry, policy: BreakerPolicy) -> Arc<CircuitBreaker> {
        let (b, made) = reg.register(KIND, self.name.get(), self.shared, || {
            CircuitBreaker::new(self.name.get(), self.callsite, policy)
        });
        #[cfg(feature = "redis")]
        if made {
            b.enlist();
        }
        if !made && *b.written_policy() != policy {
            crate::telemetry::circuit_config_conflict(self.name.get(), b.callsite(), self.callsite);
        }
        b
    }

    /// Admits a call or rejects it; see [`CircuitBreaker::acquire`].
    #[inline]
    pub fn acquire(&'static self, policy: BreakerPolicy) -> Result<Permit<'static>, Error> {
        self.acquire_with(|| policy)
    }

    /// Admits a call or rejects it, with the site's own policy ([`with`](Self::with)): what
    /// the generated code calls when every value of the attribute is a literal.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{BreakerPolicy, BreakerSite};
    /// static SITE: BreakerSite = BreakerSite::new("docs::admit", "docs.rs:1")
    ///     .with(BreakerPolicy { min_calls: 5, ..BreakerPolicy::DEFAULT });
    /// assert!(SITE.admit().is_ok());
    /// ```
    #[inline(always)]
    pub fn admit(&'static self) -> Result<Permit<'static>, Error> {
        match self.breaker.get() {
            Some(b) => b.acquire(),
            None => self.admit_first(),
        }
    }

    /// [`admit`](Self::admit)'s first call, which registers the breaker with the site's own
    /// policy: out of line, so the policy is never copied where the call is.
    #[cold]
    #[inline(never)]
    fn admit_first(&'static self) -> Result<Permit<'static>, Error> {
        self.register(self.policy).acquire()
    }

    /// [`acquire`](Self::acquire), building the policy only on the first call, which registers
    /// the breaker: what the generated code calls, so a call after the first never writes the
    /// policy out (96 bytes).
    #[inline(always)]
    pub fn acquire_with(
        &'static self,
        policy: impl FnOnce() -> BreakerPolicy,
    ) -> Result<Permit<'static>, Error> {
        let breaker = match self.breaker.get() {
            Some(b) => b,
            None => self.register(policy()),
        };
        breaker.acquire()
    }
}

/// The generated code's rejection: `Err(Failure::Policy(error))`.
#[doc(hidden)]
#[inline]
pub fn rejected<T, E>(error: Error) -> Layered<T, E, Error> {
    Err(Failure::Policy(error))
}

/// Counts every error as a failure: the predicate used when `#[circuit_breaker]` has no `when`.
#[doc(hidden)]
#[inline]
pub fn every_error_fails<E>(_: &E) -> bool {
    true
}

/// The registry's kind for breakers (`[circuit_breaker.<name>]` in configuration).
const KIND: &str = "circuit_breaker";

impl Entry for CircuitBreaker {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn name(&self) -> &'static str {
        self.machine.name()
    }
    fn snapshot(&self, label: &str, into: &mut Snapshot) {
        into.circuit_breakers.push(CircuitBreakerSnapshot {
            name: label.to_owned(),
            state: self.state(),
            metrics: self.metrics(),
            #[cfg(feature = "config")]
            configured: registry::lock(&self.settings).configured.clone(),
            #[cfg(not(feature = "config"))]
            configured: Vec::new(),
        });
    }
    /// The rules between keys, over the attribute's values.
    #[cfg(feature = "config")]
    fn check(&self, table: &crate::config::Table) -> Result<(), crate::config::Refused> {
        // A per-key family takes `max_keys` before its breakers see the table.
        crate::config::no_max_keys(KIND, table)?;
        configure::check(self.written_policy(), table)
    }
    #[cfg(feature = "config")]
    fn apply(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
        let mut changes = self.apply_config(table);
        changes.extend(self.fleet.apply(KIND, self.name(), table));
        #[cfg(feature = "redis")]
        if changes.iter().any(|c| c.key == "scope") {
            self.fleet_scope_changed();
        }
        changes
    }
}

/// The per-callsite state of one `#[circuit_breaker(name = "..", key = ..)]`: one breaker per
/// value of the key, created on first use with the callsite's policy, listed as `name[key]`.
///
/// ```
/// use resilience_runtime::circuit_breaker::{BreakerPolicy, KeyedBreakerSite};
/// static SITE: KeyedBreakerSite = KeyedBreakerSite::new("docs::upstream", 1000);
/// let a = SITE.breaker("a.example", || BreakerPolicy::DEFAULT);
/// a.handle_force_open();
/// assert!(a.acquire().is_err());
/// assert!(SITE.breaker("b.example", || BreakerPolicy::DEFAULT).acquire().is_ok());
/// let reg = resilience_runtime::registry();
/// assert!(reg.circuit_breaker("docs::upstream[a.example]").is_some());
/// ```
pub type KeyedBreakerSite = KeyedSite<CircuitBreaker>;

impl KeyedSite<CircuitBreaker> {
    /// A keyed site named `name`, keeping at most `max_keys` breakers.
    pub const fn new(name: &'static str, max_keys: usize) -> Self {
        KeyedSite::of(KIND, name, max_keys)
    }

    /// The breaker for `key`, created with `policy` on the key's first call. The generated
    /// code admits the call through it ([`CircuitBreaker::acquire`]).
    #[inline]
    pub fn breaker(
        &'static self,
        key: &str,
        policy: impl FnOnce() -> BreakerPolicy,
    ) -> Arc<CircuitBreaker> {
        let name = self.name();
        self.instance(key, || CircuitBreaker::new(name, "", policy()).for_key(key))
    }
}

/// A view of one breaker in the [`Registry`], with operator overrides.
///
/// ```
/// # use resilience_runtime as resilience;
/// # let reg = resilience::registry();
/// if let Some(b) = reg.circuit_breaker("payments") {
///     println!("{} is {} ({:?})", b.name(), b.state(), b.metrics());
///     b.reset();
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CircuitBreakerHandle {
    label: Arc<str>,
    breaker: Arc<CircuitBreaker>,
}

impl CircuitBreakerHandle {
    /// The breaker's name, or `name[key]` for a per-key breaker.
    pub fn name(&self) -> &str {
        &self.label
    }
    /// Its state.
    pub fn state(&self) -> CircuitState {
        self.breaker.state()
    }
    /// Its window's figures and rejection count.
    pub fn metrics(&self) -> CircuitMetrics {
        self.breaker.metrics()
    }
    /// The configuration it decides with: the first callsite's attribute that used this name,
    /// with the values configured at run time over it.
    pub fn policy(&self) -> BreakerPolicy {
        self.breaker.policy()
    }

    /// Its fleet settings in force: `scope` and `store_timeout`, from the attribute or the
    /// configuration.
    pub fn fleet_policy(&self) -> crate::fleet::FleetPolicy {
        self.breaker.fleet_policy()
    }
    /// Rejects every call until [`reset`](Self::reset).
    pub fn force_open(&self) {
        self.breaker.handle_force_open()
    }
    /// Lets every call through and records nothing until [`reset`](Self::reset).
    pub fn disable(&self) {
        self.breaker.handle_disable()
    }
    /// Closed, with an empty window and `open_for` back to its first value.
    pub fn reset(&self) {
        self.breaker.handle_reset()
    }
}

// How the registry's lookup becomes a handle: internal (`Found` is the crate's own).
#[doc(hidden)]
impl From<keyed::Found<CircuitBreaker>> for CircuitBreakerHandle {
    fn from(f: keyed::Found<CircuitBreaker>) -> Self {
        CircuitBreakerHandle {
            label: f.label,
            breaker: f.instance,
        }
    }
}

/// Circuit breakers: one entry per name (per key with `key = ..`), created by its first call.
impl Registry {
    /// Every circuit breaker seen so far, in order of first call (the keys of one name in key
    /// order).
    pub fn circuit_breakers(&self) -> Vec<CircuitBreakerHandle> {
        keyed::all(self, KIND).into_iter().map(Into::into).collect()
    }

    /// The circuit breaker called `name` (or `name[key]`), once a callsite with that name has
    /// run.
    pub fn circuit_breaker(&self, name: &str) -> Option<CircuitBreakerHandle> {
        keyed::find(self, KIND, name).map(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakers_and_permits_cross_threads() {
        fn is<T: Send + Sync>() {}
        is::<CircuitBreaker>();
        is::<Permit<'static>>();
        is::<CircuitBreakerHandle>();
    }
}
