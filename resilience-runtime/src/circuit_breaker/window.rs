//! The failure-rate window, exact: the last N calls, or the calls of the last D.
//!
//! Successes are counted lock-free, striped per thread ([`Successes`]): a closed success is one
//! `fetch_add` on the calling thread's own cache line. What needs order, the failures and slow
//! calls, is kept behind the breaker's mutex ([`Log`]), where the window is also read.
//!
//! * Count window (`window = N`): each call has a position, the number of calls recorded up
//!   to it (striped successes plus failures). The log keeps the position of every failure or
//!   slow call still in the window; at total `T` the window is positions `(T − N, T]`, so its
//!   failures are the entries above `T − N`. Exact, with no clock.
//! * Time window (`window = D`): [`BUCKETS`] buckets of `D / BUCKETS` each. Every stripe keeps a
//!   success count per bucket, tagged with the bucket's number; the log keeps failures and slow
//!   calls per bucket. The window at time `t` is `t`'s bucket and the 15 before it: a call
//!   younger than `15/16 · D` always counts, and one `D` old or older never does, however long
//!   the breaker was idle.
//!
//! A fresh window (on closing, or an operator's `reset`) counts nothing recorded before it.

use super::config::Window;
use super::sync::{AtomicBool, AtomicU64, Ordering, fence};
use crate::stripe::{STRIPES, StripedCounter, with_my_line};
use std::collections::VecDeque;
use std::sync::OnceLock;

/// Buckets of a time window: one 128-byte line of 8-byte cells per stripe.
pub(crate) const BUCKETS: usize = 16;

/// Calls, failures and slow calls in a window (or in a half-open round).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) calls: u64,
    pub(crate) failures: u64,
    pub(crate) slow: u64,
}

impl Counts {
    pub(crate) fn failure_rate(&self) -> f64 {
        rate(self.failures, self.calls)
    }
    pub(crate) fn slow_rate(&self) -> f64 {
        rate(self.slow, self.calls)
    }
}

fn rate(n: u64, calls: u64) -> f64 {
    if calls == 0 {
        0.0
    } else {
        n.min(calls) as f64 / calls as f64
    }
}

/// The lock-free half of the window: successes, striped per thread.
#[derive(Debug)]
pub(crate) struct Successes {
    /// Successes since creation: every success of a count window, and of a time window too
    /// (so a failure can tell whether any success came since the last one).
    total: StripedCounter,
    /// Successes per bucket (time windows): made by the first time window, kept after (a
    /// retuned window renumbers its buckets instead).
    buckets: OnceLock<Box<StripedBuckets>>,
    /// Whether the window is time-based now; changed only under the breaker's mutex.
    timed: AtomicBool,
}

impl Successes {
    pub(crate) fn new(window: Window) -> Self {
        let successes = Successes {
            total: StripedCounter::new(),
            buckets: OnceLock::new(),
            timed: AtomicBool::new(false),
        };
        successes.switch(window, 0);
        successes
    }

    /// Whether the window is time-based (a success needs the clock).
    pub(crate) fn timed(&self) -> bool {
        self.timed.load(Ordering::Relaxed)
    }

    /// Counts a success in a count window.
    #[inline]
    pub(crate) fn bump(&self) {
        self.total.bump();
    }

    /// Counts a success at `now` (nanoseconds) in its bucket, for a time window (the caller
    /// read [`timed`](Self::timed)), and in the total, which tells a failure that a success
    /// came (`consecutive_failures`). A window switched to counting calls meanwhile counts it
    /// as its own, from the total.
    pub(crate) fn bump_at(&self, now: u64) {
        if let Some(b) = self.buckets.get() {
            b.bump(now);
        }
        self.total.bump();
    }

    /// Successes since creation, of either kind of window (relaxed reads: a count).
    pub(crate) fn total(&self) -> u64 {
        self.total.sum()
    }

    /// Makes the window `window` from `now` on (the caller holds the breaker's mutex, or owns
    /// the breaker): a time window's buckets are numbered on past every bucket counted so far,
    /// so what was counted before never counts in it.
    pub(crate) fn switch(&self, window: Window, now: u64) {
        match window {
            Window::Calls(_) => self.timed.store(false, Ordering::Relaxed),
            Window::Time(d) => {
                let width = bucket_width(d);
                match self.buckets.get() {
                    Some(b) => {
                        let offset = b
                            .numbering()
                            .bucket(now)
                            .wrapping_add(2 * BUCKETS as u64)
                            .wrapping_sub(now / width);
                        b.renumber(Numbering { width, offset });
                    }
                    None => {
                        let fresh = Box::new(StripedBuckets::new(Numbering { width, offset: 0 }));
                        let _ = self.buckets.set(fresh);
                    }
                }
                self.timed.store(true, Ordering::Relaxed);
            }
        }
    }

