//! The flat entry of one call (issue 18): a free place is taken inline and held by an
//! [`Entered`] (one pointer) across the body; only a full bulkhead awaits
//! [`BulkheadSite::enter`]. What the generated code can hold in the caller's own future
//! instead of a [`BulkheadCall`](super::BulkheadCall) around the body.

use super::future::{Wait, poll_wait};
use super::{Bulkhead, BulkheadPolicy, BulkheadSite};
use crate::Error;
use crate::outcome::Layered;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A place held by one call; given back when dropped (completion, cancellation, panic).
///
/// ```
/// use resilience_runtime::bulkhead::{BulkheadPolicy, BulkheadSite};
/// use resilience_runtime::{Error, Failure};
/// static SITE: BulkheadSite = BulkheadSite::new("docs::enter");
/// let one = BulkheadPolicy { max_concurrent: 1, ..BulkheadPolicy::DEFAULT };
/// let entered = SITE.try_enter_with(|| one).unwrap();
/// assert!(SITE.try_enter_with(|| one).is_none());
/// let out: Result<u8, Failure<(), Error>> = entered.finish(Ok(1));
/// assert_eq!(out, Ok(1));
/// assert!(SITE.try_enter_with(|| one).is_some());
/// ```
#[derive(Debug)]
#[must_use = "the place is given back as soon as this is dropped"]
pub struct Entered(&'static Bulkhead);

impl BulkheadSite {
    /// [`try_enter_with`](Self::try_enter_with) the site's own policy
    /// ([`with`](Self::with)): what the generated code calls when every value of the
    /// attribute is a literal.
    #[inline(always)]
    pub fn try_enter(&'static self) -> Option<Entered> {
        self.try_enter_with(|| self.policy)
    }

    /// [`enter_with`](Self::enter_with) the site's own policy ([`with`](Self::with)).
    #[cold]
    pub fn enter(&'static self) -> Enter {
        self.enter_with(|| self.policy)
    }

    /// A free place, taken at once (one compare-and-swap), or `None` when the bulkhead is full
    /// or callers are queued: then [`enter_with`](Self::enter_with) waits for one.
    /// `policy` is built only on the first call, which registers the bulkhead.
    #[inline(always)]
    pub fn try_enter_with(
        &'static self,
        policy: impl FnOnce() -> BulkheadPolicy,
    ) -> Option<Entered> {
        let bulkhead = match self.bulkhead.get() {
            Some(b) => b,
            None => self.register(policy()),
        };
        if bulkhead.places.try_acquire() {
            bulkhead.places_changed();
            Some(Entered(bulkhead))
        } else {
            None
        }
    }

    /// A place, waiting up to `policy.max_wait` (or the configured one) behind earlier
    /// callers; else [`Error::BulkheadFull`]. The future is small: its timer is boxed, and
    /// only when it really waits (as [`BulkheadCall`](super::BulkheadCall)'s).
    #[cold]
    pub fn enter_with(&'static self, policy: impl FnOnce() -> BulkheadPolicy) -> Enter {
        let policy = policy();
        Enter {
            bulkhead: self.bulkhead(policy),
            max_wait: policy.max_wait,
            wait: Wait(ManuallyDrop::new(None)),
        }
    }
}

/// Waits for a place of a full bulkhead; see [`BulkheadSite::enter`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Enter {
    bulkhead: &'static Bulkhead,
    max_wait: Duration,
    wait: Wait,
}

impl Future for Enter {
    type Output = Result<Entered, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let place = std::task::ready!(poll_wait(
            &mut this.wait.0,
            this.bulkhead,
            this.max_wait,
            cx
        ))?;
        std::mem::forget(place);
        Poll::Ready(Ok(Entered(this.bulkhead)))
    }
}

impl Entered {
    /// Gives the place back and passes the call's result on.
    #[inline(always)]
    pub fn finish<T, E>(self, out: Layered<T, E>) -> Layered<T, E> {
        let bulkhead = self.0;
        drop(self);
        bulkhead.counters.passed(out.is_ok());
        out
    }
}

impl Drop for Entered {
    #[inline]
    fn drop(&mut self) {
        self.0.places.release();
        self.0.places_changed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: BulkheadPolicy = BulkheadPolicy {
        max_concurrent: 1,
        max_wait: Duration::ZERO,
    };

    #[test]
    fn a_panic_gives_the_place_back() {
        static SITE: BulkheadSite = BulkheadSite::new("enter::panic").per_callsite();
        let entered = SITE.try_enter_with(|| ONE).unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _held = entered;
            panic!("the body panics");
        }));
        assert!(panicked.is_err());
        assert!(SITE.try_enter_with(|| ONE).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bulkhead_rejects_or_waits() {
        static SITE: BulkheadSite = BulkheadSite::new("enter::full").per_callsite();
        let held = SITE.try_enter_with(|| ONE).unwrap();
        assert!(SITE.try_enter_with(|| ONE).is_none());
        let full = SITE.enter_with(|| ONE).await.unwrap_err();
        assert!(matches!(
            full,
            Error::BulkheadFull {
                max_concurrent: 1,
                ..
            }
        ));
        let patient = BulkheadPolicy {
            max_wait: Duration::from_millis(50),
            ..ONE
        };
        let waiting = tokio::spawn(SITE.enter_with(move || patient));
        tokio::task::yield_now().await;
        drop(held);
        let entered = waiting.await.unwrap().unwrap();
        let out: Layered<u8, ()> = entered.finish(Ok(1));
        assert_eq!(out, Ok(1));
        assert!(
            SITE.try_enter_with(|| ONE).is_some(),
            "finish gave the place back"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_loses_no_place() {
        static SITE: BulkheadSite = BulkheadSite::new("enter::cancel").per_callsite();
        let patient = BulkheadPolicy {
            max_wait: Duration::from_secs(1),
            ..ONE
        };
        let held = SITE.try_enter_with(|| patient).unwrap();
        let waiting = tokio::spawn(SITE.enter_with(move || patient));
        tokio::task::yield_now().await;
        waiting.abort();
        let _ = waiting.await;
        drop(held);
        assert!(SITE.try_enter_with(|| patient).is_some());
    }
}
