//! The sync front of a rate limiter: the same GCRA cell as async callers; a caller allowed
//! to wait sleeps the thread until its permit.

use super::{RateLimitPolicy, RateLimitSite, RateLimiter};
use crate::Error;
use crate::blocking::{self, BlockingSite};
use crate::outcome::{Failure, Layered};
use std::time::Duration;

impl RateLimitSite {
    /// Runs `inner` once a permit is granted: what a plain `fn` under `#[rate_limit]` calls.
    /// A permit due within `max_wait` is waited for, blocking the thread; otherwise
    /// [`Error::RateLimited`].
    ///
    /// ```
    /// use resilience_runtime::__private::{RateLimitPolicy, RateLimitSite};
    /// use resilience_runtime::blocking::BlockingSite;
    /// use std::time::Duration;
    ///
    /// static LIMIT: RateLimitSite = RateLimitSite::new("docs::blocking_limit");
    /// static SITE: BlockingSite = BlockingSite::new("docs::blocking_limit");
    /// let policy = RateLimitPolicy::new(1, Duration::from_secs(60));
    /// let call = || LIMIT.call_blocking(policy, &SITE, || Ok::<u32, resilience_runtime::Failure<()>>(1));
    /// assert_eq!(call(), Ok(1));
    /// assert!(call().is_err()); // the next permit is a minute away, and max_wait is 0
    /// ```
    #[inline]
    pub fn call_blocking<T, E>(
        &'static self,
        policy: RateLimitPolicy,
        site: &BlockingSite,
        inner: impl FnOnce() -> Layered<T, E>,
    ) -> Layered<T, E> {
        self.limiter(policy)
            .run_blocking(policy.max_wait, site, inner)
    }
}

impl RateLimiter {
    /// Runs `inner` once a permit is taken, blocking the thread up to `max_wait` for it: what a
    /// plain `fn`'s per-key limiter (`key = ..`) calls.
    ///
    /// ```
    /// use resilience_runtime::{rate_limit::{RateLimitPolicy, RateLimiter}, blocking::BlockingSite, Failure};
    /// use std::time::Duration;
    ///
    /// static SITE: BlockingSite = BlockingSite::new("docs::run_blocking");
    /// let l = RateLimiter::new("docs::run_blocking", RateLimitPolicy::new(1, Duration::from_secs(60)));
    /// assert_eq!(l.run_blocking(Duration::ZERO, &SITE, || Ok::<u8, Failure<()>>(1)), Ok(1));
    /// assert!(l.run_blocking(Duration::ZERO, &SITE, || Ok::<u8, Failure<()>>(2)).is_err());
    /// ```
    // Not in the docs: `resilience` exports no `BlockingSite` or `Failure` to call it with.
    #[doc(hidden)]
    #[inline]
    pub fn run_blocking<T, E>(
        &self,
        max_wait: Duration,
        site: &BlockingSite,
        inner: impl FnOnce() -> Layered<T, E>,
    ) -> Layered<T, E> {
        if let Err(wait) = self.try_acquire()
            && let Err(e) = self.acquire_blocking_after(wait, max_wait, site)
        {
            return Err(Failure::Policy(e));
        }
        let out = inner();
        self.counters.passed(out.is_ok());
        out
    }

    /// Takes a permit, blocking the thread for it if it frees within `max_wait`; else
    /// [`Error::RateLimited`] with the time until the next permit.
    ///
    /// ```
    /// use resilience_runtime::rate_limit::{RateLimitPolicy, RateLimiter};
    /// use resilience_runtime::blocking::BlockingSite;
    /// use std::time::Duration;
    ///
    /// static SITE: BlockingSite = BlockingSite::new("docs::limit");
    /// let l = RateLimiter::new("docs::limit", RateLimitPolicy::new(1, Duration::from_secs(60)));
    /// assert!(l.acquire_blocking(Duration::ZERO, &SITE).is_ok());
    /// assert!(l.acquire_blocking(Duration::ZERO, &SITE).is_err());
    /// ```
    // Not in the docs: `resilience` exports no `BlockingSite` to call it with.
    #[doc(hidden)]
    pub fn acquire_blocking(&self, max_wait: Duration, site: &BlockingSite) -> Result<(), Error> {
        match self.try_acquire() {
            Ok(()) => Ok(()),
            Err(wait) => self.acquire_blocking_after(wait, max_wait, site),
        }
    }

    #[cold]
    #[inline(never)]
    fn acquire_blocking_after(
        &self,
        mut wait: Duration,
        max_wait: Duration,
        site: &BlockingSite,
    ) -> Result<(), Error> {
        // The limiter's own clock: tokio's, which a `ManualClock` drives in tests. The thread's
        // real time bounds the wait too: under a paused tokio clock (a sync call inside a
        // paused test) the limiter's clock never moves while the thread sleeps.
        let max_wait = self.max_wait(max_wait);
        let deadline = tokio::time::Instant::now() + max_wait;
        let started = std::time::Instant::now();
        loop {
            if tokio::time::Instant::now() + wait > deadline || started.elapsed() > max_wait {
                return Err(self.refuse(wait));
            }
            site.before_wait();
            blocking::sleep(wait);
            wait = match self.try_acquire() {
                Ok(()) => return Ok(()),
                Err(wait) => wait,
            };
        }
    }
}
