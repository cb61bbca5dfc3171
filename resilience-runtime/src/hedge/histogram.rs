//! The latencies of one hedge name: log-scaled buckets in a rotating pair of 5 s halves, so
//! a percentile reads the last 5–10 s.
//!
//! Recording takes no lock and allocates nothing: one compare-and-swap on a cell of the
//! calling thread's stripe (`stripe.rs`). Each cell carries the 5 s epoch it counts for in
//! its high bits, so a cell rotates itself when a newer epoch writes to it: there is no
//! clearing pass to race with, and a sample of an older epoch than the cell's is dropped.

use crate::stripe::{STRIPES, with_my_line};
use std::time::Duration;
use tokio::time::Instant;

#[cfg(loom)]
use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU64, Ordering};

/// Sub-buckets per power of two: a bucket is at most 12.5% wide.
const SUB: u64 = 8;
/// Buckets: 0–7 µs one by one, then 8 per power of two up to 2^37 µs (38 hours).
#[cfg(not(loom))]
pub(crate) const BUCKETS: usize = 8 + 34 * SUB as usize;
#[cfg(loom)]
pub(crate) const BUCKETS: usize = 4;
/// The largest latency counted as itself (longer ones count in the last bucket).
const MAX_MICROS: u64 = (1 << 37) - 1;
/// Length of one half of the pair.
pub(crate) const HALF: Duration = Duration::from_secs(5);
/// Bits of a cell's count; the rest hold its epoch.
const COUNT_BITS: u32 = 40;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;
const TAG_MASK: u64 = (1 << (64 - COUNT_BITS)) - 1;
/// Latencies needed before a percentile is given.
pub(crate) const MIN_SAMPLES: u64 = 20;

/// One stripe: both halves of every bucket, alone on its lines.
#[repr(align(128))]
struct Line([AtomicU64; 2 * BUCKETS]);

/// See the module's documentation.
pub(crate) struct Histogram {
    origin: Instant,
    lines: Box<[Line]>,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram").finish_non_exhaustive()
    }
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram {
            origin: Instant::now(),
            lines: (0..STRIPES)
                .map(|_| Line(std::array::from_fn(|_| AtomicU64::new(0))))
                .collect(),
        }
    }

    /// The epoch (5 s since creation) of `now`.
    #[inline]
    pub(crate) fn epoch(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_secs() / HALF.as_secs()
    }

    /// Counts one latency of `micros` in `epoch`: one CAS on this thread's stripe.
    #[inline]
    pub(crate) fn record(&self, micros: u64, epoch: u64) {
        let i = half(epoch) * BUCKETS + bucket(micros);
        let tag = epoch & TAG_MASK;
        with_my_line(&self.lines, |line| {
            let _ = line.0[i].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |cell| {
                let had = cell >> COUNT_BITS;
                if had == tag {
                    Some(if cell & COUNT_MASK == COUNT_MASK {
                        cell
                    } else {
                        cell + 1
                    })
                } else if newer(tag, had) {
                    Some(tag << COUNT_BITS | 1)
                } else {
                    // The cell has moved on to a later epoch: this sample is stale.
                    None
                }
            });
        });
    }

    /// The latencies of `epoch` and the one before, per bucket, and their total.
    fn counts(&self, epoch: u64) -> ([u64; BUCKETS], u64) {
        let mut counts = [0u64; BUCKETS];
        let mut total = 0;
        let wanted = [Some(epoch), epoch.checked_sub(1)];
        for line in self.lines.iter() {
            for e in wanted.into_iter().flatten() {
                let tag = e & TAG_MASK;
                let cells = &line.0[half(e) * BUCKETS..][..BUCKETS];
                for (count, cell) in counts.iter_mut().zip(cells) {
                    let cell = cell.load(Ordering::Relaxed);
                    if cell >> COUNT_BITS == tag {
                        *count += cell & COUNT_MASK;
                        total += cell & COUNT_MASK;
                    }
                }
            }
        }
        (counts, total)
    }

    /// The latency below which a share `q` (0.5–0.999) of the last 5–10 s fell (the upper
    /// bound of its bucket), once [`MIN_SAMPLES`] latencies are known there.
    pub(crate) fn quantile(&self, q: f64, epoch: u64) -> Option<Duration> {
        let (counts, total) = self.counts(epoch);
        if total < MIN_SAMPLES {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (i, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(Duration::from_micros(upper_bound(i)));
            }
        }
        Some(Duration::from_micros(upper_bound(BUCKETS - 1)))
    }

    /// Latencies known in `epoch` and the one before.
    pub(crate) fn len(&self, epoch: u64) -> u64 {
        self.counts(epoch).1
    }
}

