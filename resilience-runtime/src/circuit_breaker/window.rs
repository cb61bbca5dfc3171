//! The failure-rate window: two blocks, the current one and the one before, read lock-free.
//!
//! Counters are monotonic totals (successes striped per thread, failures and slow calls
//! shared); a block is the totals at its start, so every recorded call falls in exactly one
//! block however the reads interleave. The block's bounds are published under the breaker's
//! transition mutex and read lock-free through a sequence number (a seqlock made of atomics);
//! a reader that sees a write in progress falls back to the mutex instead of spinning.

use super::config::Window;
use super::sync::{AtomicU64, Ordering, fence};

/// Monotonic totals of the calls recorded while closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) successes: u64,
    pub(crate) failures: u64,
    pub(crate) slow: u64,
}

impl Totals {
    /// These totals less one call: a failure or a success, slow or not.
    pub(crate) fn without(self, failure: bool, slow: bool) -> Totals {
        Totals {
            successes: self.successes - u64::from(!failure && self.successes > 0),
            failures: self.failures - u64::from(failure && self.failures > 0),
            slow: self.slow - u64::from(slow && self.slow > 0),
        }
    }
}

/// Call, failure and slow-call counts (scaled, hence `f64`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Counts {
    pub(crate) calls: f64,
    pub(crate) failures: f64,
    pub(crate) slow: f64,
}

impl Counts {
    pub(crate) fn failure_rate(&self) -> f64 {
        if self.calls > 0.0 {
            (self.failures / self.calls).min(1.0)
        } else {
            0.0
        }
    }
    pub(crate) fn slow_rate(&self) -> f64 {
        if self.calls > 0.0 {
            (self.slow / self.calls).min(1.0)
        } else {
            0.0
        }
    }
}

/// The current block: where it started, and the previous block scaled to one window length.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Block {
    pub(crate) start: Totals,
    /// Nanoseconds since the breaker's creation (time windows only).
    pub(crate) start_time: u64,
    pub(crate) prev: Counts,
}

/// The window's view at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Estimate {
    pub(crate) counts: Counts,
    /// The current block has reached the window's length: roll before deciding.
    pub(crate) needs_roll: bool,
}

/// The window length in its unit (calls, or nanoseconds) and the current block's elapsed part.
fn progress(window: Window, block: &Block, cur: &Counts, now: u64) -> (f64, f64) {
    match window {
        Window::Calls(n) => (f64::from(n.max(1)), cur.calls),
        Window::Time(d) => (
            (d.as_nanos() as f64).max(1.0),
            now.saturating_sub(block.start_time) as f64,
        ),
    }
}

fn current(block: &Block, totals: Totals) -> Counts {
    let s = totals.successes.saturating_sub(block.start.successes);
    let f = totals.failures.saturating_sub(block.start.failures);
    Counts {
        calls: (s + f) as f64,
        failures: f as f64,
        slow: totals.slow.saturating_sub(block.start.slow) as f64,
    }
}

/// `current + previous × (1 − elapsed / length)`: the calls of the last window length, the part
/// that falls in the previous block estimated from that block's rates.
pub(crate) fn estimate(window: Window, block: &Block, totals: Totals, now: u64) -> Estimate {
    let cur = current(block, totals);
    let (length, elapsed) = progress(window, block, &cur, now);
    let weight = (1.0 - elapsed / length).max(0.0);
    Estimate {
        counts: Counts {
            calls: cur.calls + block.prev.calls * weight,
            failures: cur.failures + block.prev.failures * weight,
            slow: cur.slow + block.prev.slow * weight,
        },
        needs_roll: elapsed >= length,
    }
}

/// Starts a new block at `totals`/`now`; the finished block, scaled to one window length
/// (it may have run longer: blocks roll only when a failure or slow call is recorded),
/// becomes the previous one.
pub(crate) fn roll(window: Window, block: &Block, totals: Totals, now: u64) -> Block {
    let cur = current(block, totals);
    let (length, elapsed) = progress(window, block, &cur, now);
    let scale = if elapsed > length {
        length / elapsed
    } else {
        1.0
    };
    Block {
        start: totals,
        start_time: now,
        prev: Counts {
            calls: cur.calls * scale,
            failures: cur.failures * scale,
            slow: cur.slow * scale,
        },
    }
}

