//! `#[rate_limit]`: GCRA (`governor`) on tokio's clock. A call that would get a permit within
//! `max_wait` sleeps until then; otherwise it fails with [`Error::RateLimited`] carrying the
//! exact time until a permit frees.
//!
//! A waiting caller holds nothing: it sleeps until the earliest permit and asks again, so a
//! cancelled wait costs no permit.

mod blocking;
mod clock;
#[cfg(feature = "config")]
mod configure;
#[cfg(feature = "redis")]
mod fleet;
mod rate;
mod state;

pub use clock::{TokioClock, TokioInstant};
pub use rate::Rate;

use crate::Error;
use crate::instruments::CallCounters;
use crate::keyed::{self, KeyedSite};
use crate::label::{FnLabel, Name};
use crate::outcome::{Failure, Layered};
use crate::registry::{self, Entry, Registry};
use crate::snapshot::{RateLimiterSnapshot, Snapshot};
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::NotKeyed;
use governor::{Quota, RateLimiter as Gcra};
use pin_project_lite::pin_project;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// The settings of one `#[rate_limit(rate = count/per, burst, max_wait)]`.
///
/// ```
/// # mod resilience { pub use resilience_runtime::rate_limit::RateLimitPolicy; }
/// use resilience::RateLimitPolicy;
/// use std::time::Duration;
/// let p = RateLimitPolicy::new(100, Duration::from_secs(1));
/// assert_eq!(p.burst, 100);
/// assert_eq!(p.max_wait, Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// Permits per `per`.
    pub count: u32,
    /// The period of `count` permits.
    pub per: Duration,
    /// Permits that may be taken at once after a quiet spell.
    pub burst: u32,
    /// How long a caller may wait for a permit before failing; zero fails at once.
    pub max_wait: Duration,
}

impl RateLimitPolicy {
    /// `count` permits per `per`, a burst of `count`, no waiting.
    pub const fn new(count: u32, per: Duration) -> Self {
        RateLimitPolicy {
            count,
            per,
            burst: count,
            max_wait: Duration::ZERO,
        }
    }

    fn quota(&self) -> Quota {
        let count = self.count.max(1);
        let period = (self.per / count).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

type Limiter = Gcra<NotKeyed, state::Tat, TokioClock, NoOpMiddleware<TokioInstant>>;

/// One rate limiter: shared by every callsite with its `name`.
///
/// ```
/// # mod resilience { pub use resilience_runtime::rate_limit::{RateLimitPolicy, RateLimiter}; }
/// use resilience::{RateLimitPolicy, RateLimiter};
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let l = RateLimiter::new("docs::api", RateLimitPolicy::new(2, Duration::from_secs(1)));
/// assert!(l.try_acquire().is_ok());
/// assert!(l.try_acquire().is_ok());
/// assert_eq!(l.try_acquire(), Err(Duration::from_millis(500)));
/// # }
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    name: &'static str,
    policy: RateLimitPolicy,
    gcra: Limiter,
    admitted: AtomicU64,
    rejected: AtomicU64,
    counters: CallCounters,
    /// Whether configuration swapped in another limiter or switched it off: the one load a
    /// call pays for configuration.
    #[cfg(feature = "config")]
    configured: std::sync::atomic::AtomicBool,
    /// The configured `max_wait` in nanoseconds, or `configure::ATTRIBUTE`: read only by a
    /// call that found no permit.
    #[cfg(feature = "config")]
    configured_wait: AtomicU64,
    #[cfg(feature = "config")]
    settings: std::sync::Mutex<configure::Settings>,
    /// `scope`, `on_store_error`, `store_timeout`: the attribute's or the configuration's.
    fleet: crate::fleet::FleetCell,
    #[cfg(feature = "redis")]
    remote: fleet::Remote,
}

impl RateLimiter {
    /// A limiter with `policy`'s rate and burst (its `max_wait` is per call).
    pub fn new(name: &'static str, policy: RateLimitPolicy) -> Self {
        RateLimiter::with_fleet(name, policy, crate::fleet::FleetPolicy::LOCAL)
    }