    /// The buckets' numbering (a time window's).
    fn numbering(&self) -> Option<Numbering> {
        self.buckets.get().map(|b| b.numbering())
    }
}

/// `D / BUCKETS` in nanoseconds, at least 1.
fn bucket_width(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos() / BUCKETS as u128)
        .unwrap_or(u64::MAX)
        .max(1)
}

/// How a time `now` (nanoseconds) maps to a bucket number: `now / width + offset`. The offset
/// moves a retuned window's numbers past every earlier bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Numbering {
    width: u64,
    offset: u64,
}

impl Numbering {
    fn bucket(self, now: u64) -> u64 {
        (now / self.width).wrapping_add(self.offset)
    }
}

/// One stripe's success counts: cell `i` holds bucket `b ≡ i (mod BUCKETS)` as
/// `(b as u32) << 32 | count`.
#[derive(Debug)]
#[repr(align(128))]
struct Line([AtomicU64; BUCKETS]);

/// A count past this stops growing (a bucket of one stripe holding two billion successes): the
/// rest of the word is the tag, which a carry must never reach.
const MAX_COUNT: u64 = 1 << 31;

/// Successes per bucket, per stripe.
#[derive(Debug)]
struct StripedBuckets {
    /// The numbering, as a sequence lock: `version` is odd while `renumber` writes `width`
    /// and `offset`, and bumped again after, so a reader retries a torn read.
    version: AtomicU64,
    width: AtomicU64,
    offset: AtomicU64,
    lines: [Line; STRIPES],
}

impl StripedBuckets {
    fn new(numbering: Numbering) -> Self {
        StripedBuckets {
            version: AtomicU64::new(0),
            width: AtomicU64::new(numbering.width),
            offset: AtomicU64::new(numbering.offset),
            lines: std::array::from_fn(|_| Line(std::array::from_fn(|_| AtomicU64::new(0)))),
        }
    }

    /// The numbering, read whole.
    fn numbering(&self) -> Numbering {
        loop {
            let before = self.version.load(Ordering::Acquire);
            let numbering = Numbering {
                width: self.width.load(Ordering::Relaxed),
                offset: self.offset.load(Ordering::Relaxed),
            };
            fence(Ordering::Acquire);
            // Unchanged and even (no renumbering under way): one test.
            if (self.version.load(Ordering::Relaxed) ^ before) | (before & 1) == 0 {
                return numbering;
            }
            std::hint::spin_loop();
        }
    }

