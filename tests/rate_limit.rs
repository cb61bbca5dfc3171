//! `#[rate_limit]`: GCRA on tokio's paused clock; exact `retry_after`, refill, `max_wait`.

use resilience::{Error, rate_limit, registry};
use std::time::Duration;
use tokio::time::{Instant, advance};

const MS: Duration = Duration::from_millis(1);

fn retry_after(r: Result<(), Error>) -> Duration {
    match r {
        Err(Error::RateLimited { retry_after, .. }) => retry_after,
        other => panic!("expected a rate limit, got {other:?}"),
    }
}

#[rate_limit(rate = 3/1s, name = "rl-burst")]
async fn three_per_second() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn burst_defaults_to_the_count_and_retry_after_is_exact() {
    for _ in 0..3 {
        three_per_second().await.unwrap();
    }
    // One permit every 1s/3.
    let period = Duration::from_nanos(333_333_333);
    assert_eq!(retry_after(three_per_second().await), period);
    advance(100 * MS).await;
    assert_eq!(retry_after(three_per_second().await), period - 100 * MS);
    advance(period - 100 * MS).await;
    three_per_second().await.unwrap();
    assert_eq!(retry_after(three_per_second().await), period);

    let l = registry().rate_limiter("rl-burst").unwrap();
    assert_eq!((l.admitted(), l.rejected()), (4, 3));
    assert_eq!(l.policy().burst, 3);
}

#[rate_limit(rate = 10/1s, burst = 1, name = "rl-one")]
async fn smooth() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn burst_one_spaces_calls_by_the_period() {
    smooth().await.unwrap();
    assert_eq!(retry_after(smooth().await), 100 * MS);
    advance(100 * MS).await;
    smooth().await.unwrap();
}

#[rate_limit(rate = 1/1s, max_wait = 2s, name = "rl-wait")]
async fn patient() -> Result<Instant, Error> {
    Ok(Instant::now())
}

#[tokio::test(start_paused = true)]
async fn a_call_waits_for_a_permit_within_max_wait() {
    let t0 = Instant::now();
    assert_eq!(patient().await, Ok(t0));
    // The next permit frees at exactly t0 + 1s, and the call sleeps until then.
    assert_eq!(patient().await, Ok(t0 + Duration::from_secs(1)));
    assert_eq!(patient().await, Ok(t0 + Duration::from_secs(2)));
    // Two waiters: one gets the permit at 3s, the other the next one at 4s, still within its
    // max_wait (waiters of a rate limit are not ordered).
    let (a, b) = tokio::join!(patient(), patient());
    let mut got = [a.unwrap(), b.unwrap()];
    got.sort();
    assert_eq!(
        got,
        [t0 + Duration::from_secs(3), t0 + Duration::from_secs(4)]
    );
}

#[rate_limit(rate = 1/1s, max_wait = 300ms, name = "rl-short")]
async fn impatient() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_call_whose_permit_is_past_max_wait_fails_at_once() {
    impatient().await.unwrap();
    let t = Instant::now();
    assert_eq!(retry_after(impatient().await), Duration::from_secs(1));
    assert_eq!(Instant::now(), t, "no time spent waiting in vain");
    advance(700 * MS).await;
    // 300ms left: within max_wait, so it waits.
    impatient().await.unwrap();
    assert_eq!(Instant::now(), t + Duration::from_secs(1));
}

#[rate_limit(rate = 2/100ms, name = "rl-shared")]
async fn shared_a() -> Result<(), Error> {
    Ok(())
}

#[rate_limit(rate = 2/100ms, name = "rl-shared")]
async fn shared_b() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn callsites_with_one_name_share_one_limiter() {
    shared_a().await.unwrap();
    shared_b().await.unwrap();
    assert_eq!(retry_after(shared_a().await), 50 * MS);
    assert_eq!(retry_after(shared_b().await), 50 * MS);
}

const PERIOD: Duration = Duration::from_millis(500);

#[rate_limit(rate = 1/PERIOD)]
async fn expression_period() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_period_may_be_any_duration_expression() {
    expression_period().await.unwrap();
    assert_eq!(retry_after(expression_period().await), PERIOD);
    assert!(
        registry()
            .rate_limiter("rate_limit::expression_period")
            .is_some()
    );
}

#[resilience::retry(attempts = 2, backoff = constant(5s), jitter = none, budget = none)]
#[rate_limit(rate = 1/1s, name = "rl-retried")]
async fn retried() -> Result<Instant, Error> {
    Ok(Instant::now())
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_waits_exactly_retry_after_not_its_backoff() {
    let t0 = Instant::now();
    assert_eq!(retried().await, Ok(t0));
    advance(300 * MS).await;
    // Rate limited with 700ms to go: the retry sleeps those 700ms, not its 5s backoff.
    assert_eq!(retried().await, Ok(t0 + Duration::from_secs(1)));
}