fn half(epoch: u64) -> usize {
    (epoch & 1) as usize
}

/// Whether epoch tag `a` is later than `b` (tags wrap after 2^24 epochs, 2.6 years).
fn newer(a: u64, b: u64) -> bool {
    let d = a.wrapping_sub(b) & TAG_MASK;
    d != 0 && d < TAG_MASK / 2
}

/// The bucket of `micros`.
#[inline]
fn bucket(micros: u64) -> usize {
    let v = micros.min(MAX_MICROS);
    if v < SUB {
        return (v as usize).min(BUCKETS - 1);
    }
    let msb = 63 - u64::from(v.leading_zeros());
    let sub = (v >> (msb - 3)) & (SUB - 1);
    (((msb - 2) * SUB + sub) as usize).min(BUCKETS - 1)
}

/// The first latency past bucket `i`, in µs.
fn upper_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i + 1;
    }
    let msb = i / SUB + 2;
    let sub = i % SUB;
    (SUB + sub + 1) << (msb - 3)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_at_most_an_eighth_wide() {
        let mut last = 0;
        for v in 0..100_000u64 {
            let b = bucket(v);
            assert!(
                b == last || b == last + 1,
                "bucket of {v} jumps from {last} to {b}"
            );
            assert!(v < upper_bound(b), "{v} is past its bucket's bound");
            if v >= SUB {
                assert!(upper_bound(b) as f64 <= v as f64 * 1.126 + 1.0, "{v}");
            }
            last = b;
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[tokio::test(start_paused = true)]
    async fn no_percentile_before_twenty_latencies() {
        let h = Histogram::new();
        for _ in 0..19 {
            h.record(10_000, 0);
        }
        assert_eq!(h.quantile(0.95, 0), None);
        h.record(10_000, 0);
        let p = h.quantile(0.95, 0).expect("20 latencies");
        assert!(
            p > Duration::from_millis(10) && p <= Duration::from_micros(11_264),
            "{p:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_percentile_reads_the_tail() {
        let h = Histogram::new();
        for i in 0..1000u64 {
            h.record(if i % 20 == 0 { 500_000 } else { 10_000 }, 0);
        }
        // 5% slow: p90 is a fast call, p99 a slow one.
        assert!(h.quantile(0.90, 0).unwrap() < Duration::from_millis(12));
        assert!(h.quantile(0.99, 0).unwrap() > Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn latencies_older_than_two_halves_are_forgotten() {
        let h = Histogram::new();
        for _ in 0..30 {
            h.record(10_000, 0);
        }
        assert_eq!(h.len(0), 30);
        assert_eq!(h.len(1), 30, "the previous half still counts");
        assert_eq!(h.len(2), 0, "two halves later it is gone");
        // Epoch 2 reuses epoch 0's cells: they rotate on the first write.
        h.record(10_000, 2);
        assert_eq!(h.len(2), 1);
        // A stale sample of epoch 0 is not counted in epoch 2.
        h.record(20_000, 0);
        assert_eq!(h.len(2), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_epoch_follows_tokios_clock() {
        let h = Histogram::new();
        assert_eq!(h.epoch(Instant::now()), 0);
        tokio::time::advance(Duration::from_secs(12)).await;
        assert_eq!(h.epoch(Instant::now()), 2);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    /// Two writers race on one cell across a rotation (epochs 0 and 2 share a half): whatever
    /// the interleaving, epoch 2 counts exactly its own samples, never the stale one.
    #[test]
    fn a_rotation_racing_a_stale_write_counts_only_the_new_epoch() {
        loom::model(|| {
            let h = Arc::new(Histogram {
                origin: Instant::now(),
                lines: (0..STRIPES)
                    .map(|_| Line(std::array::from_fn(|_| AtomicU64::new(0))))
                    .collect(),
            });
            let old = {
                let h = Arc::clone(&h);
                thread::spawn(move || h.record(1, 0))
            };
            let new = {
                let h = Arc::clone(&h);
                thread::spawn(move || h.record(1, 2))
            };
            h.record(1, 2);
            old.join().unwrap();
            new.join().unwrap();
            assert_eq!(h.counts(2).0[1], 2);
            assert_eq!(h.len(2), 2);
        });
    }
}
