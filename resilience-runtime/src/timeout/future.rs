//! The future [`TimeoutSite::call`] returns.

use super::TimeoutSite;
use crate::Error;
use crate::outcome::{Failure, Layered};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

pin_project! {
    /// A call bounded by a timeout; see [`TimeoutSite::call`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Timeout<F, L = Nested> {
        // `None` once the call ended: when the time is up the cancelled call is dropped at
        // once, not when the caller drops this future; when it completed, so that dropping
        // this future afterwards finds nothing to drop (4 instructions of the four-attribute
        // stack's call).
        #[pin]
        inner: Option<F>,
        // Turns the inner future's output into the layer's result (see [`TimeoutSite::run`]).
        lift: L,
        #[pin]
        timer: Option<Sleep>,
        site: &'static TimeoutSite,
        after: Duration,
    }
}

/// How a [`Timeout`]'s inner output becomes its result: from the body's returned value, a
/// function such as `|returned| lift(returned)` or a `#[fallback]` mode; [`Nested`] when the
/// inner future is the layers beneath, whose output is their result already.
pub trait Lift<O>: Copy {
    /// The success value.
    type Ok;
    /// The body's own error.
    type Err;
    /// `output` as the layer's result.
    fn lift(self, output: O) -> Layered<Self::Ok, Self::Err>;
}

impl<O, T, E, L: FnOnce(O) -> Layered<T, E> + Copy> Lift<O> for L {
    type Ok = T;
    type Err = E;
    #[inline]
    fn lift(self, output: O) -> Layered<T, E> {
        self(output)
    }
}

/// The [`Lift`] of [`TimeoutSite::call`]: the inner future yields the layers' result already.
#[derive(Debug, Clone, Copy)]
pub struct Nested;

impl<T, E> Lift<Layered<T, E>> for Nested {
    type Ok = T;
    type Err = E;
    #[inline]
    fn lift(self, output: Layered<T, E>) -> Layered<T, E> {
        output
    }
}

impl<F, L> Timeout<F, L> {
    pub(super) fn new(site: &'static TimeoutSite, after: Duration, lift: L, inner: F) -> Self {
        Timeout {
            inner: Some(inner),
            lift,
            timer: None,
            site,
            after,
        }
    }
}

impl<F: Future, L: Lift<F::Output>> Future for Timeout<F, L> {
    type Output = Layered<L::Ok, L::Err>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let inner = this
            .inner
            .as_mut()
            .as_pin_mut()
            .expect("`Timeout` polled after it completed");
        if let Poll::Ready(out) = inner.poll(cx) {
            this.inner.set(None);
            let out = this.lift.lift(out);
            this.site.ended();
            #[cfg(feature = "metrics")]
            this.site.counters().passed(out.is_ok());
            return Poll::Ready(out);
        }
        this.site.waits();
        if time_is_up(this.timer, this.site, this.after, cx) {
            this.inner.set(None);
            this.site.timed_out();
            #[cfg(feature = "metrics")]
            this.site.counters().rejected();
            let error = Error::Timeout {
                name: this.site.name.get(),
                after: *this.after,
            };
            crate::telemetry::rejected(&error);
            return Poll::Ready(Err(Failure::Policy(error)));
        }
        Poll::Pending
    }
}

/// What a pending `#[timeout]` outside a tokio runtime panics with, instead of tokio's
/// "there is no reactor running".
pub(crate) const NO_RUNTIME: &str = "`#[timeout]` needs a tokio runtime: this call had to wait, and its timer is tokio's, but it was polled outside a tokio runtime (tokio would say \"there is no reactor running\"); run it inside `#[tokio::main]`, `#[tokio::test]` or `Runtime::block_on`, not `futures::executor::block_on` or another executor";

/// Starts the timer on the first wait and polls it: whether the time is up. Apart from the
/// generic `poll`, so a call that completes at once inlines only the inner poll (and a call
/// that completes at once needs no runtime).
#[inline(never)]
fn time_is_up(
    mut timer: Pin<&mut Option<Sleep>>,
    site: &TimeoutSite,
    after: &mut Duration,
    cx: &mut Context<'_>,
) -> bool {
    if timer.is_none() {
        if tokio::runtime::Handle::try_current().is_err() {
            panic!("{NO_RUNTIME}");
        }
        // The configured duration, if any: read only by a call that has to wait.
        *after = site.after(*after);
        timer.set(Some(tokio::time::sleep(*after)));
    }
    timer
        .as_pin_mut()
        .is_some_and(|timer| timer.poll(cx).is_ready())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct DropFlag(Arc<AtomicBool>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_inner_future_is_dropped_as_soon_as_the_time_is_up() {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(Arc::clone(&dropped));
        let inner = async move {
            let _flag = flag;
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<u8, Failure<()>>(1)
        };
        static SITE: TimeoutSite = TimeoutSite::new("t");
        let mut call = std::pin::pin!(SITE.call(Duration::from_millis(10), inner));
        let out = call.as_mut().await;
        assert!(matches!(out, Err(Failure::Policy(Error::Timeout { .. }))));
        // `call` is still alive, but the cancelled work is gone.
        assert!(dropped.load(Ordering::SeqCst));
    }

    /// A future that is ready at once and keeps its flag until it is dropped.
    struct ReadyHolding(#[allow(dead_code)] DropFlag);
    impl Future for ReadyHolding {
        type Output = Layered<u8, ()>;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
            Poll::Ready(Ok(2))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_inner_future_is_dropped_as_soon_as_it_completes() {
        let dropped = Arc::new(AtomicBool::new(false));
        static SITE: TimeoutSite = TimeoutSite::new("t");
        let inner = ReadyHolding(DropFlag(Arc::clone(&dropped)));
        let mut call = std::pin::pin!(SITE.call(Duration::from_secs(1), inner));
        assert!(matches!(call.as_mut().await, Ok(2)));
        // `call` is still alive, but what the inner future held is gone.
        assert!(dropped.load(Ordering::SeqCst));
        assert!(call.inner.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_ready_call_never_starts_the_timer() {
        static SITE: TimeoutSite = TimeoutSite::new("t");
        let call = SITE.call(Duration::ZERO, async { Ok::<u8, Failure<()>>(3) });
        let mut call = std::pin::pin!(call);
        assert!(matches!(call.as_mut().await, Ok(3)));
        assert!(call.timer.is_none());
    }
}