    /// A limiter whose state lives where `fleet` says (`scope = fleet`: on Redis).
    ///
    /// ```
    /// # mod resilience { pub use resilience_runtime::{fleet, rate_limit::{RateLimitPolicy, RateLimiter}}; }
    /// use resilience::fleet::{FleetPolicy, Scope};
    /// use resilience::{RateLimitPolicy, RateLimiter};
    /// let fleet = FleetPolicy { scope: Scope::Fleet, ..FleetPolicy::LOCAL };
    /// let l = RateLimiter::with_fleet("docs::with_fleet", RateLimitPolicy::new(5, std::time::Duration::from_secs(1)), fleet);
    /// assert_eq!(l.fleet_policy().scope, Scope::Fleet);
    /// ```
    pub fn with_fleet(
        name: &'static str,
        policy: RateLimitPolicy,
        fleet: crate::fleet::FleetPolicy,
    ) -> Self {
        RateLimiter {
            name,
            policy,
            gcra: Gcra::new(policy.quota(), state::Tat::default(), TokioClock),
            admitted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            counters: CallCounters::new(name, "rate_limit"),
            #[cfg(feature = "config")]
            configured: std::sync::atomic::AtomicBool::new(false),
            #[cfg(feature = "config")]
            configured_wait: AtomicU64::new(configure::ATTRIBUTE),
            #[cfg(feature = "config")]
            settings: std::sync::Mutex::default(),
            fleet: crate::fleet::FleetCell::new(fleet),
            #[cfg(feature = "redis")]
            remote: fleet::Remote::default(),
        }
    }

    /// Its fleet settings in force (`scope`, `on_store_error`, `store_timeout`).
    ///
    /// ```
    /// # mod resilience { pub use resilience_runtime::{fleet, rate_limit::{RateLimitPolicy, RateLimiter}}; }
    /// use resilience::fleet::Scope;
    /// use resilience::{RateLimitPolicy, RateLimiter};
    /// let l = RateLimiter::new("docs::fleet", RateLimitPolicy::new(5, std::time::Duration::from_secs(1)));
    /// assert_eq!(l.fleet_policy().scope, Scope::Local);
    /// ```
    pub fn fleet_policy(&self) -> crate::fleet::FleetPolicy {
        self.fleet.get()
    }

    /// Takes a permit now, or says how long until one frees.
    #[inline]
    pub fn try_acquire(&self) -> Result<(), Duration> {
        #[cfg(feature = "config")]
        if self.configured.load(Ordering::Relaxed) {
            return self.try_acquire_configured();
        }
        self.take_from(&self.gcra)
    }

