//! The retry budget: the setting, and its live count per retry name.

use crate::stripe::StripedCounter;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use tokio::time::Instant;

/// How many retries a retry `name` may spend: at most `ratio` of its calls over a sliding
/// 10 s, plus 10 retries per second always allowed.
///
/// ```
/// use resilience_runtime::retry::Budget;
/// assert_eq!(Budget::default(), Budget::Ratio(0.2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Budget {
    /// Retries may be at most this share (0.0–1.0) of calls.
    Ratio(f64),
    /// No budget: every retry the policy allows is made.
    Unlimited,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::Ratio(0.2)
    }
}

/// The live budget of one retry name: one-second buckets over a sliding 10 s window.
///
/// Each call earns `ratio` of a retry; each retry spends one, allowed while the window's
/// balance plus a reserve of 10 retries per second (100 per window) covers it.
///
/// A call only bumps its thread's stripe of a call counter (no clock, no shared line, no lock):
/// the calls are *settled* into the buckets later, under a mutex, by the next retry that asks
/// (every retry reads the clock anyway) or, to keep the count fresh, by every 1024th call of a
/// stripe (its 1st, 1025th, ...). Settling puts the calls counted since the last settlement into the seconds since
/// then, evenly, dropping the part that has already slid out of the window; so calls and
/// retries within one second (a storm, a test on a paused clock) are counted exactly, and a
/// steady rate is spread as it came.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    /// Units a call earns (`ratio · UNIT`).
    per_call: AtomicIsize,
    /// [`Budget::Unlimited`]: every retry is allowed and nothing is counted.
    unlimited: AtomicBool,
    /// Units always allowed over the window (`min_per_sec` × 10 s × `UNIT`).
    reserve: isize,
    origin: Instant,
    /// Calls, counted on the calling thread's stripe.
    calls: StripedCounter,
    ledger: Mutex<Ledger>,
    exhausted: AtomicU64,
}

/// The settled part of the budget.
#[derive(Debug, Default)]
struct Ledger {
    /// The second (since `origin`) the buckets were last brought up to.
    second: u64,
    /// Calls settled so far (the sum of the stripes at the last settlement).
    settled: u64,
    /// Units earned minus units spent, per second of the window (`second % BUCKETS`).
    buckets: [isize; BUCKETS],
}

const BUCKETS: usize = 10;
/// One retry, in budget units (so a share like 20% earns 200 per call).
const UNIT: isize = 1000;
/// Retries always allowed per second.
const MIN_PER_SEC: isize = 10;
/// A stripe settles itself every this many calls (a power of two).
const SETTLE_EVERY: u64 = 1024;

/// What a call earns in budget units, and whether there is no budget.
fn units(budget: Budget) -> (isize, bool) {
    match budget {
        Budget::Ratio(r) => ((r.clamp(0.0, 1.0) * UNIT as f64).round() as isize, false),
        Budget::Unlimited => (0, true),
    }
}

impl RetryBudget {
    pub(crate) fn new(budget: Budget) -> Self {
        Self::with_reserve(budget, MIN_PER_SEC as u32)
    }

    /// A budget that always allows `min_per_sec` spends per second on top of its share. The
    /// hedge budget is this one mechanism with no reserve: hedges are at most their share.
    pub(crate) fn with_reserve(budget: Budget, min_per_sec: u32) -> Self {
        let (per_call, unlimited) = units(budget);
        RetryBudget {
            per_call: AtomicIsize::new(per_call),
            unlimited: AtomicBool::new(unlimited),
            reserve: min_per_sec as isize * BUCKETS as isize * UNIT,
            origin: Instant::now(),
            calls: StripedCounter::new(),
            ledger: Mutex::new(Ledger::default()),
            exhausted: AtomicU64::new(0),
        }
    }

