//! The retry budget (SPEC §4): retries at most `budget` of calls over a sliding 10 s, plus 10
//! retries per second always allowed; one budget per retry `name`.

use resilience::{registry, retry};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug)]
struct Down;

static STORM: AtomicU64 = AtomicU64::new(0);

#[retry(attempts = 3, backoff = none, name = "budget-storm")]
async fn storm() -> Result<(), Down> {
    STORM.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[tokio::test(start_paused = true)]
async fn a_failing_dependency_gets_a_share_of_retries_not_all() {
    for _ in 0..500 {
        assert!(storm().await.is_err());
    }
    let attempts = STORM.load(Ordering::Relaxed);
    let retries = attempts - 500;
    // Unbudgeted, 500 calls would make 1000 retries. The budget allows the 100-retry reserve
    // plus 20% of 500 calls: 200.
    assert_eq!(retries, 200);
    let r = registry().retry("budget-storm").unwrap();
    assert_eq!(r.retries(), 200);
    // Every call failed; most of them were refused a retry by the budget.
    assert_eq!(r.gave_up(), 500);
    assert!(r.budget_refused() > 400, "{}", r.budget_refused());

    // Ten seconds on, the window has slid past all of it: the reserve is back.
    tokio::time::advance(Duration::from_secs(10)).await;
    STORM.store(0, Ordering::Relaxed);
    storm().await.unwrap_err();
    assert_eq!(STORM.load(Ordering::Relaxed), 3);
}

static FREE: AtomicU64 = AtomicU64::new(0);

#[retry(attempts = 3, backoff = none, budget = none)]
async fn unbudgeted() -> Result<(), Down> {
    FREE.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[tokio::test(start_paused = true)]
async fn budget_none_retries_every_time() {
    for _ in 0..200 {
        unbudgeted().await.unwrap_err();
    }
    assert_eq!(FREE.load(Ordering::Relaxed), 600);
}

static SHARED: AtomicU64 = AtomicU64::new(0);

#[retry(attempts = 2, backoff = none, budget = 0%, name = "budget-shared")]
async fn shared_a() -> Result<(), Down> {
    SHARED.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[retry(attempts = 2, backoff = none, budget = 0%, name = "budget-shared")]
async fn shared_b() -> Result<(), Down> {
    SHARED.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[tokio::test(start_paused = true)]
async fn callsites_with_one_name_share_one_budget() {
    // With a 0% share only the reserve (100 retries per 10 s) is left, shared by both.
    for _ in 0..100 {
        shared_a().await.unwrap_err();
        shared_b().await.unwrap_err();
    }
    assert_eq!(SHARED.load(Ordering::Relaxed), 200 + 100);
}
