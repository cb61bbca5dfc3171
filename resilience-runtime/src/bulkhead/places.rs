//! The bulkhead's places: a lock-free counter for the uncontended path and a FIFO queue,
//! behind a mutex, only once every place is taken.
//!
//! One atomic word holds `available << 1 | WAITERS`. While `WAITERS` is clear a call takes a
//! place with one compare-and-swap and gives it back with another. `WAITERS` is set and cleared
//! only under the queue's lock, and only while no place is available; a place given back while
//! it is set goes straight to the first waiter (FIFO, no barging), so `available` stays zero
//! for as long as anyone waits.
//!
//! The word is signed: lowering the number of places ([`Places::resize`], a configuration
//! applied at run time) takes the difference off `available` at once, which may leave it
//! below zero while the calls inside finish; those give their places back to the count, and
//! nobody is admitted until it is above zero again. Raising it hands the new places to the
//! waiters first, as a release does.

#[cfg(loom)]
use loom::sync::{
    Arc, Mutex, MutexGuard,
    atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering},
};
use std::collections::VecDeque;
#[cfg(not(loom))]
use std::sync::{
    Arc, Mutex, MutexGuard, PoisonError,
    atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering},
};
use std::task::Waker;

const WAITERS: isize = 1;
const ONE: isize = 2;

/// `capacity` places, handed out first come, first served.
#[derive(Debug)]
pub(crate) struct Places {
    state: AtomicIsize,
    capacity: AtomicUsize,
    queue: Mutex<VecDeque<Entry>>,
}

/// A caller in the queue.
#[derive(Debug)]
struct Entry {
    ticket: Arc<Ticket>,
    waker: Waker,
}

/// A queued caller's claim: `granted` once a place was handed to it.
#[derive(Debug, Default)]
pub(crate) struct Ticket {
    granted: AtomicBool,
}

/// A shared ticket (`loom`'s `Arc` under `--cfg loom`).
pub(crate) type TicketRef = Arc<Ticket>;

/// The outcome of [`Places::enqueue`].
#[derive(Debug)]
pub(crate) enum Enqueued {
    /// A place was free after all: it is the caller's.
    Acquired,
    /// The caller is queued; poll [`Places::poll_ticket`] when woken.
    Waiting(Arc<Ticket>),
}