    /// Counts a call: one relaxed add on this thread's stripe. (Counted even when a call earns
    /// nothing, `budget = 0%` or `none`: cheaper than a branch, and never read then.)
    #[inline]
    pub(crate) fn deposit(&self) {
        // Each rare path is one call that ends the deposit, so nothing of the caller's has to
        // be kept across a call but what the caller itself keeps.
        match self.calls.try_bump() {
            Some(n) if !n.is_multiple_of(SETTLE_EVERY) => {}
            Some(_) => self.settle_soon(),
            None => self.deposit_first(),
        }
    }

    /// A thread's first deposit: it picks its stripe.
    #[cold]
    #[inline(never)]
    fn deposit_first(&self) {
        if self.calls.bump().is_multiple_of(SETTLE_EVERY) {
            self.settle_soon();
        }
    }

    /// Settles unless another thread is at it (it will count these calls too).
    #[cold]
    #[inline(never)]
    fn settle_soon(&self) {
        let second = self.second();
        if let Ok(mut ledger) = self.ledger.try_lock() {
            self.settle(&mut ledger, second);
        }
    }

    /// Spends a retry, if the budget allows one.
    pub(crate) fn withdraw(&self) -> bool {
        if self.unlimited.load(Ordering::Relaxed) {
            return true;
        }
        let second = self.second();
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        self.settle(&mut ledger, second);
        let balance: isize = ledger.buckets.iter().sum();
        if balance + self.reserve < UNIT {
            self.exhausted.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let current = (ledger.second % BUCKETS as u64) as usize;
        ledger.buckets[current] -= UNIT;
        true
    }

    /// Takes `budget` from now on (configuration at run time): calls settled from now earn its
    /// share; what the window holds stays.
    #[cfg(feature = "config")]
    pub(crate) fn retune(&self, budget: Budget) {
        let (per_call, unlimited) = units(budget);
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        // The calls so far earn the share they came under.
        self.settle(&mut ledger, self.second());
        self.per_call.store(per_call, Ordering::Relaxed);
        self.unlimited.store(unlimited, Ordering::Relaxed);
    }

    /// Retries refused by the budget so far.
    /// Calls counted so far (every call, each once).
    pub(crate) fn calls(&self) -> u64 {
        self.calls.sum()
    }

    pub(crate) fn exhausted(&self) -> u64 {
        self.exhausted.load(Ordering::Relaxed)
    }

    /// When the budget was created (tokio's clock).
    pub(crate) fn origin(&self) -> Instant {
        self.origin
    }

    /// Seconds since `origin` on tokio's clock.
    fn second(&self) -> u64 {
        Instant::now()
            .saturating_duration_since(self.origin)
            .as_secs()
    }

    /// Brings the buckets up to `now`: clears the seconds that slid out of the window, then
    /// spreads the calls counted since the last settlement evenly over the seconds from that
    /// settlement's to `now`, keeping the share that falls inside the window.
    fn settle(&self, ledger: &mut Ledger, now: u64) {
        let total = self.calls.sum();
        let pending = total.wrapping_sub(ledger.settled);
        ledger.settled = total;
        let last = ledger.second;
        let now = now.max(last);
        let window = BUCKETS as u64;
        for second in (last + 1).max(now.saturating_sub(window - 1))..=now {
            ledger.buckets[(second % window) as usize] = 0;
        }
        ledger.second = now;
        if pending == 0 {
            return;
        }
        // The calls came over the seconds `last ..= now`; the window keeps the last `window`.
        let span = now - last + 1;
        let units = i128::from(pending) * self.per_call.load(Ordering::Relaxed) as i128;
        let first = last.max(now.saturating_sub(window - 1));
        let mut given = 0;
        for second in first..=now {
            let share = if second == now {
                // The rounding goes to the newest second.
                units * i128::from(now - first + 1) / i128::from(span) - given
            } else {
                units / i128::from(span)
            };
            given += share;
            let bucket = &mut ledger.buckets[(second % window) as usize];
            *bucket = bucket.saturating_add(isize::try_from(share).unwrap_or(isize::MAX));
        }
    }
}

#[cfg(feature = "config")]
impl RetryBudget {
    /// Takes a configuration table's `budget`, or `written` (the attribute's) when the table
    /// has none, from now on. `configured` holds what configuration set before and is updated.
    /// The change, if any, is said as `kind` and `name`'s.
    pub(crate) fn apply_config(
        &self,
        (kind, name): (&'static str, &str),
        table: Option<&crate::config::Table>,
        configured: &mut Option<Budget>,
        written: Budget,
    ) -> Option<crate::config::Change> {
        use crate::config::Value;
        let budget = match table.and_then(|t| t.get("budget")) {
            Some(Value::Budget(Some(s))) => Some(Budget::Ratio(*s)),
            Some(Value::Budget(None)) => Some(Budget::Unlimited),
            _ => None,
        };
        if budget == *configured {
            return None;
        }
        let show = |b: Budget| match b {
            Budget::Ratio(r) => Value::Budget(Some(r)).to_string(),
            _ => "none".to_owned(),
        };
        let (from, to) = (configured.unwrap_or(written), budget.unwrap_or(written));
        self.retune(to);
        *configured = budget;
        Some(crate::config::Change::new(
            kind,
            name,
            "budget",
            show(from),
            show(to),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn retries_are_a_share_of_calls_plus_a_reserve() {
        let b = RetryBudget::new(Budget::Ratio(0.2));
        // The reserve: 10 retries per second over the 10 s window.
        for _ in 0..100 {
            assert!(b.withdraw());
        }
        assert!(!b.withdraw());
        // 50 calls earn 10 retries.
        for _ in 0..50 {
            b.deposit();
        }
        for _ in 0..10 {
            assert!(b.withdraw());
        }
        assert!(!b.withdraw());
        assert_eq!(b.exhausted(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn spending_slides_out_of_the_window() {
        let b = RetryBudget::new(Budget::Ratio(0.0));
        for _ in 0..100 {
            assert!(b.withdraw());
        }
        assert!(!b.withdraw());
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..100 {
            assert!(b.withdraw());
        }
        assert!(!b.withdraw());
    }

    #[tokio::test(start_paused = true)]
    async fn calls_settled_by_a_retry_slide_out_of_the_window() {
        let b = RetryBudget::new(Budget::Ratio(0.2));
        for _ in 0..500 {
            b.deposit();
        }
        // The retry settles the 500 calls into this second: 100 retries plus the reserve.
        for _ in 0..200 {
            assert!(b.withdraw());
        }
        assert!(!b.withdraw());
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..100 {
            assert!(b.withdraw());
        }
        assert!(!b.withdraw());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stripe_settles_itself_so_old_calls_do_not_count_later() {
        let b = RetryBudget::new(Budget::Ratio(1.0));
        // Three settlements by the calls themselves (the first call's, the 1025th's and the
        // 2049th's), at second 0; no retry asked.
        for _ in 0..=2 * SETTLE_EVERY {
            b.deposit();
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        // Unsettled, these calls would have been spread over seconds 0..=10 and most kept.
        for _ in 0..100 {
            assert!(b.withdraw());
        }
        assert!(!b.withdraw());
    }

    #[tokio::test(start_paused = true)]
    async fn calls_between_settlements_are_spread_over_the_seconds_between() {
        let b = RetryBudget::new(Budget::Ratio(1.0));
        b.deposit(); // a stripe's first call settles itself
        assert!(b.withdraw()); // settles at second 0
        for _ in 0..200 {
            b.deposit();
        }
        // Settled at second 19: the 200 calls are spread over seconds 0..=19, and the window
        // (seconds 10..=19) keeps half of them.
        tokio::time::advance(Duration::from_secs(19)).await;
        for _ in 0..100 + 100 {
            assert!(b.withdraw());
        }
        assert!(!b.withdraw());
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_refuses() {
        let b = RetryBudget::new(Budget::Unlimited);
        for _ in 0..10_000 {
            assert!(b.withdraw());
        }
    }
}