    /// A new numbering (one writer: the caller holds the breaker's mutex).
    ///
    /// [`renumber`]: Self::renumber
    fn renumber(&self, numbering: Numbering) {
        let version = self.version.load(Ordering::Relaxed);
        self.version
            .store(version.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        self.width.store(numbering.width, Ordering::Relaxed);
        self.offset.store(numbering.offset, Ordering::Relaxed);
        self.version
            .store(version.wrapping_add(2), Ordering::Release);
    }

    /// One success at `now`: added to its bucket's cell, which is first reset if it still
    /// holds an older bucket. A cell already holding a newer bucket (this thread read the clock
    /// before another that got there first) takes the call: off by one bucket at most, never
    /// wiping newer counts.
    fn bump(&self, now: u64) {
        let bucket = self.numbering().bucket(now);
        let tag = bucket as u32;
        with_my_line(&self.lines, |line| {
            let cell = &line.0[bucket as usize % BUCKETS];
            let mut current = cell.load(Ordering::Relaxed);
            loop {
                let held = (current >> 32) as u32;
                if tag.wrapping_sub(held) as i32 <= 0 {
                    if current & u64::from(u32::MAX) < MAX_COUNT {
                        cell.fetch_add(1, Ordering::Relaxed);
                    }
                    return;
                }
                match cell.compare_exchange_weak(
                    current,
                    u64::from(tag) << 32 | 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return,
                    Err(actual) => current = actual,
                }
            }
        })
    }

    /// Successes in buckets `from ..= to` (at most `BUCKETS` of them, ending at `to`).
    fn sum(&self, from: u64, to: u64) -> u64 {
        let mut sum = 0;
        for line in &self.lines {
            for cell in &line.0 {
                let v = cell.load(Ordering::Relaxed);
                let age = u64::from((to as u32).wrapping_sub((v >> 32) as u32));
                if age < BUCKETS as u64 && to.checked_sub(age).is_some_and(|b| b >= from) {
                    sum += v & u64::from(u32::MAX);
                }
            }
        }
        sum
    }
}

/// The half of the window behind the breaker's mutex: failures and slow calls, in order.
#[derive(Debug)]
pub(crate) enum Log {
    /// `window = N`.
    Calls(CallLog),
    /// `window = D`.
    Time(TimeLog),
}

impl Log {
    /// An empty window at `now`, over `successes` (switched to `window` already).
    pub(crate) fn new(window: Window, successes: &Successes, now: u64) -> Log {
        let numbering = match window {
            Window::Time(_) => successes.numbering(),
            Window::Calls(_) => None,
        };
        let Some(numbering) = numbering else {
            let len = match window {
                Window::Calls(n) => u64::from(n.max(1)),
                // Not switched to a time window yet: a window of one call until it is.
                Window::Time(_) => 1,
            };
            return Log::Calls(CallLog {
                len,
                start: successes.total.sum(),
                failures_total: 0,
                entries: VecDeque::new(),
                failures: 0,
                slow: 0,
            });
        };
        let start = numbering.bucket(now);
        Log::Time(TimeLog {
            numbering,
            start,
            baseline: successes.buckets.get().map_or(0, |b| b.sum(start, start)),
            buckets: Box::new([TimeBucket::default(); BUCKETS]),
        })
    }

    /// Records a failure and/or slow call at `now` (its success, if slow, is already in
    /// `successes`) and returns the window with it.
    pub(crate) fn record(
        &mut self,
        successes: &Successes,
        failed: bool,
        slow: bool,
        now: u64,
    ) -> Counts {
        match self {
            Log::Calls(log) => log.record(successes.total.sum(), failed, slow),
            Log::Time(log) => log.record(failed, slow, now),
        }
        self.counts(successes, now)
    }

    /// The window at `now`.
    pub(crate) fn counts(&mut self, successes: &Successes, now: u64) -> Counts {
        match (self, successes.buckets.get()) {
            (Log::Time(log), Some(buckets)) => log.counts(buckets, now),
            (Log::Calls(log), _) => log.counts(successes.total.sum()),
            (Log::Time(_), None) => Counts::default(),
        }
    }

    /// Starts an empty window at `now`: nothing recorded so far counts.
    pub(crate) fn restart(&mut self, successes: &Successes, now: u64) {
        match (self, successes.buckets.get()) {
            (Log::Calls(log), _) => log.restart(successes.total.sum()),
            (Log::Time(log), Some(buckets)) => log.restart(buckets, now),
            (Log::Time(_), None) => {}
        }
    }
}

/// A count window's log.
#[derive(Debug)]
pub(crate) struct CallLog {
    /// N.
    len: u64,
    /// The position of the last call before the window started.
    start: u64,
    /// Failures recorded since creation.
    failures_total: u64,
    /// `position << 2 | slow << 1 | failed` of each failure or slow call in the window, oldest
    /// first.
    entries: VecDeque<u64>,
    /// Failures among `entries`.
    failures: u64,
    /// Slow calls among `entries`.
    slow: u64,
}

const FAILED: u64 = 0b01;
const SLOW: u64 = 0b10;

impl CallLog {
    fn record(&mut self, successes: u64, failed: bool, slow: bool) {
        self.failures_total += u64::from(failed);
        let position = successes + self.failures_total;
        self.entries
            .push_back(position << 2 | u64::from(slow) << 1 | u64::from(failed));
        self.failures += u64::from(failed);
        self.slow += u64::from(slow);
    }

    /// The window at `successes` successes: the last `len` positions, none before `start`.
    fn counts(&mut self, successes: u64) -> Counts {
        let total = successes + self.failures_total;
        let floor = total.saturating_sub(self.len).max(self.start);
        while let Some(&e) = self.entries.front() {
            if e >> 2 > floor {
                break;
            }
            self.entries.pop_front();
            self.failures -= u64::from(e & FAILED != 0);
            self.slow -= u64::from(e & SLOW != 0);
        }
        let calls = total - floor;
        Counts {
            calls,
            failures: self.failures.min(calls),
            slow: self.slow.min(calls),
        }
    }