impl Places {
    pub(crate) fn new(capacity: usize) -> Self {
        Places {
            state: AtomicIsize::new(places_word(capacity)),
            capacity: AtomicUsize::new(capacity),
            queue: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes a place if one is free and nobody waits for one: the uncontended path.
    #[inline]
    pub(crate) fn try_acquire(&self) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & WAITERS != 0 || s < ONE {
                return false;
            }
            match self
                .state
                .compare_exchange_weak(s, s - ONE, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    /// Gives a place back: to the first waiter if any, else to the free count.
    #[inline]
    pub(crate) fn release(&self) {
        let mut s = self.state.load(Ordering::Relaxed);
        while s & WAITERS == 0 {
            match self
                .state
                .compare_exchange_weak(s, s + ONE, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => s = actual,
            }
        }
        self.release_slow();
    }

    #[cold]
    fn release_slow(&self) {
        let waker = {
            let mut queue = self.lock();
            self.hand_over(&mut queue)
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Under the lock: the place goes to the first waiter, or back to the count when the queue
    /// emptied meanwhile or the count is below zero (places were taken away by a resize).
    /// Returns the waker to call once the lock is dropped.
    fn hand_over(&self, queue: &mut VecDeque<Entry>) -> Option<Waker> {
        let owed = self.state.load(Ordering::Relaxed) < 0;
        let first = if owed { None } else { queue.pop_front() };
        let Some(first) = first else {
            self.state.fetch_add(ONE, Ordering::Release);
            return None;
        };
        first.ticket.granted.store(true, Ordering::Release);
        if queue.is_empty() {
            self.state.fetch_and(!WAITERS, Ordering::Relaxed);
        }
        Some(first.waker)
    }

    /// Queues the caller behind those already waiting, unless a place is free after all.
    pub(crate) fn enqueue(&self, waker: &Waker) -> Enqueued {
        let mut queue = self.lock();
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & WAITERS == 0 && s >= ONE {
                match self.state.compare_exchange_weak(
                    s,
                    s - ONE,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Enqueued::Acquired,
                    Err(actual) => s = actual,
                }
                continue;
            }
            // No place is free (while WAITERS is set none ever is): announce a waiter, so that
            // whoever gives a place back next takes the lock and hands it over.
            match self.state.compare_exchange_weak(
                s,
                s | WAITERS,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        let ticket = Arc::new(Ticket::default());
        queue.push_back(Entry {
            ticket: Arc::clone(&ticket),
            waker: waker.clone(),
        });
        Enqueued::Waiting(ticket)
    }

    /// Whether the ticket's place was handed over; otherwise refreshes the waker to call.
    pub(crate) fn poll_ticket(&self, ticket: &Arc<Ticket>, waker: &Waker) -> bool {
        if ticket.granted.load(Ordering::Acquire) {
            return true;
        }
        let mut queue = self.lock();
        if ticket.granted.load(Ordering::Acquire) {
            return true;
        }
        if let Some(entry) = queue.iter_mut().find(|e| Arc::ptr_eq(&e.ticket, ticket))
            && !entry.waker.will_wake(waker)
        {
            entry.waker = waker.clone();
        }
        false
    }

    /// The queued caller gives up (its deadline passed, or its future was dropped). Returns
    /// whether a place had been handed to it meanwhile, in which case it now owns that place.
    pub(crate) fn leave(&self, ticket: &Arc<Ticket>) -> bool {
        let mut queue = self.lock();
        if ticket.granted.load(Ordering::Acquire) {
            return true;
        }
        queue.retain(|e| !Arc::ptr_eq(&e.ticket, ticket));
        if queue.is_empty() {
            self.state.fetch_and(!WAITERS, Ordering::Relaxed);
        }
        false
    }

    /// Sets the number of places to `capacity` (at least 1) at once. Raising it hands the new
    /// places to the waiters first; lowering it lets the calls inside finish and admits nobody
    /// until fewer than `capacity` are inside. Returns the old number.
    #[cfg_attr(not(feature = "config"), allow(dead_code))]
    pub(crate) fn resize(&self, capacity: usize) -> usize {
        let capacity = capacity.max(1);
        let mut wakers = Vec::new();
        let old = {
            let mut queue = self.lock();
            let old = self.capacity.swap(capacity, Ordering::Relaxed);
            if capacity < old {
                let fewer = places_word(old - capacity);
                self.state.fetch_sub(fewer, Ordering::AcqRel);
            } else {
                // One by one while a place is owed or someone waits, the rest at once.
                let mut more = capacity - old;
                while more > 0 && (self.state.load(Ordering::Relaxed) < 0 || !queue.is_empty()) {
                    wakers.extend(self.hand_over(&mut queue));
                    more -= 1;
                }
                if more > 0 {
                    self.state.fetch_add(places_word(more), Ordering::Release);
                }
            }
            old
        };
        for w in wakers {
            w.wake();
        }
        old
    }

    /// Places free right now (zero while more calls are inside than a resize left places).
    pub(crate) fn available(&self) -> usize {
        usize::try_from(self.state.load(Ordering::Relaxed) >> 1).unwrap_or(0)
    }

    /// Calls inside right now: the places taken, beyond a lowered number while they finish.
    pub(crate) fn in_flight(&self) -> usize {
        let available = self.state.load(Ordering::Relaxed) >> 1;
        let capacity = isize::try_from(self.capacity()).unwrap_or(isize::MAX);
        usize::try_from(capacity.saturating_sub(available)).unwrap_or(0)
    }

    /// The number of places.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }

    /// Callers queued for a place.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().len()
    }

    #[cfg(not(loom))]
    fn lock(&self) -> MutexGuard<'_, VecDeque<Entry>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(loom)]
    fn lock(&self) -> MutexGuard<'_, VecDeque<Entry>> {
        self.queue.lock().unwrap()
    }
}

/// `n` places as the state word counts them (a bulkhead holds far fewer than `isize::MAX / 2`).
fn places_word(n: usize) -> isize {
    isize::try_from(n).map_or(isize::MAX / ONE, |n| n.min(isize::MAX / ONE)) * ONE
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fast_path_counts_places() {
        let p = Places::new(2);
        assert!(p.try_acquire());
        assert!(p.try_acquire());
        assert!(!p.try_acquire());
        p.release();
        assert_eq!(p.available(), 1);
        p.release();
        assert_eq!(p.available(), 2);
    }

    #[test]
    fn waiters_are_served_in_order_and_newcomers_do_not_barge() {
        let p = Places::new(1);
        assert!(p.try_acquire());
        let w = Waker::noop();
        let Enqueued::Waiting(a) = p.enqueue(w) else {
            panic!("no place is free")
        };
        let Enqueued::Waiting(b) = p.enqueue(w) else {
            panic!("no place is free")
        };
        p.release();
        assert!(p.poll_ticket(&a, w));
        assert!(!p.poll_ticket(&b, w));
        // The place went to `a`, not back to the counter, so a newcomer cannot take it.
        assert!(!p.try_acquire());
        p.release();
        assert!(p.poll_ticket(&b, w));
        p.release();
        assert_eq!(p.available(), 1);
        assert!(p.try_acquire());
    }

    #[test]
    fn a_waiter_leaving_with_a_granted_place_owns_it() {
        let p = Places::new(1);
        assert!(p.try_acquire());
        let Enqueued::Waiting(a) = p.enqueue(Waker::noop()) else {
            panic!()
        };
        p.release();
        assert!(p.leave(&a));
        p.release();
        assert_eq!(p.available(), 1);
        assert_eq!(p.waiting(), 0);
    }

    #[test]
    fn raising_admits_waiters_now_and_lowering_waits_for_calls_inside() {
        let p = Places::new(1);
        let w = Waker::noop();
        assert!(p.try_acquire());
        let Enqueued::Waiting(a) = p.enqueue(w) else {
            panic!("no place is free")
        };
        // Raised to 3: the waiter gets one of the new places now, one is left free.
        assert_eq!(p.resize(3), 1);
        assert!(p.poll_ticket(&a, w));
        assert_eq!(p.available(), 1);
        assert!(p.try_acquire());
        assert_eq!(p.in_flight(), 3);
        // Lowered to 1 with 3 inside: nobody gets in until two have left.
        p.resize(1);
        assert_eq!(p.available(), 0);
        assert!(!p.try_acquire());
        let Enqueued::Waiting(b) = p.enqueue(w) else {
            panic!("no place is free")
        };
        p.release();
        assert!(!p.poll_ticket(&b, w));
        p.release();
        assert!(
            !p.poll_ticket(&b, w),
            "two inside were above the new limit of one"
        );
        p.release();
        assert!(
            p.poll_ticket(&b, w),
            "the last one out hands its place over"
        );
        p.release();
        assert_eq!(p.available(), 1);
        assert_eq!(p.in_flight(), 0);
    }

    #[test]
    fn a_waiter_leaving_clears_the_flag() {
        let p = Places::new(1);
        assert!(p.try_acquire());
        let Enqueued::Waiting(a) = p.enqueue(Waker::noop()) else {
            panic!()
        };
        assert!(!p.leave(&a));
        p.release();
        assert_eq!(p.available(), 1);
        assert!(p.try_acquire());
    }
}

/// `loom` models of the fast path and the queue: run with
/// `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --lib bulkhead` (a separate
/// `CARGO_TARGET_DIR`). A waiter whose hand-over is lost never wakes, which `loom` reports as a
/// deadlock; a place lost or made up shows in the final counts.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::thread;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Waits in the queue until a place is handed over.
    struct Wait<'a> {
        places: &'a Places,
        ticket: Option<TicketRef>,
    }

    impl Future for Wait<'_> {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let places = self.places;
            match &self.ticket {
                None => match places.enqueue(cx.waker()) {
                    Enqueued::Acquired => Poll::Ready(()),
                    Enqueued::Waiting(t) => {
                        self.ticket = Some(t);
                        Poll::Pending
                    }
                },
                Some(t) if places.poll_ticket(t, cx.waker()) => Poll::Ready(()),
                Some(_) => Poll::Pending,
            }
        }
    }

