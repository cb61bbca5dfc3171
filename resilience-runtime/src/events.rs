//! [`Registry::subscribe`]: a broadcast stream of typed events, for programs that react to
//! what their policies do (page someone when a breaker opens, shed load, draw a dashboard).

use crate::Error;
use crate::circuit_breaker::CircuitState;
use crate::registry::Registry;
use std::time::Duration;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it misses some
/// ([`broadcast::error::RecvError::Lagged`] tells it how many).
pub const EVENT_BUFFER: usize = 1024;

/// Something a policy did. Sent to every [`Registry::subscribe`] receiver; the same moments
/// are logged through `tracing` (target `resilience`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A call failed and will be tried again after `delay`.
    Retry {
        /// The retry's name.
        name: &'static str,
        /// The attempt that failed (1 for the first).
        attempt: u32,
        /// The sleep before the next attempt.
        delay: Duration,
        /// The error: its `Display` when it has one, else its `Debug` (never a backtrace).
        error: String,
    },
    /// A retry was refused by the retry budget; the call returned its last error.
    RetryBudgetExhausted {
        /// The retry's name.
        name: &'static str,
        /// The attempt that failed.
        attempt: u32,
        /// The error: its `Display` when it has one, else its `Debug` (never a backtrace).
        error: String,
    },
    /// A circuit breaker changed state.
    CircuitTransition {
        /// The breaker's name.
        name: &'static str,
        /// The key of a per-key breaker (`key = ..`): its label is `name[key]`.
        key: Option<std::sync::Arc<str>>,
        /// The state it left.
        from: CircuitState,
        /// The state it entered.
        to: CircuitState,
        /// The window's failure rate when it changed (0.0–1.0).
        failure_rate: f64,
        /// The window's slow-call rate when it changed (0.0–1.0).
        slow_rate: f64,
        /// The calls in the window when it changed.
        calls: u64,
    },
    /// `#[hedge]` started another run of a slow (or failed) call beside the ones going.
    Hedge {
        /// The hedge's name.
        name: &'static str,
        /// The run started: 1 for the first hedge, up to `max_hedged`.
        run: u32,
        /// Time since the call began waiting.
        after: Duration,
    },
    /// A layer refused a call or cut it short: the error the call failed with
    /// ([`Error::Timeout`], [`Error::CircuitOpen`], [`Error::BulkheadFull`],
    /// [`Error::RateLimited`] or [`Error::Injected`]), which names the policy.
    Rejected(Error),
}

impl Registry {
    /// A receiver of every [`Event`] from now on, from every callsite in the process (or, on a
    /// test registry from [`testing::isolated`](crate::testing::isolated), from the calls made
    /// on that test's thread only).
    ///
    /// Events are only built while someone is subscribed; a receiver that falls more than
    /// [`EVENT_BUFFER`] events behind skips the oldest and is told how many it missed.
    ///
    /// ```
    /// # use resilience_runtime as resilience;
    /// use resilience::{registry, CircuitState, Event};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut events = registry().subscribe();
    /// tokio::spawn(async move {
    ///     while let Ok(event) = events.recv().await {
    ///         if let Event::CircuitTransition { name, to: CircuitState::Open, .. } = event {
    ///             eprintln!("breaker {name} opened");
    ///         }
    ///     }
    /// });
    /// # }
    /// ```
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events
            .get_or_init(|| broadcast::channel(EVENT_BUFFER).0)
            .subscribe()
    }
}

/// Sends the event `make` builds to the subscribers of this thread's registry (the
/// process-wide one, or a test's own), if there are any (nothing is built otherwise).
#[inline]
pub(crate) fn emit(make: impl FnOnce() -> Event) {
    if let Some(tx) = crate::registry::registry().events.get()
        && tx.receiver_count() > 0
    {
        // An error means the last receiver left meanwhile: nobody to tell.
        let _ = tx.send(make());
    }
}
