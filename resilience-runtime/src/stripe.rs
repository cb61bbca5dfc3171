//! Per-thread stripes: a counter many threads bump is split into cache-line-sized stripes, and
//! each thread bumps its own, so the hot path never bounces one line between cores.
//!
//! A striped counter is a flat array of cells, [`SPACING`] cells (one 128-byte line) between
//! two stripes; only the first cell of each stripe is used. A thread keeps the index of its
//! cell in a thread-local, so picking it is one thread-local read and the bounds check that
//! indexing does anyway (an unset index is out of bounds).

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

// The counter's cells are loom's under `--cfg loom`, for the breaker's model tests.
#[cfg(loom)]
use loom::sync::atomic::AtomicU64;
#[cfg(not(loom))]
use std::sync::atomic::AtomicU64;

/// Cells (8 bytes each) from one stripe to the next: one 128-byte line.
pub(crate) const SPACING: usize = 16;

/// Stripes threads are spread over, round-robin; a counter with fewer (the loom models') folds
/// them.
const MAX_STRIPES: usize = 8;

thread_local! {
    /// This thread's cell index (its stripe × [`SPACING`]), `usize::MAX` until first use.
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// `f` of the calling thread's cell among `cells` (`SPACING` × the number of stripes of them):
/// threads take stripes round-robin on first use.
///
/// A `const` thread-local read, no allocation and no destructor. (The first use calls `f` out of
/// line, so the fast path addresses the cell directly.)
#[inline]
pub(crate) fn with_mine<T, R>(cells: &[T], f: impl FnOnce(&T) -> R) -> R {
    match cells.get(SLOT.with(Cell::get)) {
        Some(cell) => f(cell),
        None => with_mine_slow(cells, f),
    }
}

/// The first use on this thread, or a counter with fewer stripes than [`MAX_STRIPES`].
///
/// `extern "C"`: it cannot unwind (a panic here aborts; nothing here panics), so an inlined
/// caller needs no landing pad for it (issue 18: a landing pad in a future's `poll` keeps the
/// future's state in memory).
#[cold]
#[inline(never)]
#[allow(improper_ctypes_definitions)]
extern "C" fn with_mine_slow<T, R, F: FnOnce(&T) -> R>(cells: &[T], f: F) -> R {
    f(&cells[my_slot() % cells.len()])
}

/// This thread's cell index, taking the next stripe round-robin on first use.
fn my_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    SLOT.with(|s| {
        if s.get() == usize::MAX {
            s.set(NEXT.fetch_add(1, Ordering::Relaxed) % MAX_STRIPES * SPACING);
        }
        s.get()
    })
}

/// Stripes of a [`StripedCounter`] (and of the breaker's time buckets).
#[cfg(not(loom))]
pub(crate) const STRIPES: usize = MAX_STRIPES;
#[cfg(loom)]
pub(crate) const STRIPES: usize = 2;

/// `f` of the calling thread's line among `lines` (one per stripe, each a 128-byte line of
/// its own): the line of the stripe [`with_mine`] picks.
#[inline]
pub(crate) fn with_my_line<T, R>(lines: &[T], f: impl FnOnce(&T) -> R) -> R {
    match lines.get(SLOT.with(Cell::get) / SPACING) {
        Some(line) => f(line),
        None => with_my_line_slow(lines, f),
    }
}

/// The first use on this thread, or fewer lines than [`MAX_STRIPES`].
///
/// `extern "C"`: it cannot unwind (a panic here aborts; nothing here panics), so an inlined
/// caller needs no landing pad for it (issue 18: a landing pad in a future's `poll` keeps the
/// future's state in memory).
#[cold]
#[inline(never)]
#[allow(improper_ctypes_definitions)]
extern "C" fn with_my_line_slow<T, R, F: FnOnce(&T) -> R>(lines: &[T], f: F) -> R {
    f(&lines[my_slot() / SPACING % lines.len()])
}

/// A counter many threads bump: one stripe per thread, each alone on its 128-byte line. Used
/// by the circuit breaker (its successes) and the retry budget (its calls).
#[repr(align(128))]
pub(crate) struct StripedCounter([AtomicU64; STRIPES * SPACING]);

impl StripedCounter {
    pub(crate) fn new() -> Self {
        StripedCounter(std::array::from_fn(|_| AtomicU64::new(0)))
    }

    /// Counts one on the calling thread's stripe (relaxed); returns that stripe's count before.
    #[inline]
    pub(crate) fn bump(&self) -> u64 {
        with_mine(&self.0, |c| c.fetch_add(1, Ordering::Relaxed))
    }

    /// Each stripe's count.
    /// [`bump`](Self::bump) on this thread's stripe if the thread has picked one; `None` on a
    /// thread's first bump, so that a caller can put that path, and whatever follows it, out
    /// of line.
    #[inline]
    pub(crate) fn try_bump(&self) -> Option<u64> {
        let cell = self.0.get(SLOT.with(Cell::get))?;
        Some(cell.fetch_add(1, Ordering::Relaxed))
    }

    fn stripes(&self) -> impl Iterator<Item = &AtomicU64> {
        self.0.iter().step_by(SPACING)
    }

    /// The sum of the stripes (relaxed reads: a count, not a snapshot).
    pub(crate) fn sum(&self) -> u64 {
        self.stripes().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}

impl std::fmt::Debug for StripedCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.stripes()).finish()
    }
}
