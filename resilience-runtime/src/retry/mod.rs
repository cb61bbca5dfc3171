//! `#[retry]`: run the body again after failures, with backoff and jitter.
//!
//! The generated code keeps the body inline in a loop (so it borrows its arguments as written)
//! and asks a [`RetryCall`] after each attempt whether to go again.

mod backoff;
mod blocking;
mod budget;
#[cfg(feature = "config")]
mod configure;
mod decision;
mod jitter;
mod stats;

pub use backoff::Backoff;
pub use budget::Budget;
pub(crate) use budget::RetryBudget;
pub use decision::RetryDecision;
pub use jitter::Jitter;
pub use stats::RetryHandle;
pub(crate) use stats::RetryStats;

use crate::label::{FnLabel, Name};
use crate::outcome::{Failure, Layered, PolicyError};
use crate::registry::{self, Registry};
use crate::show::{ByDebug, ErrorFormat, Shown};
use stats::GaveUp;
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// The settings of one `#[retry(..)]`, built at each call from the attribute (so durations may
/// be any expression).
///
/// ```
/// # mod resilience { pub use resilience_runtime::retry::{Backoff, Jitter, RetryPolicy}; }
/// use resilience::{Backoff, Jitter, RetryPolicy};
/// use std::time::Duration;
/// let p = RetryPolicy {
///     attempts: 4,
///     backoff: Backoff::constant(Duration::from_millis(10)),
///     jitter: Jitter::None,
///     ..RetryPolicy::DEFAULT
/// };
/// assert_eq!(p.max_elapsed, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (≥ 1).
    pub attempts: u32,
    /// Delay schedule.
    pub backoff: Backoff,
    /// Randomisation of each delay.
    pub jitter: Jitter,
    /// No retry whose delay would end past this long after the first attempt began.
    pub max_elapsed: Option<Duration>,
    /// Share of calls that may be retries.
    pub budget: Budget,
}

impl RetryPolicy {
    /// The defaults of SPEC §4: 3 attempts, exponential(100ms, factor 2, max 10s), full jitter,
    /// no elapsed limit, a 20% budget.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        attempts: 3,
        backoff: Backoff::DEFAULT,
        jitter: Jitter::Full,
        max_elapsed: None,
        budget: Budget::Ratio(0.2),
    };
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

/// The per-callsite state of one `#[retry]`, held in a `static` the macro generates.
///
/// It joins the registry on its first call (callsites with one `name` share one entry); after
/// that a call reads one initialised `OnceLock`.
///
/// ```
/// use resilience_runtime::retry::{RetrySite, RetryPolicy};
/// static SITE: RetrySite = RetrySite::new("docs::fetch");
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let mut call = SITE.begin(&RetryPolicy::DEFAULT);
/// let first: Result<u8, resilience_runtime::Failure<&str, std::convert::Infallible>> = Ok(7);
/// let flow = call.after(first, |_e: &&str| true).await;
/// assert_eq!(flow, std::ops::ControlFlow::Break(Ok(7)));
/// # });
/// ```
#[derive(Debug)]
pub struct RetrySite {
    name: Name,
    shared: bool,
    /// The registry's entry: its `Arc` is kept for good (leaked once per callsite), so a call
    /// reaches it without going through the `Arc`.
    stats: OnceLock<&'static RetryStats>,
}

