//! The retry budget: the setting, and its live count per retry name.

use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
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
/// Each call deposits `ratio` of a retry; each retry withdraws one, allowed while the window's
/// balance plus a reserve of 10 retries per second (100 per window) covers it. Calls touch only
/// a relaxed atomic add on the current bucket; a mutex is taken (with `try_lock`) only to clear
/// the buckets that slid out of the window, at most once per second.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    /// Units a call deposits (`ratio · UNIT`); `None` for [`Budget::Unlimited`].
    deposit: Option<isize>,
    origin: Instant,
    /// The second (since `origin`) the buckets were last brought up to.
    current: AtomicU64,
    buckets: [AtomicIsize; BUCKETS],
    rotating: Mutex<()>,
    exhausted: AtomicU64,
}

const BUCKETS: usize = 10;
/// One retry, in budget units (so a share like 20% deposits 200 per call).
const UNIT: isize = 1000;
/// Retries always allowed per second.
const MIN_PER_SEC: isize = 10;
const RESERVE: isize = MIN_PER_SEC * BUCKETS as isize * UNIT;

impl RetryBudget {
    pub(crate) fn new(budget: Budget) -> Self {
        let deposit = match budget {
            Budget::Ratio(r) => Some((r.clamp(0.0, 1.0) * UNIT as f64).round() as isize),
            Budget::Unlimited => None,
        };
        RetryBudget {
            deposit,
            origin: Instant::now(),
            current: AtomicU64::new(0),
            buckets: Default::default(),
            rotating: Mutex::new(()),
            exhausted: AtomicU64::new(0),
        }
    }

    /// Counts a call.
    #[inline]
    pub(crate) fn deposit(&self) {
        if let Some(amount) = self.deposit {
            let i = self.bucket();
            self.buckets[i].fetch_add(amount, Ordering::Relaxed);
        }
    }

    /// Spends a retry, if the budget allows one.
    pub(crate) fn withdraw(&self) -> bool {
        if self.deposit.is_none() {
            return true;
        }
        let i = self.bucket();
        let balance: isize = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum();
        if balance + RESERVE < UNIT {
            self.exhausted.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.buckets[i].fetch_sub(UNIT, Ordering::Relaxed);
        true
    }

    /// Retries refused by the budget so far.
    pub(crate) fn exhausted(&self) -> u64 {
        self.exhausted.load(Ordering::Relaxed)
    }

    /// The current bucket, clearing those that slid out of the window since the last call.
    #[inline]
    fn bucket(&self) -> usize {
        let now = Instant::now()
            .saturating_duration_since(self.origin)
            .as_secs();
        if now != self.current.load(Ordering::Relaxed) {
            self.rotate(now);
        }
        (now % BUCKETS as u64) as usize
    }

    #[cold]
    fn rotate(&self, now: u64) {
        // Another thread rotating does the same work; its callers may count into a bucket
        // about to be cleared, which the budget tolerates (it is a bound, not a ledger).
        let Ok(_guard) = self.rotating.try_lock() else {
            return;
        };
        let last = self.current.load(Ordering::Relaxed);
        if now <= last {
            return;
        }
        for second in (last + 1).max(now.saturating_sub(BUCKETS as u64 - 1))..=now {
            self.buckets[(second % BUCKETS as u64) as usize].store(0, Ordering::Relaxed);
        }
        self.current.store(now, Ordering::Relaxed);
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
    async fn unlimited_never_refuses() {
        let b = RetryBudget::new(Budget::Unlimited);
        for _ in 0..10_000 {
            assert!(b.withdraw());
        }
    }
}