    /// Takes a permit of `gcra` now, or says how long until one frees.
    #[inline]
    fn take_from(&self, gcra: &Limiter) -> Result<(), Duration> {
        match gcra.check() {
            Ok(()) => {
                self.admitted.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(not_until) => Err(not_until.wait_time_from(TokioClock.now())),
        }
    }

    /// Takes a permit, sleeping for it if it frees within `max_wait`; else
    /// [`Error::RateLimited`] with the time until it frees.
    ///
    /// ```
    /// # mod resilience { pub use resilience_runtime::{Error, rate_limit::{RateLimitPolicy, RateLimiter}}; }
    /// use resilience::{Error, RateLimitPolicy, RateLimiter};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let l = RateLimiter::new("docs::wait", RateLimitPolicy::new(1, Duration::from_secs(1)));
    /// l.acquire(Duration::ZERO).await.unwrap();
    /// let e = l.acquire(Duration::from_millis(10)).await.unwrap_err();
    /// assert_eq!(e, Error::RateLimited { name: "docs::wait", retry_after: Duration::from_secs(1) });
    /// l.acquire(Duration::from_secs(2)).await.unwrap(); // sleeps one second
    /// # }
    /// ```
    pub async fn acquire(&self, max_wait: Duration) -> Result<(), Error> {
        #[cfg(feature = "redis")]
        if self.fleet.is_fleet() {
            return self
                .acquire_fleet(tokio::time::Instant::now() + max_wait)
                .await;
        }
        let wait = match self.try_acquire() {
            Ok(()) => return Ok(()),
            Err(wait) => wait,
        };
        self.acquire_after(wait, tokio::time::Instant::now() + self.max_wait(max_wait))
            .await
    }

    /// Runs `inner` once a permit is taken (waiting up to `max_wait` for it): what a per-key
    /// limiter's call does.
    ///
    /// ```
    /// use resilience_runtime::{rate_limit::{RateLimiter, RateLimitPolicy}, Failure};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let l = RateLimiter::new("docs::run", RateLimitPolicy::new(1, Duration::from_secs(1)));
    /// assert_eq!(l.run(Duration::ZERO, async { Ok::<u8, Failure<()>>(1) }).await, Ok(1));
    /// assert!(l.run(Duration::ZERO, async { Ok::<u8, Failure<()>>(2) }).await.is_err());
    /// # }
    /// ```
    // Not in the docs: `resilience` exports no `Failure` to call it with.
    #[doc(hidden)]
    pub async fn run<F, T, E>(&self, max_wait: Duration, inner: F) -> Layered<T, E>
    where
        F: Future<Output = Layered<T, E>>,
    {
        if let Err(e) = self.acquire(max_wait).await {
            return Err(Failure::Policy(e));
        }
        let out = inner.await;
        self.counters.passed(out.is_ok());
        out
    }

    /// The waiting part of [`acquire`](Self::acquire): the next permit is `wait` away.
    async fn acquire_after(
        &self,
        mut wait: Duration,
        deadline: tokio::time::Instant,
    ) -> Result<(), Error> {
        loop {
            if tokio::time::Instant::now() + wait > deadline {
                return Err(self.refuse(wait));
            }
            tokio::time::sleep(wait).await;
            wait = match self.try_acquire() {
                Ok(()) => return Ok(()),
                Err(wait) => wait,
            };
        }
    }

    /// Takes a local permit, waiting for it until `deadline`.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    async fn acquire_local(&self, deadline: tokio::time::Instant) -> Result<(), Error> {
        match self.try_acquire() {
            Ok(()) => Ok(()),
            Err(wait) => self.acquire_after(wait, deadline).await,
        }
    }

    /// Counts and logs a refusal: the next permit is `wait` away, past the caller's wait.
    fn refuse(&self, wait: Duration) -> Error {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        self.counters.rejected();
        let error = Error::RateLimited {
            name: self.name,
            retry_after: wait,
        };
        crate::telemetry::rejected(&error);
        error
    }

    /// `written` (a callsite's `max_wait`), or the configured one: read only by a call that
    /// found no permit.
    #[inline]
    pub(crate) fn max_wait(&self, written: Duration) -> Duration {
        #[cfg(feature = "config")]
        {
            let configured = self.configured_wait.load(Ordering::Relaxed);
            if configured != configure::ATTRIBUTE {
                return Self::configured_wait(configured);
            }
        }
        written
    }

    /// The limiter's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// Its rate and burst (with the `max_wait` of the first callsite): the first callsite's,
    /// or as configured at run time.
    pub fn policy(&self) -> RateLimitPolicy {
        #[cfg(feature = "config")]
        return self.effective_policy();
        #[cfg(not(feature = "config"))]
        self.policy
    }
    /// Calls let through so far.
    pub fn admitted(&self) -> u64 {
        self.admitted.load(Ordering::Relaxed)
    }
    /// Calls refused with [`Error::RateLimited`] so far.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

/// The per-callsite state of one `#[rate_limit]`, held in a `static` the macro generates;
/// callsites with one `name` share one [`RateLimiter`] through the registry.
///
/// ```
/// use resilience_runtime::rate_limit::{RateLimitSite, RateLimitPolicy};
/// use resilience_runtime::{Error, Failure};
/// use std::time::Duration;
/// static SITE: RateLimitSite = RateLimitSite::new("docs::rate_site");
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let p = RateLimitPolicy::new(1, Duration::from_secs(1));
/// assert_eq!(SITE.call(p, async { Ok::<u8, Failure<()>>(1) }).await, Ok(1));
/// let second = SITE.call(p, async { Ok::<u8, Failure<()>>(2) }).await;
/// assert!(matches!(second, Err(Failure::Policy(Error::RateLimited { .. }))));
/// # }
/// ```
#[derive(Debug)]
pub struct RateLimitSite {
    name: Name,
    shared: bool,
    limiter: OnceLock<&'static RateLimiter>,
}

impl RateLimitSite {
    /// A site named `name` (the attribute's `name`, or `module::fn`).
    pub const fn new(name: &'static str) -> Self {
        RateLimitSite {
            name: Name::Fixed(name),
            shared: true,
            limiter: OnceLock::new(),
        }
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

    /// The site's limiter, registered on first use with `policy`.
    #[inline]
    pub fn limiter(&'static self, policy: RateLimitPolicy) -> &'static RateLimiter {
        self.limiter_with(policy, &crate::fleet::FleetPolicy::LOCAL)
    }

    /// The site's limiter, registered on first use with `policy` and `fleet`.
    #[inline]
    fn limiter_with(
        &'static self,
        policy: RateLimitPolicy,
        fleet: &crate::fleet::FleetPolicy,
    ) -> &'static RateLimiter {
        match self.limiter.get() {
            Some(l) => l,
            // The policy goes out of line in its fields: a struct passed by reference would be
            // written to the stack on every call, not only on this one.
            None => self.register(
                (policy.count, policy.burst),
                policy.per,
                policy.max_wait,
                fleet,
            ),
        }
    }

    /// The first call (every call, once test registries exist in the process).
    #[cold]
    #[inline(never)]
    fn register(
        &'static self,
        (count, burst): (u32, u32),
        per: Duration,
        max_wait: Duration,
        fleet: &crate::fleet::FleetPolicy,
    ) -> &'static RateLimiter {
        let policy = RateLimitPolicy {
            count,
            per,
            burst,
            max_wait,
        };
        let fleet = *fleet;
        registry::callsite_instance(self, &self.limiter, |reg| {
            self.register_in(reg, policy, fleet)
        })
    }

