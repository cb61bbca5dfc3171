//! Feature `serde`: `registry().snapshot()` serialises every policy with the documented,
//! stable JSON field names.
#![cfg(feature = "serde")]

use resilience::{Error, bulkhead, circuit_breaker, rate_limit, registry, retry};
use serde_json::{Value, json};

#[derive(Debug)]
struct Down;
impl From<Error> for Down {
    fn from(_: Error) -> Self {
        Down
    }
}

#[retry(name = "json.retry", attempts = 2, backoff = none)]
#[circuit_breaker(name = "json.breaker", consecutive_failures = 1, open_for = 10s)]
#[rate_limit(name = "json.rate", rate = 5/1s, burst = 3)]
#[bulkhead(name = "json.bulkhead", max_concurrent = 4)]
async fn flaky() -> Result<(), Down> {
    Err(Down)
}

fn entry(snapshot: &Value, kind: &str, name: &str) -> Value {
    snapshot[kind]
        .as_array()
        .unwrap_or_else(|| panic!("no `{kind}` list in {snapshot}"))
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` in {snapshot}"))
        .clone()
}

#[tokio::test(start_paused = true)]
async fn every_policy_serialises_with_its_live_figures() {
    // First attempt fails and opens the breaker; the retry's second attempt is rejected.
    assert!(flaky().await.is_err());
    let snapshot = serde_json::to_value(registry().snapshot()).unwrap();

    assert_eq!(
        entry(&snapshot, "circuit_breakers", "json.breaker"),
        json!({
            "name": "json.breaker", "state": "open", "calls": 1, "failures": 1,
            "slow_calls": 0, "failure_rate": 1.0, "slow_rate": 0.0, "rejected": 1
        })
    );
    assert_eq!(
        entry(&snapshot, "rate_limiters", "json.rate"),
        json!({
            "name": "json.rate", "count": 5, "per_ms": 1000, "burst": 3,
            "admitted": 1, "rejected": 0
        })
    );
    assert_eq!(
        entry(&snapshot, "bulkheads", "json.bulkhead"),
        json!({
            "name": "json.bulkhead", "max_concurrent": 4, "enabled": true, "in_flight": 0,
            "available": 4, "waiting": 0, "rejected": 0
        })
    );
    assert_eq!(
        entry(&snapshot, "retries", "json.retry"),
        json!({
            "name": "json.retry", "attempts": 2, "calls": 1, "retries": 1, "gave_up": 1,
            "exhausted": 0, "stopped": 1, "budget_refused": 0
        })
    );
}

#[resilience::timeout(name = "json.timeout", 50ms)]
async fn slow(wait: std::time::Duration) -> Result<(), Down> {
    tokio::time::sleep(wait).await;
    Ok(())
}

#[circuit_breaker(name = "json.keyed", key = host, consecutive_failures = 1)]
async fn keyed(host: &str) -> Result<(), Down> {
    let _ = host;
    Err(Down)
}

#[resilience::chaos(name = "json.chaos", error_rate = 100%)]
async fn injected() -> Result<(), Down> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn timeouts_chaos_and_keyed_names_have_sections() {
    let _registry = resilience::testing::isolated();
    let ms = std::time::Duration::from_millis;
    assert!(slow(ms(10)).await.is_ok());
    assert!(slow(ms(100)).await.is_err());
    assert!(keyed("a").await.is_err());
    assert!(keyed("b").await.is_err());
    resilience::chaos::enable();
    assert!(injected().await.is_err());
    resilience::chaos::disable();
    let snapshot = serde_json::to_value(registry().snapshot()).unwrap();

    // Timeouts are per callsite and process-wide: listed by `registry().timeouts()`.
    let t = registry().timeout("json.timeout").unwrap();
    assert_eq!((t.calls(), t.timed_out()), (2, 1));
    assert_eq!(
        entry(&snapshot, "chaos", "json.chaos"),
        json!({ "name": "json.chaos", "enabled": false, "injected_errors": 1, "injected_delays": 0 })
    );
    assert_eq!(
        entry(&snapshot, "keyed", "json.keyed"),
        json!({ "kind": "circuit_breaker", "name": "json.keyed", "keys": 2, "max_keys": 1000,
                "dropped": 0 })
    );
    assert_eq!(
        entry(&snapshot, "circuit_breakers", "json.keyed[b]")["state"],
        "open"
    );
}

#[resilience::hedge(name = "json.hedge", delay = 20ms, budget = none)]
async fn hedged(first: &std::sync::atomic::AtomicBool) -> Result<(), Down> {
    let slow = first.swap(false, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(std::time::Duration::from_millis(if slow { 100 } else { 5 })).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_hedge_serialises_calls_hedges_and_wins() {
    let _registry = resilience::testing::isolated();
    let first = std::sync::atomic::AtomicBool::new(true);
    assert!(hedged(&first).await.is_ok());
    let snapshot = serde_json::to_value(registry().snapshot()).unwrap();
    assert_eq!(
        entry(&snapshot, "hedges", "json.hedge"),
        json!({ "name": "json.hedge", "max_hedged": 1, "calls": 1, "hedges": 1, "won": 1,
                "budget_refused": 0 })
    );
}

#[resilience::timeout(name = "json.timeout.global", 50ms)]
async fn slow_too(wait: std::time::Duration) -> Result<(), Down> {
    tokio::time::sleep(wait).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_process_wide_snapshot_lists_timeouts() {
    assert!(slow_too(std::time::Duration::from_millis(10)).await.is_ok());
    assert!(
        slow_too(std::time::Duration::from_millis(100))
            .await
            .is_err()
    );
    let snapshot = serde_json::to_value(registry().snapshot()).unwrap();
    assert_eq!(
        entry(&snapshot, "timeouts", "json.timeout.global"),
        json!({ "name": "json.timeout.global", "calls": 2, "timed_out": 1 })
    );
}
