//! Per-thread stripes: a counter many threads bump is split into cache-line-sized stripes, and
//! each thread bumps its own, so the hot path never bounces one line between cores.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The calling thread's stripe among `n`: threads take ordinals round-robin on first use.
///
/// A `const` thread-local read, no allocation and no destructor; `n` is a constant where it is
/// called, so the modulo folds into a mask.
#[inline]
pub(crate) fn index(n: usize) -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static ORDINAL: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    ORDINAL.with(|i| {
        if i.get() == usize::MAX {
            i.set(NEXT.fetch_add(1, Ordering::Relaxed) % 64);
        }
        i.get() % n
    })
}