    fn restart(&mut self, successes: u64) {
        self.start = successes + self.failures_total;
        self.entries.clear();
        self.failures = 0;
        self.slow = 0;
    }
}

/// A time window's log.
#[derive(Debug)]
pub(crate) struct TimeLog {
    /// How times map to buckets (the successes' numbering when the window began).
    numbering: Numbering,
    /// The bucket the window started in.
    start: u64,
    /// Successes already in bucket `start` when the window started.
    baseline: u64,
    /// Failures and slow calls per bucket: bucket `b` in slot `b % BUCKETS`.
    buckets: Box<[TimeBucket; BUCKETS]>,
}

#[derive(Debug, Clone, Copy, Default)]
struct TimeBucket {
    bucket: u64,
    failures: u64,
    slow: u64,
}

impl TimeLog {
    fn record(&mut self, failed: bool, slow: bool, now: u64) {
        let bucket = self.numbering.bucket(now);
        let slot = &mut self.buckets[bucket as usize % BUCKETS];
        if slot.bucket < bucket {
            *slot = TimeBucket {
                bucket,
                ..TimeBucket::default()
            };
        }
        slot.failures += u64::from(failed);
        slot.slow += u64::from(slow);
    }

    /// The window at `now`: its bucket and the `BUCKETS − 1` before it, none before `start`.
    fn counts(&self, successes: &StripedBuckets, now: u64) -> Counts {
        let to = self.numbering.bucket(now);
        let from = to.saturating_sub(BUCKETS as u64 - 1).max(self.start);
        if from > to {
            return Counts::default();
        }
        let mut ok = successes.sum(from, to);
        if from == self.start {
            ok = ok.saturating_sub(self.baseline);
        }
        let (mut failures, mut slow) = (0, 0);
        for b in self.buckets.iter() {
            if (from..=to).contains(&b.bucket) {
                failures += b.failures;
                slow += b.slow;
            }
        }
        let calls = ok + failures;
        Counts {
            calls,
            failures,
            slow: slow.min(calls),
        }
    }

