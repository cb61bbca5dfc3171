//! Waiting for a place: queued in FIFO order until one is handed over or `max_wait` passes.

use super::Bulkhead;
use super::places::{Enqueued, TicketRef};
use crate::Error;
use pin_project_lite::pin_project;
use std::future::Future;
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
        Place { bulkhead }
    }
}

impl Drop for Place<'_> {
    #[inline]
    fn drop(&mut self) {
        self.bulkhead.places.release();
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
