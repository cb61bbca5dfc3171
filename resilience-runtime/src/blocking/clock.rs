//! A clock a sync test moves by hand: tokio's paused clock, entered on the test's thread, with
//! every sync wait of the policies turned into a move of that clock.

#[cfg(feature = "test-util")]
use std::cell::Cell;
use std::time::Duration;

#[cfg(feature = "test-util")]
thread_local! {
    /// The paused runtime of this thread while a `ManualClock` lives on it.
    static MANUAL: Cell<Option<&'static tokio::runtime::Runtime>> = const { Cell::new(None) };
}

/// A clock for sync tests, which tokio's paused clock does not reach (a sync retry would sleep
/// for real). While it lives, on its thread:
///
/// * every policy reads this clock (a breaker's open time, a rate limiter's window, a retry's
///   `max_elapsed` and budget), as they read tokio's paused clock in an async test;
/// * every sync wait (a retry's delay, a rate limit's or bulkhead's `max_wait`, chaos latency)
///   returns at once, with the clock moved forward by the time it would have slept;
/// * [`advance`](Self::advance) moves it by hand, as `tokio::time::advance` does.
///
/// Needs the feature `test-util` (a dev-dependency feature: it switches on tokio's own
/// `test-util`, so it costs an application nothing). Use it in a plain `#[test]`, one clock per
/// thread at a time; it cannot run inside a tokio runtime.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::testing::ManualClock;
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let start = tokio::time::Instant::now();
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(start.elapsed(), Duration::from_secs(30));
/// assert_eq!(clock.elapsed(), Duration::from_secs(30));
/// ```
#[cfg(feature = "test-util")]
#[derive(Debug)]
pub struct ManualClock {
    started: tokio::time::Instant,
    _enter: tokio::runtime::EnterGuard<'static>,
}

#[cfg(feature = "test-util")]
impl ManualClock {
    /// Stops this thread's clock: time moves only by [`advance`](Self::advance) and by the
    /// policies' sync waits, until the clock is dropped.
    ///
    /// # Panics
    ///
    /// Inside a tokio runtime, or while another `ManualClock` lives on this thread.
    pub fn new() -> Self {
        assert!(
            MANUAL.get().is_none(),
            "a ManualClock already runs on this thread; drop it first"
        );
        let runtime = paused_runtime();
        let enter = runtime.enter();
        MANUAL.set(Some(runtime));
        ManualClock {
            started: tokio::time::Instant::now(),
            _enter: enter,
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        advance(self.runtime(), d);
    }

    /// The time moved since this clock started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn runtime(&self) -> &'static tokio::runtime::Runtime {
        MANUAL.get().expect("set while the clock lives")
    }
}

#[cfg(feature = "test-util")]
impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

#[cfg(feature = "test-util")]
impl Drop for ManualClock {
    fn drop(&mut self) {
        MANUAL.set(None);
    }
}

/// This thread's paused current-thread runtime, built once per thread and kept (a sync test's
/// clock lives as long as its thread).
#[cfg(feature = "test-util")]
fn paused_runtime() -> &'static tokio::runtime::Runtime {
    thread_local! {
        static RUNTIME: &'static tokio::runtime::Runtime = Box::leak(Box::new(
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("a current-thread runtime with a paused clock"),
        ));
    }
    RUNTIME.with(|r| *r)
}

#[cfg(feature = "test-util")]
fn advance(runtime: &tokio::runtime::Runtime, d: Duration) {
    runtime.block_on(tokio::time::advance(d));
}

/// Moves this thread's manual clock by `d` when there is one; `false` otherwise.
#[cfg(feature = "test-util")]
pub(super) fn advance_if_manual(d: Duration) -> bool {
    match MANUAL.get() {
        Some(runtime) => {
            advance(runtime, d);
            true
        }
        None => false,
    }
}

/// Without `test-util` there is no manual clock.
#[cfg(not(feature = "test-util"))]
#[inline(always)]
pub(super) fn advance_if_manual(_: Duration) -> bool {
    false
}

/// Whether a `ManualClock` lives on this thread.
#[cfg(feature = "test-util")]
pub(super) fn is_manual() -> bool {
    MANUAL.get().is_some()
}

/// Without `test-util` there is no manual clock.
#[cfg(not(feature = "test-util"))]
#[inline(always)]
pub(super) fn is_manual() -> bool {
    false
}
