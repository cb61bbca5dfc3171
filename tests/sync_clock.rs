//! Sync functions under `resilience::testing::ManualClock` (SPEC §12): backoff delays, open
//! times, rate windows and waits checked exactly, with no real sleeping.

use resilience::testing::ManualClock;
use resilience::{CircuitState, Error, bulkhead, circuit_breaker, rate_limit, registry, retry};
use std::cell::Cell;
use std::panic::catch_unwind;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

#[derive(Debug, PartialEq)]
enum E {
    Down,
    Policy(Error),
}

impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::Policy(e)
    }
}

thread_local! {
    static CALLS: Cell<u32> = const { Cell::new(0) };
}

fn down() -> Result<(), E> {
    CALLS.set(CALLS.get() + 1);
    Err(E::Down)
}

#[retry(attempts = 4, backoff = constant(100ms), jitter = none, budget = none)]
fn constant() -> Result<(), E> {
    down()
}

#[retry(attempts = 4, backoff = exponential(100ms, factor = 2.0, max = 10s), jitter = none, budget = none)]
fn exponential() -> Result<(), E> {
    down()
}

#[retry(attempts = 10, backoff = constant(100ms), jitter = none, max_elapsed = 250ms)]
fn bounded() -> Result<(), E> {
    down()
}

#[test]
fn retry_delays_move_the_manual_clock_exactly() {
    let clock = ManualClock::new();
    CALLS.set(0);
    assert_eq!(constant(), Err(E::Down));
    assert_eq!((CALLS.get(), clock.elapsed()), (4, 300 * MS));

    let clock = {
        drop(clock);
        ManualClock::new()
    };
    CALLS.set(0);
    assert_eq!(exponential(), Err(E::Down));
    assert_eq!(
        (CALLS.get(), clock.elapsed()),
        (4, 700 * MS),
        "100 + 200 + 400"
    );

    drop(clock);
    let clock = ManualClock::new();
    CALLS.set(0);
    assert_eq!(bounded(), Err(E::Down));
    assert_eq!(
        (CALLS.get(), clock.elapsed()),
        (3, 200 * MS),
        "a third delay would end past 250ms"
    );
}