    fn register_in(
        &self,
        reg: &Registry,
        policy: RateLimitPolicy,
        fleet: crate::fleet::FleetPolicy,
    ) -> Arc<RateLimiter> {
        let (l, made) = reg.register(KIND, self.name.get(), self.shared, || {
            RateLimiter::with_fleet(self.name.get(), policy, fleet)
        });
        let kept = l.policy;
        if !made && (kept.count, kept.per, kept.burst) != (policy.count, policy.per, policy.burst) {
            crate::telemetry::shared_config_conflict("rate limit", self.name.get());
        }
        l
    }

    /// Runs `inner` once a permit is taken: a free one is taken right here, else the returned
    /// future waits for one (up to `policy.max_wait`) before running `inner`.
    #[inline]
    pub fn call<F>(&'static self, policy: RateLimitPolicy, inner: F) -> RateLimitCall<F> {
        Self::admit(self.limiter(policy), policy, inner)
    }

    /// The admission of a call on `limiter`, decided here: a free permit is taken at once.
    #[inline]
    fn admit<F>(
        limiter: &'static RateLimiter,
        policy: RateLimitPolicy,
        inner: F,
    ) -> RateLimitCall<F> {
        RateLimitCall {
            waiting: limiter.admission(policy.max_wait),
            inner,
            limiter,
        }
    }

