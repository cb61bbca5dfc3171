//! Helpers for deterministic tests: a registry of a test's own ([`isolated`]), seeded jitter
//! ([`seed`]), cancellation at every poll ([`cancel_at_every_poll`]) and, with the feature
//! `test-util`, a clock that sync tests move by hand (`ManualClock`).
//!
//! # Tests that share names, in parallel
//!
//! Named policies are process-wide: two tests that call functions with
//! `#[circuit_breaker(name = "payments")]` share one breaker, so under `cargo test` (which runs
//! the tests of a binary on several threads at once) one test's failures can open the other's
//! breaker, fill its bulkhead or spend its rate limit. Start such a test with
//! [`isolated()`]: until the guard is dropped, every callsite called on this thread, and
//! [`registry()`](crate::registry), use a registry of the test's own, with fresh instances
//! created under the test's own clock.
//!
//! * **`cargo test`**: tests run on threads of one process, so each test that shares names
//!   needs `let _registry = isolated();` at its top. `#[tokio::test]` runs the test's future on
//!   the test's thread (the current-thread runtime), so everything it awaits and spawns sees
//!   the test's registry. A `flavor = "multi_thread"` runtime runs tasks on its own worker
//!   threads, which do not see it: keep isolated tests on the current-thread runtime.
//! * **`cargo nextest`**: each test runs in a process of its own, so tests cannot see each
//!   other's instances anyway; `isolated()` costs nothing there and keeps the same test
//!   correct under `cargo test`.
//!
//! **Paused clocks.** Under `#[tokio::test(start_paused = true)]` each test's runtime has its own
//! clock, and a `tokio::time::Instant` read under one paused clock means nothing to another: each
//! runtime starts its clock where the real one stood and moves it on by its own sleeps. A
//! breaker shared by two such tests keeps the instant it opened under the first test's clock and
//! measures `open_for` with the second's, so the second sees a `retry_after` that is neither its
//! `open_for` nor anything it waited (such as 2.25 s left of `open_for = 2s`). An isolated
//! registry creates its instances on the test's first call, under the test's clock, and only
//! that test reads them, so every time they measure is on one clock.
//!
//! Outside tests none of this costs anything measurable: until the first `isolated()` of the
//! process, a callsite reads one relaxed flag (false) before its cached instance.
//!
//! Events are isolated too: `registry().subscribe()` inside an isolated test hears only the
//! calls made on that test's thread. Timeout counts (`registry().timeouts()`) are per callsite
//! and process-wide: they change no behaviour, so they are not isolated, and a test registry's
//! `timeouts()` and snapshot both show the process-wide ones.

#[cfg(feature = "test-util")]
pub use crate::blocking::ManualClock;
use crate::registry::{self, Registry};
use std::future::Future;
use std::task::{Context, Waker};
use std::time::Duration;

/// Seeds this thread's jitter generator, so backoff delays repeat from run to run.
///
/// Under `#[tokio::test]` (a current-thread runtime) every retry of the test draws from this
/// thread, so one call at the top of the test makes the whole test reproducible.
///
/// ```
/// # use resilience_runtime as resilience;
/// resilience::testing::seed(42);
/// ```
pub fn seed(seed: u64) {
    fastrand::seed(seed);
}

/// Gives this thread a registry of its own until the returned guard is dropped: the callsites
/// called on this thread create fresh instances in it (under the caller's clock), and
/// [`registry()`](crate::registry) returns it. See the [module docs](self) for `cargo test`,
/// `cargo nextest` and paused clocks.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::{registry, testing, CircuitState};
///
/// // `admitted()` calls a `#[circuit_breaker(name = "docs::payments")]` function and tells
/// // whether the breaker let the call through.
/// # use resilience_runtime::circuit_breaker::{BreakerPolicy, BreakerSite};
/// # static SITE: BreakerSite = BreakerSite::new("docs::payments", "docs.rs:1");
/// # fn admitted() -> bool { SITE.acquire(BreakerPolicy::DEFAULT).is_ok() }
///
/// // A test that opens the shared breaker…
/// let one = std::thread::spawn(|| {
///     let _registry = testing::isolated();
///     assert!(admitted()); // registers the breaker in this test's registry
///     registry().circuit_breaker("docs::payments").unwrap().force_open();
///     assert!(!admitted());
/// });
/// one.join().unwrap();
///
/// // …and another, on another thread, which never sees it open.
/// let _registry = testing::isolated();
/// assert!(admitted());
/// assert_eq!(registry().circuit_breaker("docs::payments").unwrap().state(), CircuitState::Closed);
/// ```
#[must_use = "the test's registry is this thread's only while the guard lives"]
pub fn isolated() -> Isolated {
    let own: &'static Registry = Box::leak(Box::default());
    let previous = registry::set_current(Some(own));
    Isolated {
        registry: own,
        previous,
        _not_send: std::marker::PhantomData,
    }
}

/// A test's own registry, this thread's while the guard lives; see [`isolated`].
///
/// Its instances live until the process ends (a few hundred bytes per callsite and test), so
/// an instance kept by a callsite is never freed under it.
#[derive(Debug)]
pub struct Isolated {
    registry: &'static Registry,
    previous: Option<&'static Registry>,
    /// The guard belongs to the thread whose registry it set.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Isolated {
    /// The test's registry (what [`registry()`](crate::registry) returns on this thread).
    pub fn registry(&self) -> &'static Registry {
        self.registry
    }
}

impl Drop for Isolated {
    fn drop(&mut self) {
        registry::set_current(self.previous);
    }
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
/// # use resilience_runtime as resilience;
/// use resilience::testing::cancel_at_every_poll;
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
