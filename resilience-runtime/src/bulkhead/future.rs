//! Waiting for a place: queued in FIFO order until one is handed over or `max_wait` passes.

use super::Bulkhead;
use super::places::{Enqueued, TicketRef};
use crate::Error;
use pin_project_lite::pin_project;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::{Instant, Sleep};

/// A place in a bulkhead, given back when dropped: on completion, cancellation and panic alike.
#[derive(Debug)]
#[must_use = "the place is given back as soon as this is dropped"]
pub struct Place<'a> {
    bulkhead: &'a Bulkhead,
}

impl<'a> Place<'a> {
    pub(super) fn new(bulkhead: &'a Bulkhead) -> Self {
        bulkhead.places_changed();
        Place { bulkhead }
    }
}

impl Drop for Place<'_> {
    #[inline]
    fn drop(&mut self) {
        self.bulkhead.places.release();
        self.bulkhead.places_changed();
    }
}

/// A queued caller's ticket: leaves the queue when dropped, giving back a place handed over to
/// it too late (the future was dropped right after the hand-over).
#[derive(Debug)]
struct Queued<'a> {
    bulkhead: &'a Bulkhead,
    ticket: Option<TicketRef>,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take()
            && self.bulkhead.places.leave(&ticket)
        {
            self.bulkhead.places.release();
        }
    }
}

pin_project! {
    /// Waits for a place of a full bulkhead until its deadline.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Acquire<'a> {
        queued: Queued<'a>,
        #[pin]
        deadline: Sleep,
    }
}

impl<'a> Acquire<'a> {
    pub(super) fn new(bulkhead: &'a Bulkhead, deadline: Instant) -> Self {
        Acquire {
            queued: Queued {
                bulkhead,
                ticket: None,
            },
            deadline: tokio::time::sleep_until(deadline),
        }
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<Place<'a>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let bulkhead = this.queued.bulkhead;
        let places = &bulkhead.places;
        match &this.queued.ticket {
            None => match places.enqueue(cx.waker()) {
                Enqueued::Acquired => return Poll::Ready(Ok(Place::new(bulkhead))),
                Enqueued::Waiting(ticket) => this.queued.ticket = Some(ticket),
            },
            Some(ticket) => {
                if places.poll_ticket(ticket, cx.waker()) {
                    this.queued.ticket = None;
                    return Poll::Ready(Ok(Place::new(bulkhead)));
                }
            }
        }
        if this.deadline.poll(cx).is_pending() {
            return Poll::Pending;
        }
        let ticket = this.queued.ticket.take().expect("queued above");
        if places.leave(&ticket) {
            // Handed over just as the deadline passed: take it.
            return Poll::Ready(Ok(Place::new(bulkhead)));
        }
        Poll::Ready(Err(bulkhead.reject()))
    }
}

pin_project! {
    /// A call running inside a bulkhead: holds its [`Place`] until the inner call completes or
    /// this future is dropped. Built by [`BulkheadSite::call`](super::BulkheadSite::call),
    /// which takes a free place at once; only a full bulkhead makes it wait first.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct BulkheadCall<F> {
        #[pin]
        inner: F,
        place: Option<Place<'static>>,
        // Waiting is the rare path: its timer lives on the heap so that the common future
        // stays small.
        wait: Wait,
        bulkhead: &'static Bulkhead,
        max_wait: std::time::Duration,
    }
}

impl<F> BulkheadCall<F> {
    pub(super) fn new(
        bulkhead: &'static Bulkhead,
        max_wait: std::time::Duration,
        inner: F,
    ) -> Self {
        BulkheadCall {
            inner,
            place: bulkhead.try_acquire(),
            wait: Wait(ManuallyDrop::new(None)),
            bulkhead,
            max_wait,
        }
    }
}

impl<F, T, E> Future for BulkheadCall<F>
where
    F: Future<Output = crate::Layered<T, E>>,
{
    type Output = crate::Layered<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.place.is_none() {
            match poll_wait(&mut this.wait.0, this.bulkhead, *this.max_wait, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(place)) => *this.place = Some(place),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(crate::Failure::Policy(e))),
            }
        }
        let out = std::task::ready!(this.inner.poll(cx));
        // Give the place back as soon as the call is done, not when the future is dropped.
        *this.place = None;
        this.bulkhead.counters.passed(out.is_ok());
        Poll::Ready(out)
    }
}

/// The rare wait for a place, boxed. Its `Drop` checks for `None` inline: the boxed future's
/// drop glue is called only when there is one (every call used to pay that call).
#[derive(Debug)]
pub(super) struct Wait(pub(super) ManuallyDrop<Option<Pin<Box<Acquire<'static>>>>>);

impl Drop for Wait {
    #[inline]
    fn drop(&mut self) {
        if self.0.is_some() {
            drop_wait(std::mem::take(&mut *self.0));
        }
    }
}

#[cold]
#[inline(never)]
fn drop_wait(wait: Option<Pin<Box<Acquire<'static>>>>) {
    drop(wait);
}

#[cold]
pub(super) fn poll_wait(
    wait: &mut Option<Pin<Box<Acquire<'static>>>>,
    bulkhead: &'static Bulkhead,
    max_wait: std::time::Duration,
    cx: &mut Context<'_>,
) -> Poll<Result<Place<'static>, Error>> {
    if wait.is_none() {
        // A place may have freed since the call was built.
        if let Some(place) = bulkhead.try_acquire() {
            return Poll::Ready(Ok(place));
        }
        // The configured `max_wait`, if any: read only by a call that found no free place.
        let max_wait = bulkhead.max_wait(max_wait);
        if max_wait.is_zero() {
            return Poll::Ready(Err(bulkhead.reject()));
        }
        *wait = Some(Box::pin(Acquire::new(bulkhead, Instant::now() + max_wait)));
    }
    let acquire = wait.as_mut().expect("set above");
    let out = std::task::ready!(acquire.as_mut().poll(cx));
    *wait = None;
    Poll::Ready(out)
}
