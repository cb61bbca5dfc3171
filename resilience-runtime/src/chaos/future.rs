//! The future `chaos` returns.

use super::ChaosPolicy;
use crate::Error;
use crate::outcome::{Failure, Layered};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::time::Sleep;

pin_project! {
    /// A call with faults injected; see [`chaos`](super::chaos).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Chaos<F> {
        #[pin]
        inner: F,
        state: State,
        name: &'static str,
        policy: ChaosPolicy,
    }
}

#[derive(Debug)]
enum State {
    /// Not polled yet: the switch is read and the faults drawn at the first poll.
    Undecided,
    /// Sleeping the injected latency, then failing or running the body. The timer is boxed
    /// so that the future stays small while chaos is off (the usual case); it is allocated
    /// only when a delay is injected.
    Delaying { sleep: Pin<Box<Sleep>>, fail: bool },
    /// Running the body.
    Running,
}

impl<F> Chaos<F> {
    pub(super) fn new(name: &'static str, policy: ChaosPolicy, inner: F) -> Self {
        Chaos {
            inner,
            state: State::Undecided,
            name,
            policy,
        }
    }
}

impl<F, T, E> Future for Chaos<F>
where
    F: Future<Output = Layered<T, E>>,
{
    type Output = Layered<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let State::Undecided = this.state {
            *this.state = State::Running;
            if super::is_enabled() {
                let stats = super::stats::ChaosStats::of(this.name);
                let policy = stats.policy(*this.policy);
                match policy.as_ref().map_or((None, false), super::switch::draw) {
                    (Some(delay), fail) => {
                        stats.injected_delay();
                        if fail {
                            stats.injected_error();
                        }
                        crate::telemetry::chaos_latency(this.name, delay);
                        *this.state = State::Delaying {
                            sleep: Box::pin(tokio::time::sleep(delay)),
                            fail,
                        };
                    }
                    (None, true) => {
                        stats.injected_error();
                        return Poll::Ready(Err(inject(this.name)));
                    }
                    (None, false) => {}
                }
            }
        }
        if let State::Delaying { sleep, fail } = this.state {
            ready!(sleep.as_mut().poll(cx));
            let fail = *fail;
            *this.state = State::Running;
            if fail {
                return Poll::Ready(Err(inject(this.name)));
            }
        }
        this.inner.poll(cx)
    }
}

/// `Error::Injected`, reported like every layer's rejection (a `tracing` event, the
/// registry's event stream, and `resilience_calls_total{kind="chaos",outcome="rejected"}`).
#[cold]
pub(super) fn inject<E>(name: &'static str) -> Failure<E> {
    let error = Error::Injected { name };
    crate::instruments::fault_injected(name);
    crate::telemetry::rejected(&error);
    Failure::Policy(error)
}