    /// [`call`](Self::call) for an attribute that writes `scope`, `on_store_error` or
    /// `store_timeout`: the limiter is registered with `fleet`.
    ///
    /// ```
    /// use resilience_runtime::__private::{FleetPolicy, RateLimitPolicy, RateLimitSite, Scope};
    /// use resilience_runtime::Failure;
    /// use std::time::Duration;
    /// static SITE: RateLimitSite = RateLimitSite::new("docs::fleet_site");
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let fleet = FleetPolicy { scope: Scope::Fleet, ..FleetPolicy::LOCAL };
    /// let p = RateLimitPolicy::new(1, Duration::from_secs(1));
    /// // No fleet store connected: the limit is local (and says so once).
    /// assert_eq!(SITE.fleet_call(p, fleet, async { Ok::<u8, Failure<()>>(1) }).await, Ok(1));
    /// assert!(SITE.fleet_call(p, fleet, async { Ok::<u8, Failure<()>>(2) }).await.is_err());
    /// # }
    /// ```
    #[inline]
    pub fn fleet_call<F>(
        &'static self,
        policy: RateLimitPolicy,
        fleet: crate::fleet::FleetPolicy,
        inner: F,
    ) -> RateLimitCall<F> {
        Self::admit(self.limiter_with(policy, &fleet), policy, inner)
    }
}

impl RateLimiter {
    /// A call's admission: fleet (feature `redis`), configured, or the attribute's limiter (one
    /// relaxed load for each of the first two). Only the last is inline: a free permit costs
    /// the limiter's check and one count; every other way is out of line.
    #[inline]
    fn admission(&'static self, max_wait: Duration) -> Admission {
        #[cfg(feature = "redis")]
        if self.fleet.is_fleet() {
            return self.fleet_admission(max_wait);
        }
        #[cfg(feature = "config")]
        if self.configured.load(Ordering::Relaxed) {
            return self.configured_admission(max_wait);
        }
        match self.gcra.check() {
            Ok(()) => {
                self.admitted.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(not_until) => {
                let now = TokioClock.now();
                self.refused(not_until.wait_time_from(now), now.instant(), max_wait)
            }
        }
    }

    /// The admission of a configured limiter (or of one switched off).
    #[cfg(feature = "config")]
    #[cold]
    #[inline(never)]
    fn configured_admission(&'static self, max_wait: Duration) -> Admission {
        match self.try_acquire_configured() {
            Ok(()) => None,
            Err(wait) => self.refused(wait, tokio::time::Instant::now(), max_wait),
        }
    }

    /// No permit `now`: the next one is `wait` away, and the call may wait `max_wait` (or the
    /// configured wait) for it.
    #[cold]
    #[inline(never)]
    fn refused(
        &'static self,
        wait: Duration,
        now: tokio::time::Instant,
        max_wait: Duration,
    ) -> Admission {
        let deadline = now + self.max_wait(max_wait);
        Some(Box::pin(self.acquire_after(wait, deadline)))
    }

    /// A fleet call: Redis is asked when the future is first polled.
    #[cfg(feature = "redis")]
    #[cold]
    #[inline(never)]
    fn fleet_admission(&'static self, max_wait: Duration) -> Admission {
        let deadline = tokio::time::Instant::now() + self.max_wait(max_wait);
        Some(Box::pin(self.acquire_fleet(deadline)))
    }
}

/// Where a [`RateLimitCall`] stands: `None` once its permit is taken; else the wait for one
/// (sleeping for the next permit, or asking Redis for it), made when the call is built and run
/// when it is polled (boxed: the rare path keeps its timer off the future, and the admitted
/// path stores one null pointer).
type Admission = Option<Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>>;

pin_project! {
    /// A call behind a rate limit; built by [`RateLimitSite::call`].
    #[must_use = "futures do nothing unless polled"]
    pub struct RateLimitCall<F> {
        #[pin]
        inner: F,
        limiter: &'static RateLimiter,
        waiting: Admission,
    }
}

impl<F: std::fmt::Debug> std::fmt::Debug for RateLimitCall<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitCall")
            .field("inner", &self.inner)
            .field("limiter", &self.limiter.name)
            .field("admitted", &self.waiting.is_none())
            .finish()
    }
}

impl<F, T, E> Future for RateLimitCall<F>
where
    F: Future<Output = Layered<T, E>>,
{
    type Output = Layered<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(waiting) = this.waiting {
            match poll_waiting(waiting.as_mut(), cx.waker()) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => *this.waiting = None,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Failure::Policy(e))),
            }
        }
        let out = std::task::ready!(this.inner.poll(cx));
        this.limiter.counters.passed(out.is_ok());
        Poll::Ready(out)
    }
}

/// Polls the wait for a permit, out of line. It takes the waker, not the caller's `Context`:
/// a `Context` whose address went to a call would be written to the stack on every call,
/// not only on this one. (On stable Rust a `Context` carries nothing but its waker.)
#[cold]
#[inline(never)]
fn poll_waiting(
    waiting: Pin<&mut (dyn Future<Output = Result<(), Error>> + Send)>,
    waker: &Waker,
) -> Poll<Result<(), Error>> {
    waiting.poll(&mut Context::from_waker(waker))
}

/// The registry's kind for rate limiters (`[rate_limit.<name>]` in configuration).
const KIND: &str = "rate_limit";

