//! `#[chaos]` on the paused clock: inert until switched on, exact rates, reproducible with a
//! seed, latency on tokio's clock, and the layers above seeing injected faults as failures.
//!
//! The switch and the generator are process-wide and the tests of this binary run in
//! parallel, so every test holds [`SERIAL`] and sets the switch itself.
#![cfg(feature = "chaos")]

use resilience::{CircuitState, Error, Event, chaos, circuit_breaker, registry, retry, timeout};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

static SERIAL: Mutex<()> = Mutex::const_new(());

/// Holds the switch for one test, with chaos on or off.
async fn switched(on: bool) -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().await;
    if on {
        chaos::enable();
    } else {
        chaos::disable();
    }
    guard
}

fn injected(name: &'static str) -> Error {
    Error::Injected { name }
}

// ---- Inert until switched on ----

static INERT_RUNS: AtomicU32 = AtomicU32::new(0);

#[chaos(error_rate = 100%, latency = 1s, name = "chaos-inert")]
async fn inert() -> Result<u32, Error> {
    INERT_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn inert_until_switched_on_and_again_after_switching_off() {
    let _serial = switched(false).await;
    let start = Instant::now();
    for _ in 0..10 {
        assert_eq!(inert().await, Ok(1));
    }
    assert_eq!(INERT_RUNS.load(Ordering::SeqCst), 10);
    assert_eq!(start.elapsed(), Duration::ZERO, "no latency while off");

    chaos::enable();
    assert!(chaos::is_enabled());
    assert_eq!(inert().await, Err(injected("chaos-inert")));
    assert_eq!(
        INERT_RUNS.load(Ordering::SeqCst),
        10,
        "the body did not run"
    );

    chaos::disable();
    assert!(!chaos::is_enabled());
    assert_eq!(inert().await, Ok(1));
    assert_eq!(INERT_RUNS.load(Ordering::SeqCst), 11);
}

// ---- Exact rates ----

static ALWAYS_RUNS: AtomicU32 = AtomicU32::new(0);

#[chaos(error_rate = 100%)]
async fn always() -> Result<(), Error> {
    ALWAYS_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

static NEVER_RUNS: AtomicU32 = AtomicU32::new(0);

#[chaos(error_rate = 0%)]
async fn never() -> Result<(), Error> {
    NEVER_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_error_rate_of_100_percent_always_injects_and_the_body_never_runs() {
    let _serial = switched(true).await;
    for _ in 0..200 {
        // The default name is the function's path.
        assert_eq!(always().await, Err(injected("chaos::always")));
    }
    assert_eq!(ALWAYS_RUNS.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn an_injected_fault_reaches_the_event_stream() {
    let _serial = switched(true).await;
    let mut events = registry().subscribe();
    let _ = always().await;
    assert_eq!(
        events.try_recv().unwrap(),
        Event::Rejected(injected("chaos::always"))
    );
}

#[tokio::test(start_paused = true)]
async fn an_error_rate_of_0_percent_never_injects() {
    let _serial = switched(true).await;
    for _ in 0..200 {
        assert_eq!(never().await, Ok(()));
    }
    assert_eq!(NEVER_RUNS.load(Ordering::SeqCst), 200);
}

// ---- Reproducible with a seed ----

#[chaos(error_rate = 50%, latency = 10ms, latency_rate = 50%, name = "chaos-seeded")]
async fn seeded() -> Result<(), Error> {
    Ok(())
}

/// 64 calls after `seed(s)`: each one's outcome and how long it took.
async fn sequence(s: u64) -> Vec<(bool, Duration)> {
    chaos::seed(s);
    let mut out = Vec::new();
    for _ in 0..64 {
        let start = Instant::now();
        let failed = seeded().await.is_err();
        out.push((failed, start.elapsed()));
    }
    out
}

#[tokio::test(start_paused = true)]
async fn a_seed_gives_the_same_faults_and_delays_twice() {
    let _serial = switched(true).await;
    let first = sequence(42).await;
    assert_eq!(sequence(42).await, first);
    // Half and half: every combination shows up in 64 calls, so the sequence is not trivial.
    let ten = Duration::from_millis(10);
    for combination in [
        (true, ten),
        (true, Duration::ZERO),
        (false, ten),
        (false, Duration::ZERO),
    ] {
        assert!(first.contains(&combination), "{combination:?} in {first:?}");
    }
    assert_ne!(sequence(43).await, first, "another seed, other faults");
}

// ---- Latency on tokio's clock ----

#[chaos(latency = 200ms)]
async fn delayed() -> Result<Instant, Error> {
    Ok(Instant::now())
}

#[tokio::test(start_paused = true)]
async fn latency_delays_the_body_by_exactly_latency() {
    let _serial = switched(true).await;
    for _ in 0..5 {
        let start = Instant::now();
        // `latency_rate` defaults to every call when `latency` is given.
        let body_started = delayed().await.unwrap();
        assert_eq!(body_started - start, Duration::from_millis(200));
    }
}

#[timeout(100ms)]
#[chaos(latency = 200ms)]
async fn delayed_past_a_timeout() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_timeout_above_cuts_the_injected_latency_short() {
    let _serial = switched(true).await;
    let start = Instant::now();
    let e = delayed_past_a_timeout().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

// ---- The layers above see injected faults as failures ----

#[derive(Debug, PartialEq)]
enum PayError {
    Resilience(Error),
}

impl From<Error> for PayError {
    fn from(e: Error) -> Self {
        PayError::Resilience(e)
    }
}

static BREAKER_RUNS: AtomicU32 = AtomicU32::new(0);

// The chaos layer has no name of its own: it takes the function's label, the breaker's name.
#[circuit_breaker(consecutive_failures = 3, open_for = 30s, name = "chaos-breaker")]
#[chaos(error_rate = 100%)]
async fn behind_a_breaker() -> Result<(), PayError> {
    BREAKER_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_breaker_above_counts_injected_faults_as_failures() {
    let _serial = switched(true).await;
    for _ in 0..3 {
        assert_eq!(
            behind_a_breaker().await,
            Err(PayError::Resilience(injected("chaos-breaker")))
        );
    }
    let breaker = registry().circuit_breaker("chaos-breaker").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    let e = behind_a_breaker().await.unwrap_err();
    assert!(
        matches!(e, PayError::Resilience(Error::CircuitOpen { .. })),
        "{e:?}"
    );
    assert_eq!(BREAKER_RUNS.load(Ordering::SeqCst), 0);

    // Chaos off, the breaker recovers as it would from a real outage.
    chaos::disable();
    breaker.reset();
    assert_eq!(behind_a_breaker().await, Ok(()));
    assert_eq!(BREAKER_RUNS.load(Ordering::SeqCst), 1);
}

#[retry(attempts = 4, backoff = constant(100ms), jitter = none, budget = none, name = "chaos-retry")]
#[chaos(error_rate = 100%)]
async fn behind_a_retry() -> Result<(), PayError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_retries_injected_faults() {
    let _serial = switched(true).await;
    let start = Instant::now();
    assert_eq!(
        behind_a_retry().await,
        Err(PayError::Resilience(injected("chaos-retry")))
    );
    // Four attempts, three waits of 100ms between them.
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    let handle = registry().retry("chaos-retry").unwrap();
    assert_eq!(handle.retries(), 3);
    assert_eq!(handle.gave_up(), 1);
}

static FLAKY_RUNS: AtomicU32 = AtomicU32::new(0);

#[retry(attempts = 10, backoff = none, budget = none)]
#[chaos(error_rate = 50%, name = "chaos-flaky")]
async fn flaky() -> Result<u32, PayError> {
    Ok(FLAKY_RUNS.fetch_add(1, Ordering::SeqCst))
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_gets_through_a_partial_fault_rate() {
    let _serial = switched(true).await;
    chaos::seed(1);
    for _ in 0..20 {
        flaky().await.unwrap();
    }
    assert_eq!(FLAKY_RUNS.load(Ordering::SeqCst), 20);
}

// ---- A fallback supplies the value ----

fn cached(_user: u32, error: Error) -> Vec<String> {
    vec![format!("cached ({})", error.kind())]
}

#[resilience::fallback(cached)]
#[chaos(error_rate = 100%)]
async fn recommendations(user: u32) -> Vec<String> {
    vec![format!("fresh for {user}")]
}

#[tokio::test(start_paused = true)]
async fn a_fallback_above_serves_the_degraded_value() {
    let _serial = switched(true).await;
    assert_eq!(recommendations(7).await, vec!["cached (injected)"]);
    chaos::disable();
    assert_eq!(recommendations(7).await, vec!["fresh for 7"]);
}
