//! The sync front of a bulkhead: the same places and the same FIFO queue as async callers. A
//! sync caller queues with a waker that unparks its thread, so a place given back goes to the
//! first waiter, sync or async.

use super::places::Enqueued;
use super::{Bulkhead, BulkheadPolicy, BulkheadSite, Place};
use crate::Error;
use crate::blocking::{self, BlockingSite};
use crate::outcome::{Failure, Layered};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Duration;

impl BulkheadSite {
    /// Runs `inner` holding a place: what a plain `fn` under `#[bulkhead]` calls. Waits up to
    /// `max_wait` for a place, blocking the thread; the place is given back when `inner`
    /// returns or panics.
    ///
    /// ```
    /// use resilience_runtime::__private::{BulkheadPolicy, BulkheadSite};
    /// use resilience_runtime::blocking::BlockingSite;
    ///
    /// static POOL: BulkheadSite = BulkheadSite::new("docs::blocking_pool");
    /// static SITE: BlockingSite = BlockingSite::new("docs::blocking_pool");
    /// let out = POOL.call_blocking(BulkheadPolicy::DEFAULT, &SITE, || Ok::<u32, resilience_runtime::Failure<()>>(1));
    /// assert_eq!(out, Ok(1));
    /// ```
    #[inline]
    pub fn call_blocking<T, E>(
        &'static self,
        policy: BulkheadPolicy,
        site: &BlockingSite,
        inner: impl FnOnce() -> Layered<T, E>,
    ) -> Layered<T, E> {
        self.bulkhead(policy)
            .run_blocking(policy.max_wait, site, inner)
    }
}

impl Bulkhead {
    /// Runs `inner` holding a place, blocking the thread up to `max_wait` for one: what a
    /// plain `fn`'s per-key bulkhead (`key = ..`) calls. The place is given back when `inner`
    /// returns or panics.
    ///
    /// ```
    /// use resilience_runtime::{bulkhead::Bulkhead, blocking::BlockingSite, Failure};
    /// use std::time::Duration;
    ///
    /// static SITE: BlockingSite = BlockingSite::new("docs::run_blocking");
    /// let b = Bulkhead::new("docs::run_blocking", 1);
    /// let out = b.run_blocking(Duration::ZERO, &SITE, || {
    ///     // The one place is taken while `inner` runs.
    ///     let nested = b.run_blocking(Duration::ZERO, &SITE, || Ok::<u8, Failure<()>>(2));
    ///     assert!(nested.is_err());
    ///     Ok::<u8, Failure<()>>(1)
    /// });
    /// assert_eq!(out, Ok(1));
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
        let place = match self.try_acquire() {
            Some(place) => place,
            None => match self.acquire_blocking_slow(max_wait, site) {
                Ok(place) => place,
                Err(e) => return Err(Failure::Policy(e)),
            },
        };
        let out = inner();
        drop(place);
        self.counters.passed(out.is_ok());
        out
    }

    /// Takes a place, blocking the thread up to `max_wait` for one (queued behind every
    /// waiter, sync or async), else [`Error::BulkheadFull`].
    ///
    /// ```
    /// use resilience_runtime::bulkhead::Bulkhead;
    /// use resilience_runtime::blocking::BlockingSite;
    /// use std::time::Duration;
    ///
    /// static SITE: BlockingSite = BlockingSite::new("docs::pool");
    /// let b = Bulkhead::new("docs::pool", 1);
    /// let place = b.acquire_blocking(Duration::ZERO, &SITE).unwrap();
    /// assert!(b.acquire_blocking(Duration::ZERO, &SITE).is_err());
    /// drop(place);
    /// assert!(b.acquire_blocking(Duration::ZERO, &SITE).is_ok());
    /// ```
    // Not in the docs: `resilience` exports no `BlockingSite` to call it with.
    #[doc(hidden)]
    pub fn acquire_blocking(
        &self,
        max_wait: Duration,
        site: &BlockingSite,
    ) -> Result<Place<'_>, Error> {
        if let Some(place) = self.try_acquire() {
            return Ok(place);
        }
        self.acquire_blocking_slow(max_wait, site)
    }

    #[cold]
    #[inline(never)]
    fn acquire_blocking_slow(
        &self,
        max_wait: Duration,
        site: &BlockingSite,
    ) -> Result<Place<'_>, Error> {
        // The configured `max_wait`, if any: read only by a call that found no free place.
        let max_wait = self.max_wait(max_wait);
        if max_wait.is_zero() {
            return Err(self.reject());
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let ticket = match self.places.enqueue(&waker) {
            Enqueued::Acquired => return Ok(Place::new(self)),
            Enqueued::Waiting(ticket) => ticket,
        };
        site.before_wait();
        if blocking::is_manual() {
            // Under a manual clock the wait lasts `max_wait` on that clock, at once: a place
            // given back before then (by another thread) is taken below.
            blocking::sleep(max_wait);
        } else {
            let deadline = std::time::Instant::now() + max_wait;
            loop {
                if self.places.poll_ticket(&ticket, &waker) {
                    return Ok(Place::new(self));
                }
                let now = std::time::Instant::now();
                if now >= deadline {
                    break;
                }
                // Woken by the hand-over (or spuriously: the ticket says which).
                std::thread::park_timeout(deadline - now);
            }
        }
        if self.places.leave(&ticket) {
            // Handed over just as the wait ended: take it.
            return Ok(Place::new(self));
        }
        Err(self.reject())
    }
}

/// A waker that unparks a waiting thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