impl RetrySite {
    /// A site named `name` (the attribute's `name`, or `module::fn`).
    pub const fn new(name: &'static str) -> Self {
        RetrySite {
            name: Name::Fixed(name),
            shared: true,
            stats: OnceLock::new(),
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

    /// Starts one call: the first attempt runs at once.
    ///
    /// The policy is borrowed, not copied: the generated code passes a `&'static` constant when
    /// every setting is a literal, else a local of the call.
    #[inline]
    pub fn begin<'p>(&'static self, policy: &'p RetryPolicy) -> RetryCall<'p> {
        let stats = self.stats(policy);
        stats.budget.deposit();
        RetryCall {
            stats,
            policy,
            attempt: 1,
            started: policy.max_elapsed.map(|_| Instant::now()),
            // Set by each retry; the first uses the backoff's base.
            previous_delay: None,
        }
    }

    #[inline]
    fn stats(&'static self, policy: &RetryPolicy) -> &'static RetryStats {
        match self.stats.get() {
            Some(stats) => stats,
            None => self.register(policy),
        }
    }

    /// The first call (every call, once test registries exist in the process).
    #[cold]
    fn register(&'static self, policy: &RetryPolicy) -> &'static RetryStats {
        registry::callsite_instance(self, &self.stats, |reg| self.register_in(reg, policy))
    }

    /// The entry for this callsite's name in `reg`, created with `policy` if this is the first
    /// callsite of that name.
    fn register_in(&self, reg: &Registry, policy: &RetryPolicy) -> Arc<RetryStats> {
        reg.register(stats::KIND, self.name.get(), self.shared, || {
            RetryStats::new(self.name.get(), *policy)
        })
        .0
    }
}

/// One call's progress through its attempts.
#[derive(Debug)]
pub struct RetryCall<'p> {
    stats: &'static RetryStats,
    /// The attribute's values; from the first failure on, with the values configured then
    /// over them (feature `config`), for the rest of the call.
    policy: &'p RetryPolicy,
    attempt: u32,
    started: Option<Instant>,
    previous_delay: Option<Duration>,
}

impl RetryCall<'_> {
    /// Decides after an attempt: `Break(result)` to return it, or `Continue` after sleeping the
    /// delay before the next attempt. [`decide`](Self::decide) then [`wait`](Self::wait).
    pub async fn after<T, E, P, D>(
        &mut self,
        result: Layered<T, E, P>,
        when: impl FnOnce(&E) -> D,
    ) -> ControlFlow<Layered<T, E, P>>
    where
        E: RetryableError,
        P: PolicyError,
        D: Into<RetryDecision>,
    {
        match self.decide(result, when, ByDebug) {
            ControlFlow::Break(result) => ControlFlow::Break(result),
            ControlFlow::Continue(delay) => {
                self.wait(delay).await;
                ControlFlow::Continue(())
            }
        }
    }

    /// Decides after an attempt, without awaiting anything: `Break(result)` to return it, or
    /// `Continue(delay)` to [`wait`](Self::wait) that long and attempt again (the failed
    /// result is dropped first). What the generated code calls: a success costs one branch,
    /// and no future is built unless a retry is made.
    ///
    /// The function's own errors go to `when`; rejections from layers beneath are classified
    /// by [`RetryDecision::for_error`]. A retried error is logged as `S` writes it (the
    /// generated code passes `ByDisplay` when `E` has a `Display`, else `ByDebug`: see
    /// [`crate::show`]).
    #[inline(always)]
    pub fn decide<T, E, P, D, S>(
        &mut self,
        result: Layered<T, E, P>,
        when: impl FnOnce(&E) -> D,
        _show: S,
    ) -> ControlFlow<Layered<T, E, P>, Duration>
    where
        E: RetryableError,
        P: PolicyError,
        D: Into<RetryDecision>,
        S: ErrorFormat<E>,
    {
        if result.is_ok() {
            self.stats.record_success();
            return ControlFlow::Break(result);
        }
        self.decide_failure::<T, E, P, D, S>(result, when)
    }

    #[cold]
    #[inline(never)]
    fn decide_failure<T, E, P, D, S>(
        &mut self,
        result: Layered<T, E, P>,
        when: impl FnOnce(&E) -> D,
    ) -> ControlFlow<Layered<T, E, P>, Duration>
    where
        E: RetryableError,
        P: PolicyError,
        D: Into<RetryDecision>,
        S: ErrorFormat<E>,
    {
        let failure = match &result {
            Ok(_) => return ControlFlow::Break(result),
            Err(failure) => failure,
        };
        #[cfg(feature = "config")]
        if self.attempt == 1 {
            self.take_configuration();
        }
        let decision = match failure {
            Failure::Inner(e) => when(e).into(),
            Failure::Policy(p) => p
                .as_error()
                .map_or(RetryDecision::Stop, RetryDecision::for_error),
        };
        match self.delay_before_next(decision) {
            Ok(_) if !self.stats.budget.withdraw() => {
                crate::telemetry::retry_budget_exhausted(
                    self.stats.name(),
                    self.attempt,
                    &Shown::<_, _, S> {
                        failure,
                        show: PhantomData,
                    },
                );
                self.stats.record_gave_up(GaveUp::BudgetRefused);
                ControlFlow::Break(result)
            }
            Ok(delay) => {
                self.stats.record_retry();
                crate::telemetry::retry(
                    self.stats.name(),
                    self.attempt,
                    delay,
                    &Shown::<_, _, S> {
                        failure,
                        show: PhantomData,
                    },
                );
                ControlFlow::Continue(delay)
            }
            Err(why) => {
                self.stats.record_gave_up(why);
                ControlFlow::Break(result)
            }
        }
    }

    /// At the first failure, the values configured now (if any) over the attribute's, kept for
    /// the rest of the call: a call that started retrying keeps its values whatever is applied
    /// meanwhile, and a success never looks. A configured `max_elapsed` over an attribute
    /// without one counts from here.
    #[cfg(feature = "config")]
    #[cold]
    fn take_configuration(&mut self) {
        if let Some(configured) = self.stats.configured_policy(self.policy) {
            if configured.max_elapsed.is_some() && self.started.is_none() {
                self.started = Some(Instant::now());
            }
            self.policy = configured;
        }
    }

    /// Sleeps `delay` (from [`decide`](Self::decide)) before the next attempt.
    pub async fn wait(&mut self, delay: Duration) {
        // A zero delay (`backoff = none`) needs no timer, so it works on any executor.
        if !delay.is_zero() {
            if tokio::runtime::Handle::try_current().is_err() {
                panic!(
                    "`#[retry]` needs a tokio runtime: it waits {delay:?} before the next attempt on tokio's timer, but it runs outside a tokio runtime (tokio would say \"there is no reactor running\"); run it inside `#[tokio::main]`, `#[tokio::test]` or `Runtime::block_on`, or use `backoff = none`"
                );
            }
            tokio::time::sleep(delay).await;
        }
        self.attempt += 1;
    }

    /// The delay before the next attempt, or why there is none.
    fn delay_before_next(&mut self, decision: RetryDecision) -> Result<Duration, GaveUp> {
        if decision == RetryDecision::Stop {
            return Err(GaveUp::Stopped);
        }
        let policy = self.policy;
        if self.attempt >= policy.attempts {
            return Err(GaveUp::Exhausted);
        }
        let delay = match decision {
            RetryDecision::Stop => return Err(GaveUp::Stopped),
            RetryDecision::RetryAfter(d) => d,
            RetryDecision::Retry => {
                let backoff = &policy.backoff;
                let scheduled = backoff.delay(self.attempt - 1);
                let previous = self.previous_delay.unwrap_or_else(|| backoff.base());
                policy
                    .jitter
                    .apply(scheduled, previous, backoff.base(), backoff.max())
            }
        };
        if let (Some(started), Some(limit)) = (self.started, policy.max_elapsed) {
            // A delay too long to add to the clock (a server's huge Retry-After) is past it too.
            let ends = Instant::now().checked_add(delay);
            if ends.is_none_or(|ends| ends.duration_since(started) > limit) {
                return Err(GaveUp::Exhausted);
            }
        }
        self.previous_delay = Some(delay);
        Ok(delay)
    }
}

/// An error `#[retry]` can retry: it is logged with each retry, so it must be `Debug`.
#[diagnostic::on_unimplemented(
    message = "`#[retry]` logs each error it retries, so `{Self}` must implement `Debug`",
    label = "`{Self}` is not `Debug`",
    note = "add `#[derive(Debug)]` to `{Self}`"
)]
pub trait RetryableError: std::fmt::Debug {}
impl<E: std::fmt::Debug> RetryableError for E {}

/// Retries every error: the predicate used when `#[retry]` has no `when`.
#[doc(hidden)]
#[inline]
pub fn retry_every_error<E>(_: &E) -> bool {
    true
}