impl Entry for RateLimiter {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn snapshot(&self, label: &str, into: &mut Snapshot) {
        let p = self.policy();
        into.rate_limiters.push(RateLimiterSnapshot {
            name: label.to_owned(),
            count: p.count,
            per_ms: u64::try_from(p.per.as_millis()).unwrap_or(u64::MAX),
            burst: p.burst,
            admitted: self.admitted(),
            rejected: self.rejected(),
            #[cfg(feature = "config")]
            configured: registry::lock(&self.settings).configured.clone(),
            #[cfg(not(feature = "config"))]
            configured: Vec::new(),
        });
    }
    /// The fleet keys (`scope`, `on_store_error`, `store_timeout`) go to the fleet settings,
    /// the others are retuned here; each was checked when the configuration was read. (A
    /// per-key family takes `max_keys` before its instances see the table.)
    #[cfg(feature = "config")]
    fn check(&self, table: &crate::config::Table) -> Result<(), crate::config::Refused> {
        crate::config::no_max_keys(KIND, table)
    }
    #[cfg(feature = "config")]
    fn apply(&self, table: Option<&crate::config::Table>) -> Vec<crate::config::Change> {
        let mut changes = self.apply_config(table);
        changes.extend(self.fleet.apply(KIND, self.name, table));
        changes
    }
}

/// The per-callsite state of one `#[rate_limit(name = "..", key = ..)]`: one limiter per value
/// of the key, created on first use with the callsite's rate, listed as `name[key]`.
///
/// ```
/// use resilience_runtime::rate_limit::{KeyedRateLimitSite, RateLimitPolicy};
/// use std::time::Duration;
/// static SITE: KeyedRateLimitSite = KeyedRateLimitSite::new("docs::per_user", 1000);
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let p = RateLimitPolicy::new(1, Duration::from_secs(1));
/// assert!(SITE.limiter("ann", p).try_acquire().is_ok());
/// assert!(SITE.limiter("ann", p).try_acquire().is_err());
/// assert!(SITE.limiter("bob", p).try_acquire().is_ok());
/// # }
/// ```
pub type KeyedRateLimitSite = KeyedSite<RateLimiter>;

impl KeyedSite<RateLimiter> {
    /// A keyed site named `name`, keeping at most `max_keys` limiters.
    pub const fn new(name: &'static str, max_keys: usize) -> Self {
        KeyedSite::of(KIND, name, max_keys)
    }

    /// The limiter for `key`, created with `policy`'s rate on the key's first call; the
    /// generated code runs the call through it with `RateLimiter::run`.
    #[inline]
    pub fn limiter(&'static self, key: &str, policy: RateLimitPolicy) -> Arc<RateLimiter> {
        let name = self.name();
        self.instance(key, || RateLimiter::new(name, policy))
    }
}

/// A view of one rate limiter in the [`Registry`]; it derefs to the [`RateLimiter`].
///
/// ```
/// # use resilience_runtime as resilience;
/// for l in resilience::registry().rate_limiters() {
///     println!("{}: {} let through, {} refused", l.name(), l.admitted(), l.rejected());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RateLimiterHandle {
    label: Arc<str>,
    limiter: Arc<RateLimiter>,
}

impl RateLimiterHandle {
    /// The limiter's name, or `name[key]` for a per-key limiter.
    pub fn name(&self) -> &str {
        &self.label
    }
}

impl std::ops::Deref for RateLimiterHandle {
    type Target = RateLimiter;
    fn deref(&self) -> &RateLimiter {
        &self.limiter
    }
}

// How the registry's lookup becomes a handle: internal (`Found` is the crate's own).
#[doc(hidden)]
impl From<keyed::Found<RateLimiter>> for RateLimiterHandle {
    fn from(f: keyed::Found<RateLimiter>) -> Self {
        RateLimiterHandle {
            label: f.label,
            limiter: f.instance,
        }
    }
}

/// Rate limiters: one entry per name (per key with `key = ..`), created by its first call.
impl Registry {
    /// Every rate limiter seen so far, in order of first call (the keys of one name in key
    /// order).
    pub fn rate_limiters(&self) -> Vec<RateLimiterHandle> {
        keyed::all(self, KIND).into_iter().map(Into::into).collect()
    }

    /// The rate limiter called `name` (or `name[key]`), once a callsite with that name has run.
    pub fn rate_limiter(&self, name: &str) -> Option<RateLimiterHandle> {
        keyed::find(self, KIND, name).map(Into::into)
    }
}