    fn acquire(places: &Places) {
        if !places.try_acquire() {
            loom::future::block_on(Wait {
                places,
                ticket: None,
            });
        }
    }

    #[test]
    fn contended_callers_all_get_in_and_give_back() {
        // Three threads on one place: bounded preemptions keep the model to seconds.
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(2);
        model.check(|| {
            let places = Arc::new(Places::new(1));
            let others: Vec<_> = (0..2)
                .map(|_| {
                    let p = Arc::clone(&places);
                    thread::spawn(move || {
                        acquire(&p);
                        p.release();
                    })
                })
                .collect();
            acquire(&places);
            places.release();
            for t in others {
                t.join().unwrap();
            }
            assert_eq!(places.available(), 1);
            assert_eq!(places.waiting(), 0);
            assert!(places.try_acquire());
        });
    }

    #[test]
    fn a_waiter_leaving_races_a_release() {
        loom::model(|| {
            let places = Arc::new(Places::new(1));
            assert!(places.try_acquire());
            let leaver = {
                let p = Arc::clone(&places);
                thread::spawn(move || {
                    let waker = std::task::Waker::noop();
                    match p.enqueue(waker) {
                        Enqueued::Acquired => p.release(),
                        Enqueued::Waiting(t) => {
                            // Gives up (a dropped future): owns the place if it was handed over.
                            if p.leave(&t) {
                                p.release();
                            }
                        }
                    }
                })
            };
            let releaser = {
                let p = Arc::clone(&places);
                thread::spawn(move || p.release())
            };
            leaver.join().unwrap();
            releaser.join().unwrap();
            assert_eq!(places.available(), 1);
            assert_eq!(places.waiting(), 0);
        });
    }