/// A fresh window starting at `totals`/`now`, with nothing before it.
pub(crate) fn fresh(totals: Totals, now: u64) -> Block {
    Block {
        start: totals,
        start_time: now,
        prev: Counts::default(),
    }
}

/// The current [`Block`], written under the breaker's mutex and read lock-free.
#[derive(Debug)]
pub(crate) struct BlockCell {
    seq: AtomicU64,
    fields: [AtomicU64; 7],
}

impl BlockCell {
    pub(crate) fn new(block: Block) -> Self {
        let cell = BlockCell {
            seq: AtomicU64::new(0),
            fields: std::array::from_fn(|_| AtomicU64::new(0)),
        };
        cell.store(block);
        cell
    }

    /// The block, or `None` when a write was in progress (then read it under the mutex).
    pub(crate) fn read(&self) -> Option<Block> {
        let before = self.seq.load(Ordering::Acquire);
        if before % 2 == 1 {
            return None;
        }
        let block = self.fields();
        fence(Ordering::Acquire);
        let after = self.seq.load(Ordering::Relaxed);
        (before == after).then_some(block)
    }

    /// The block, read by a holder of the breaker's mutex (no write can be in progress).
    pub(crate) fn read_locked(&self) -> Block {
        self.read().unwrap_or_else(|| self.fields())
    }

    fn fields(&self) -> Block {
        let v: [u64; 7] = std::array::from_fn(|i| self.fields[i].load(Ordering::Relaxed));
        Block {
            start: Totals {
                successes: v[0],
                failures: v[1],
                slow: v[2],
            },
            start_time: v[3],
            prev: Counts {
                calls: f64::from_bits(v[4]),
                failures: f64::from_bits(v[5]),
                slow: f64::from_bits(v[6]),
            },
        }
    }

    /// Replaces the block. The caller holds the breaker's transition mutex.
    pub(crate) fn store(&self, b: Block) {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let v = [
            b.start.successes,
            b.start.failures,
            b.start.slow,
            b.start_time,
            b.prev.calls.to_bits(),
            b.prev.failures.to_bits(),
            b.prev.slow.to_bits(),
        ];
        for (field, v) in self.fields.iter().zip(v) {
            field.store(v, Ordering::Relaxed);
        }
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    fn totals(successes: u64, failures: u64) -> Totals {
        Totals {
            successes,
            failures,
            slow: 0,
        }
    }

    #[test]
    fn count_window_weighs_the_previous_block_by_what_the_current_has_not_filled() {
        let w = Window::Calls(10);
        let b = fresh(Totals::default(), 0);
        // 10 calls, 5 failing: the block is full.
        let e = estimate(w, &b, totals(5, 5), 0);
        assert_eq!(e.counts.calls, 10.0);
        assert!(e.needs_roll);
        let b = roll(w, &b, totals(5, 5), 0);
        // 4 new successes: 4 + 6/10 of the previous block.
        let e = estimate(w, &b, totals(9, 5), 0);
        assert_eq!(e.counts.calls, 10.0);
        assert!((e.counts.failures - 3.0).abs() < 1e-9);
    }

    #[test]
    fn an_overgrown_block_is_scaled_to_one_window() {
        let w = Window::Calls(10);
        let b = fresh(Totals::default(), 0);
        let b = roll(w, &b, totals(99, 1), 0);
        assert_eq!(b.prev.calls, 10.0);
        assert!((b.prev.failures - 0.1).abs() < 1e-9);
    }

    #[test]
    fn time_window_fades_the_previous_block_with_time() {
        let w = Window::Time(Duration::from_nanos(100));
        let b = roll(w, &fresh(Totals::default(), 0), totals(2, 2), 100);
        let e = estimate(w, &b, totals(2, 2), 150);
        assert_eq!(e.counts.calls, 2.0);
        assert!(!e.needs_roll);
        assert!(estimate(w, &b, totals(2, 2), 200).needs_roll);
    }

    #[test]
    fn the_cell_reads_back_what_was_stored() {
        let b = roll(
            Window::Calls(3),
            &fresh(Totals::default(), 0),
            totals(1, 2),
            7,
        );
        let cell = BlockCell::new(b);
        assert_eq!(cell.read(), Some(b));
    }
}
