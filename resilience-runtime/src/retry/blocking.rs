//! The sync front of a retry: the delay before the next attempt blocks the thread.

use super::RetryCall;
use crate::blocking::{self, BlockingSite};
use std::time::Duration;

impl RetryCall<'_> {
    /// Blocks the thread for `delay` (from [`decide`](Self::decide)) before the next attempt:
    /// what a plain `fn` under `#[retry]` calls where an `async fn` awaits
    /// [`wait`](Self::wait). Under a `ManualClock` (`testing`, feature `test-util`) the clock
    /// moves instead.
    ///
    /// ```
    /// use resilience_runtime::__private::{RetryPolicy, RetrySite, lift};
    /// use resilience_runtime::blocking::BlockingSite;
    /// use std::ops::ControlFlow;
    ///
    /// static RETRY: RetrySite = RetrySite::new("docs::blocking_retry");
    /// static SITE: BlockingSite = BlockingSite::new("docs::blocking_retry");
    /// let policy = RetryPolicy { backoff: resilience_runtime::retry::Backoff::None, ..RetryPolicy::DEFAULT };
    /// let mut call = RETRY.begin(&policy);
    /// let mut tries = 0;
    /// let out = loop {
    ///     tries += 1;
    ///     let result = lift::<Result<u32, &str>, resilience_runtime::Error>(if tries < 3 { Err("flaky") } else { Ok(7) });
    ///     match call.decide(result, |_| true, resilience_runtime::show::ByDisplay) {
    ///         ControlFlow::Break(r) => break r,
    ///         ControlFlow::Continue(delay) => call.wait_blocking(delay, &SITE),
    ///     }
    /// };
    /// assert_eq!(out.ok(), Some(7));
    /// assert_eq!(tries, 3);
    /// ```
    pub fn wait_blocking(&mut self, delay: Duration, site: &BlockingSite) {
        if !delay.is_zero() {
            site.before_wait();
            blocking::sleep(delay);
        }
        self.attempt += 1;
    }
}