    fn restart(&mut self, successes: &StripedBuckets, now: u64) {
        self.start = self.numbering.bucket(now);
        self.baseline = successes.sum(self.start, self.start);
        *self.buckets = [TimeBucket::default(); BUCKETS];
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    fn counts(calls: u64, failures: u64, slow: u64) -> Counts {
        Counts {
            calls,
            failures,
            slow,
        }
    }

    /// Drives a count window by hand: `S`, `F`, `s` (slow success), `f` (slow failure).
    fn count_window(n: u32, calls: &str) -> Counts {
        let succ = Successes::new(Window::Calls(n));
        let mut log = Log::new(Window::Calls(n), &succ, 0);
        for c in calls.chars() {
            let (ok, slow) = match c {
                'S' => (true, false),
                's' => (true, true),
                'F' => (false, false),
                _ => (false, true),
            };
            if ok {
                succ.bump();
            }
            if !ok || slow {
                log.record(&succ, !ok, slow, 0);
            }
        }
        log.counts(&succ, 0)
    }

    #[test]
    fn a_count_window_holds_exactly_the_last_n_calls() {
        assert_eq!(count_window(4, "FSSS"), counts(4, 1, 0));
        assert_eq!(count_window(4, "FSSSS"), counts(4, 0, 0));
        assert_eq!(count_window(4, "FFSFS"), counts(4, 2, 0));
        assert_eq!(count_window(10, "SSSSSSFFFFF"), counts(10, 5, 0));
        assert_eq!(count_window(3, "sFSSf"), counts(3, 1, 1));
        assert_eq!(count_window(100, "FS"), counts(2, 1, 0));
    }

    #[test]
    fn a_restarted_count_window_counts_nothing_before_it() {
        let succ = Successes::new(Window::Calls(10));
        let mut log = Log::new(Window::Calls(10), &succ, 0);
        log.record(&succ, true, false, 0);
        succ.bump();
        log.restart(&succ, 0);
        assert_eq!(log.counts(&succ, 0), Counts::default());
        succ.bump();
        assert_eq!(log.record(&succ, true, false, 0), counts(2, 1, 0));
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn a_time_window_counts_the_last_d_and_nothing_older() {
        // 160 ms: buckets of 10 ms.
        let w = Window::Time(Duration::from_millis(160));
        let succ = Successes::new(w);
        let mut log = Log::new(w, &succ, 0);
        succ.bump_at(0);
        succ.bump_at(5 * MS);
        log.record(&succ, true, false, 5 * MS);
        assert_eq!(log.counts(&succ, 100 * MS), counts(3, 1, 0));
        // Bucket 0 is still the oldest of the 16 at 159 ms, and gone at 160 ms.
        assert_eq!(log.counts(&succ, 159 * MS), counts(3, 1, 0));
        assert_eq!(log.counts(&succ, 160 * MS), Counts::default());
        // Long idle: the cells still hold bucket 0 and count for nothing.
        assert_eq!(log.counts(&succ, 10_000 * MS), Counts::default());
        succ.bump_at(10_000 * MS);
        assert_eq!(log.record(&succ, true, true, 10_001 * MS), counts(2, 1, 1));
    }

    #[test]
    fn a_cell_reused_for_a_newer_bucket_starts_from_zero_and_never_goes_back() {
        let b = StripedBuckets::new(Numbering {
            width: 1,
            offset: 0,
        });
        b.bump(3);
        b.bump(3);
        b.bump(3 + BUCKETS as u64);
        assert_eq!(b.sum(3, 3), 0);
        assert_eq!(b.sum(4, 3 + BUCKETS as u64), 1);
        // A late call from bucket 3 lands in the newer bucket instead of wiping it.
        b.bump(3);
        assert_eq!(b.sum(4, 3 + BUCKETS as u64), 2);
    }

    #[test]
    fn a_retuned_time_window_counts_nothing_before_it_whatever_its_new_width() {
        let narrow = Window::Time(Duration::from_millis(160)); // buckets of 10 ms
        let wide = Window::Time(Duration::from_millis(1600)); // buckets of 100 ms
        let succ = Successes::new(narrow);
        let mut log = Log::new(narrow, &succ, 0);
        for t in 0..50 {
            succ.bump_at(t * MS);
        }
        log.record(&succ, true, false, 49 * MS);
        assert_eq!(log.counts(&succ, 50 * MS), counts(51, 1, 0));
        // Wider buckets: their numbers go on past the narrow ones, so no cell counts twice.
        succ.switch(wide, 50 * MS);
        let mut log = Log::new(wide, &succ, 50 * MS);
        assert_eq!(log.counts(&succ, 50 * MS), Counts::default());
        succ.bump_at(60 * MS);
        succ.bump_at(300 * MS);
        assert_eq!(log.record(&succ, true, false, 310 * MS), counts(3, 1, 0));
        // Narrow again, and to a count window and back: each starts empty and counts exactly.
        succ.switch(narrow, 400 * MS);
        let mut log = Log::new(narrow, &succ, 400 * MS);
        assert_eq!(log.counts(&succ, 400 * MS), Counts::default());
        succ.bump_at(401 * MS);
        assert_eq!(log.counts(&succ, 402 * MS), counts(1, 0, 0));
        succ.switch(Window::Calls(5), 500 * MS);
        let mut log = Log::new(Window::Calls(5), &succ, 500 * MS);
        assert_eq!(log.counts(&succ, 500 * MS), Counts::default());
        succ.bump();
        assert_eq!(log.record(&succ, true, false, 0), counts(2, 1, 0));
        succ.switch(narrow, 600 * MS);
        let log = Log::new(narrow, &succ, 600 * MS);
        let Log::Time(log) = log else {
            panic!("a time window")
        };
        assert_eq!(
            log.counts(succ.buckets.get().unwrap(), 600 * MS),
            Counts::default()
        );
    }

    #[test]
    fn a_restarted_time_window_counts_nothing_before_it_even_in_its_first_bucket() {
        let w = Window::Time(Duration::from_millis(160));
        let succ = Successes::new(w);
        let mut log = Log::new(w, &succ, 0);
        succ.bump_at(MS);
        log.record(&succ, true, false, MS);
        log.restart(&succ, 2 * MS);
        assert_eq!(log.counts(&succ, 3 * MS), Counts::default());
        succ.bump_at(4 * MS);
        assert_eq!(log.counts(&succ, 5 * MS), counts(1, 0, 0));
    }
}