#[circuit_breaker(name = "sync-clock-open", min_calls = 2, failure_rate = 50%, open_for = 30s, half_open_calls = 1)]
fn guarded(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

#[test]
fn a_breaker_stays_open_for_exactly_open_for_on_the_manual_clock() {
    let clock = ManualClock::new();
    assert_eq!(guarded(false), Err(E::Down));
    assert_eq!(guarded(false), Err(E::Down));
    let breaker = registry().circuit_breaker("sync-clock-open").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    match guarded(true) {
        Err(E::Policy(Error::CircuitOpen { retry_after, .. })) => {
            assert_eq!(retry_after, Duration::from_secs(30))
        }
        other => panic!("expected CircuitOpen, got {other:?}"),
    }
    clock.advance(Duration::from_secs(30) - MS);
    assert!(matches!(
        guarded(true),
        Err(E::Policy(Error::CircuitOpen { retry_after, .. })) if retry_after == MS
    ));
    clock.advance(MS);
    // Half-open: the probe succeeds and closes the breaker.
    assert_eq!(guarded(true), Ok(()));
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[circuit_breaker(name = "sync-clock-panic", min_calls = 1, consecutive_failures = 1, open_for = 1s, half_open_calls = 1)]
fn panics(panic: bool) -> Result<(), E> {
    if panic {
        panic!("boom");
    }
    Ok(())
}

#[test]
fn a_panicking_probe_gives_its_half_open_slot_back_and_the_panic_reaches_the_caller() {
    let clock = ManualClock::new();
    let caught = catch_unwind(|| panics(true)).unwrap_err();
    assert_eq!(caught.downcast_ref::<&str>(), Some(&"boom"));
    let breaker = registry().circuit_breaker("sync-clock-panic").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open, "a panic is a failure");
    clock.advance(Duration::from_secs(1));
    // The only probe panics: the breaker opens again (open_for has not grown: constant).
    assert!(catch_unwind(|| panics(true)).is_err());
    assert_eq!(breaker.state(), CircuitState::Open);
    clock.advance(Duration::from_secs(1));
    // Had the slot been kept, this probe would be rejected.
    assert_eq!(panics(false), Ok(()));
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[rate_limit(rate = 2/1s, name = "sync-clock-rate")]
fn limited() -> Result<(), E> {
    Ok(())
}

#[rate_limit(rate = 2/1s, max_wait = 1s, name = "sync-clock-rate-wait")]
fn limited_waits() -> Result<(), E> {
    Ok(())
}

#[test]
fn a_rate_limit_refuses_with_the_exact_retry_after_and_a_waiter_sleeps_just_that_long() {
    let clock = ManualClock::new();
    assert_eq!(limited(), Ok(()));
    assert_eq!(limited(), Ok(()));
    assert_eq!(
        limited(),
        Err(E::Policy(Error::RateLimited {
            name: "sync-clock-rate",
            retry_after: 500 * MS
        }))
    );
    clock.advance(500 * MS);
    assert_eq!(limited(), Ok(()));

    let start = clock.elapsed();
    assert_eq!(limited_waits(), Ok(()));
    assert_eq!(limited_waits(), Ok(()));
    assert_eq!(clock.elapsed(), start);
    assert_eq!(
        limited_waits(),
        Ok(()),
        "the next permit is 500ms away, within max_wait"
    );
    assert_eq!(clock.elapsed() - start, 500 * MS);
}

#[bulkhead(max_concurrent = 1, max_wait = 50ms, name = "sync-clock-bulkhead")]
fn pooled() -> Result<(), E> {
    Ok(())
}

#[test]
fn a_full_bulkhead_gives_up_after_exactly_max_wait() {
    let clock = ManualClock::new();
    assert_eq!(pooled(), Ok(()));
    let b = registry()
        .bulkheads()
        .into_iter()
        .find(|b| b.name() == "sync-clock-bulkhead")
        .unwrap();
    let place = b.try_acquire().unwrap();
    assert!(matches!(
        pooled(),
        Err(E::Policy(Error::BulkheadFull { .. }))
    ));
    assert_eq!(clock.elapsed(), 50 * MS);
    assert_eq!(b.waiting(), 0, "the waiter left the queue");
    drop(place);
    assert_eq!(pooled(), Ok(()));
}

#[test]
fn a_retry_that_succeeds_at_once_waits_for_nothing() {
    let clock = ManualClock::new();
    let t = tokio::time::Instant::now();
    assert_eq!(limited_waits_elsewhere(), Ok(()));
    assert_eq!(t.elapsed(), Duration::ZERO);
    assert_eq!(clock.elapsed(), Duration::ZERO);
}

#[retry(attempts = 2, backoff = constant(10ms), jitter = none)]
fn limited_waits_elsewhere() -> Result<(), E> {
    Ok(())
}

#[cfg(feature = "chaos")]
#[resilience::chaos(latency = 200ms, error_rate = 100%, name = "sync-clock-chaos")]
fn injected() -> Result<(), E> {
    Ok(())
}

/// Chaos on a plain `fn`: its latency blocks the thread (here: moves the clock), then the
/// injected error is the async one.
#[cfg(feature = "chaos")]
#[test]
fn chaos_latency_blocks_then_injects_the_same_error() {
    let clock = ManualClock::new();
    resilience::chaos::disable();
    assert_eq!(injected(), Ok(()));
    assert_eq!(clock.elapsed(), Duration::ZERO);
    resilience::chaos::enable();
    let out = injected();
    resilience::chaos::disable();
    assert_eq!(
        out,
        Err(E::Policy(Error::Injected {
            name: "sync-clock-chaos"
        }))
    );
    assert_eq!(clock.elapsed(), 200 * MS);
}