    #[test]
    fn a_resize_racing_calls_keeps_every_place() {
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(2);
        model.check(|| {
            let places = Arc::new(Places::new(2));
            let inside = Arc::new(AtomicUsize::new(0));
            let caller = {
                let p = Arc::clone(&places);
                let inside = Arc::clone(&inside);
                thread::spawn(move || {
                    acquire(&p);
                    inside.fetch_add(1, Ordering::SeqCst);
                    inside.fetch_sub(1, Ordering::SeqCst);
                    p.release();
                })
            };
            let resizer = {
                let p = Arc::clone(&places);
                thread::spawn(move || {
                    p.resize(1);
                    p.resize(3);
                })
            };
            acquire(&places);
            places.release();
            caller.join().unwrap();
            resizer.join().unwrap();
            assert_eq!(places.available(), 3);
            assert_eq!(places.waiting(), 0);
        });
    }

    #[test]
    fn a_lowered_limit_is_never_exceeded_by_newcomers() {
        loom::model(|| {
            let places = Arc::new(Places::new(2));
            assert!(places.try_acquire());
            assert!(places.try_acquire());
            places.resize(1);
            let inside = Arc::new(AtomicUsize::new(2));
            let newcomer = {
                let p = Arc::clone(&places);
                let inside = Arc::clone(&inside);
                thread::spawn(move || {
                    acquire(&p);
                    // One of the two inside has left at least; only then is there room.
                    assert!(
                        inside.fetch_add(1, Ordering::SeqCst) <= 1,
                        "above the new limit"
                    );
                    inside.fetch_sub(1, Ordering::SeqCst);
                    p.release();
                })
            };
            inside.fetch_sub(1, Ordering::SeqCst);
            places.release();
            inside.fetch_sub(1, Ordering::SeqCst);
            places.release();
            newcomer.join().unwrap();
            assert_eq!(places.available(), 1);
        });
    }

    #[test]
    fn capacity_is_never_exceeded() {
        loom::model(|| {
            let places = Arc::new(Places::new(1));
            let inside = Arc::new(AtomicUsize::new(0));
            let run = |p: Arc<Places>, inside: Arc<AtomicUsize>| {
                move || {
                    acquire(&p);
                    assert_eq!(
                        inside.fetch_add(1, Ordering::SeqCst),
                        0,
                        "two inside at once"
                    );
                    inside.fetch_sub(1, Ordering::SeqCst);
                    p.release();
                }
            };
            let t = thread::spawn(run(Arc::clone(&places), Arc::clone(&inside)));
            run(Arc::clone(&places), Arc::clone(&inside))();
            t.join().unwrap();
            assert_eq!(places.available(), 1);
        });
    }
}
