//! The future `timeout` returns.

use crate::Error;
use crate::outcome::{Failure, Layered};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

pin_project! {
    /// A call bounded by a timeout; see [`timeout`](super::timeout).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Timeout<F> {
        #[pin]
        inner: F,
        #[pin]
        timer: Option<Sleep>,
        name: &'static str,
        after: Duration,
    }
}

impl<F> Timeout<F> {
    pub(super) fn new(name: &'static str, after: Duration, inner: F) -> Self {
        Timeout {
            inner,
            timer: None,
            name,
            after,
        }
    }
}

impl<F, T, E> Future for Timeout<F>
where
    F: Future<Output = Layered<T, E>>,
{
    type Output = Layered<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(out) = this.inner.poll(cx) {
            return Poll::Ready(out);
        }
        if this.timer.is_none() {
            this.timer.set(Some(tokio::time::sleep(*this.after)));
        }
        if let Some(timer) = this.timer.as_pin_mut()
            && timer.poll(cx).is_ready()
        {
            crate::telemetry::timeout(this.name, *this.after);
            return Poll::Ready(Err(Failure::Policy(Error::Timeout {
                name: this.name,
                after: *this.after,
            })));
        }
        Poll::Pending
    }
}
