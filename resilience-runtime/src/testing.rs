//! Helpers for deterministic tests.

#[cfg(feature = "test-util")]
pub use crate::blocking::ManualClock;
use std::future::Future;
use std::task::{Context, Waker};
use std::time::Duration;

/// Seeds this thread's jitter generator, so backoff delays repeat from run to run.
///
/// Under `#[tokio::test]` (a current-thread runtime) every retry of the test draws from this
/// thread, so one call at the top of the test makes the whole test reproducible.
///
/// ```
/// resilience_runtime::testing::seed(42);
/// ```
pub fn seed(seed: u64) {
    fastrand::seed(seed);
}

/// Cancels a call at every point it can be cancelled: for `k = 0, 1, 2, …` it runs `setup`,
/// builds a fresh call with `call`, polls it `k` times (sleeping `step` on tokio's clock between
/// polls, so timers beneath make progress), drops it, and runs `check(k)`, until the call
/// completes within `k` polls. Returns the number of cases run (the last one ran to completion).
///
/// `setup` sets the scene (occupy a bulkhead, spend a rate limit) before each case; `check`
/// asserts that nothing was lost: every place, permit and probe slot is back. Use it under a
/// paused clock (`#[tokio::test(start_paused = true)]`), where `step` costs no real time.
///
/// ```
/// use resilience_runtime::testing::cancel_at_every_poll;
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let cases = cancel_at_every_poll(
///     || async {},
///     || tokio::time::sleep(Duration::from_millis(30)),
///     Duration::from_millis(10),
///     |_k| async {},
/// )
/// .await;
/// assert_eq!(cases, 5);
/// # }
/// ```
pub async fn cancel_at_every_poll<S, SF, M, F, C, CF>(
    mut setup: S,
    mut call: M,
    step: Duration,
    mut check: C,
) -> usize
where
    S: FnMut() -> SF,
    SF: Future<Output = ()>,
    M: FnMut() -> F,
    F: Future,
    C: FnMut(usize) -> CF,
    CF: Future<Output = ()>,
{
    const LIMIT: usize = 100_000;
    for k in 0..LIMIT {
        setup().await;
        let mut fut = Box::pin(call());
        let mut cx = Context::from_waker(Waker::noop());
        let mut completed = false;
        for i in 0..k {
            if i > 0 {
                tokio::time::sleep(step).await;
            }
            if fut.as_mut().poll(&mut cx).is_ready() {
                completed = true;
                break;
            }
        }
        // Cancelled here (or dropped after completing).
        drop(fut);
        check(k).await;
        if completed {
            return k + 1;
        }
    }
    panic!("the call did not complete within {LIMIT} polls");
}
