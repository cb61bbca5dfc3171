//! Issue 12: tests that share names run in parallel without seeing each other's state, each in
//! its own registry (`resilience::testing::isolated`).
//!
//! Every test below calls the same named policies ("payments", "pool", "quota", "pricing") and
//! asserts exact figures, which another test's calls would change: run with
//! `cargo test --test isolated_registry -- --test-threads=8` (CI runs it 50 times in a row).
//! Without `isolated()` they fail: a breaker opened by one test rejects another's calls, a held
//! bulkhead place refuses another's call, and another runtime's paused clock mixes into
//! `retry_after`.

use resilience::testing::isolated;
use resilience::{CircuitState, Error, bulkhead, circuit_breaker, rate_limit, registry, retry};
use std::time::Duration;

#[derive(Debug, PartialEq)]
enum Failed {
    Down,
    Resilience(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::Resilience(e)
    }
}

#[circuit_breaker(name = "payments", consecutive_failures = 2, open_for = 2s)]
async fn pay(ok: bool) -> Result<u32, Failed> {
    if ok { Ok(1) } else { Err(Failed::Down) }
}

#[bulkhead(name = "pool", max_concurrent = 1)]
async fn pooled(hold: Duration) -> Result<(), Failed> {
    tokio::time::sleep(hold).await;
    Ok(())
}

#[rate_limit(name = "quota", rate = 2/1s)]
async fn limited() -> Result<(), Failed> {
    Ok(())
}

#[retry(name = "pricing", attempts = 3, backoff = constant(100ms), jitter = none)]
async fn price(ok: bool) -> Result<u32, Failed> {
    if ok { Ok(7) } else { Err(Failed::Down) }
}

fn open_rejection(r: Result<u32, Failed>) -> Duration {
    match r {
        Err(Failed::Resilience(Error::CircuitOpen { retry_after, .. })) => retry_after,
        other => panic!("expected CircuitOpen, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_breaker_opened_here_rejects_for_exactly_open_for() {
    let _registry = isolated();
    assert_eq!(pay(false).await, Err(Failed::Down));
    assert_eq!(pay(false).await, Err(Failed::Down));
    assert_eq!(open_rejection(pay(true).await), Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(open_rejection(pay(true).await), Duration::from_millis(1500));
    let b = registry().circuit_breaker("payments").unwrap();
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.metrics().rejected, 2);
}

#[tokio::test(start_paused = true)]
async fn a_breaker_that_only_succeeds_here_stays_closed() {
    let _registry = isolated();
    for _ in 0..20 {
        assert_eq!(pay(true).await, Ok(1));
        tokio::task::yield_now().await;
    }
    let b = registry().circuit_breaker("payments").unwrap();
    assert_eq!(b.state(), CircuitState::Closed);
    let m = b.metrics();
    assert_eq!((m.calls, m.failures, m.rejected), (20, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_breaker_closes_again_after_open_for_on_this_tests_clock() {
    let _registry = isolated();
    assert!(pay(false).await.is_err());
    assert!(pay(false).await.is_err());
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Half-open: the probes succeed and close it.
    for _ in 0..5 {
        assert_eq!(pay(true).await, Ok(1));
    }
    let b = registry().circuit_breaker("payments").unwrap();
    assert_eq!(b.state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_full_bulkhead_refuses_exactly_the_second_call() {
    let _registry = isolated();
    let (a, b) = tokio::join!(
        pooled(Duration::from_secs(1)),
        pooled(Duration::from_secs(1))
    );
    assert_eq!(a, Ok(()));
    assert!(matches!(
        b,
        Err(Failed::Resilience(Error::BulkheadFull {
            max_concurrent: 1,
            ..
        }))
    ));
    let pool = registry().bulkhead("pool").unwrap();
    assert_eq!((pool.rejected(), pool.available()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn calls_one_after_another_always_find_a_place() {
    let _registry = isolated();
    for _ in 0..10 {
        assert_eq!(pooled(Duration::from_millis(10)).await, Ok(()));
    }
    let pool = registry().bulkhead("pool").unwrap();
    assert_eq!((pool.rejected(), pool.in_flight()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_refuses_the_third_call_for_half_a_second() {
    let _registry = isolated();
    assert_eq!(limited().await, Ok(()));
    assert_eq!(limited().await, Ok(()));
    match limited().await {
        Err(Failed::Resilience(Error::RateLimited { retry_after, .. })) => {
            assert_eq!(retry_after, Duration::from_millis(500));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    let quota = registry().rate_limiter("quota").unwrap();
    assert_eq!((quota.admitted(), quota.rejected()), (2, 1));
}

#[tokio::test(start_paused = true)]
async fn calls_spaced_by_the_rate_are_all_admitted() {
    let _registry = isolated();
    for _ in 0..6 {
        assert_eq!(limited().await, Ok(()));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let quota = registry().rate_limiter("quota").unwrap();
    assert_eq!((quota.admitted(), quota.rejected()), (6, 0));
}

#[tokio::test(start_paused = true)]
async fn a_failing_call_is_retried_exactly_twice() {
    let _registry = isolated();
    let started = tokio::time::Instant::now();
    assert_eq!(price(false).await, Err(Failed::Down));
    assert_eq!(started.elapsed(), Duration::from_millis(200));
    let r = registry().retry("pricing").unwrap();
    assert_eq!(
        (r.calls(), r.retries(), r.gave_up(), r.exhausted()),
        (1, 2, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn a_succeeding_call_is_never_retried() {
    let _registry = isolated();
    for _ in 0..3 {
        assert_eq!(price(true).await, Ok(7));
    }
    let r = registry().retry("pricing").unwrap();
    assert_eq!((r.calls(), r.retries(), r.gave_up()), (3, 0, 0));
}

/// Deterministic: one thread opens "payments" and holds it open while another, on its own
/// paused clock, calls "payments" and finds it closed. Without isolation the second thread's
/// calls are rejected.
#[test]
fn two_threads_share_a_name_but_not_a_breaker() {
    let opened = std::sync::Arc::new(std::sync::Barrier::new(2));
    let checked = std::sync::Arc::new(std::sync::Barrier::new(2));
    let (o, c) = (opened.clone(), checked.clone());
    let opener = std::thread::spawn(move || {
        let _registry = isolated();
        paused_runtime().block_on(async {
            assert!(pay(false).await.is_err());
            assert!(pay(false).await.is_err());
        });
        assert_eq!(
            registry().circuit_breaker("payments").unwrap().state(),
            CircuitState::Open
        );
        o.wait();
        c.wait();
    });
    opened.wait();
    let _registry = isolated();
    paused_runtime().block_on(async {
        assert_eq!(pay(true).await, Ok(1));
    });
    assert_eq!(
        registry().circuit_breaker("payments").unwrap().state(),
        CircuitState::Closed
    );
    checked.wait();
    opener.join().unwrap();
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}
