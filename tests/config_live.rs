//! Every kind retuned at run time by `registry().apply` (SPEC §13): a breaker keeps its state
//! and counts (a new window starts empty), retry and hedge values apply to calls that start
//! after the apply, a rate limiter's new rate applies at once, `enabled = false` passes calls
//! straight through and back, and a per-key table retunes every key of its name.

use resilience::testing::isolated;
use resilience::{
    CircuitState, Config, Error, circuit_breaker, hedge, rate_limit, registry, retry,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::sleep;

fn config(toml: &str) -> Config {
    Config::from_toml_str(toml).unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The function's own error.
#[derive(Debug, Clone, PartialEq)]
enum E {
    Down,
    Policy(Error),
}

impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::Policy(e)
    }
}

#[circuit_breaker(name = "live_pay", window = 10, min_calls = 10, failure_rate = 50%)]
async fn pay(fail: bool) -> Result<(), E> {
    if fail { Err(E::Down) } else { Ok(()) }
}

async fn pay_all(calls: &str) {
    for c in calls.chars() {
        let _ = pay(c == 'F').await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_breaker_retuned_from_50_to_80_percent_stays_closed_and_keeps_its_counts() {
    let _registry = isolated();
    pay_all("SSSSFFFFF").await;
    let b = registry().circuit_breaker("live_pay").unwrap();
    assert_eq!((b.metrics().calls, b.metrics().failures), (9, 5));
    let applied = registry()
        .apply(&config(
            "[circuit_breaker.live_pay]\nfailure_rate = \"80%\"",
        ))
        .unwrap();
    assert_eq!(
        applied.to_string(),
        "[circuit_breaker.live_pay] failure_rate: 50% → 80%\n"
    );
    // The counts stay: the window still holds the 9 calls.
    assert_eq!((b.metrics().calls, b.metrics().failures), (9, 5));
    // 6 of 10 and then 7 of 10 failed: 50% would have opened, 80% does not.
    pay_all("FF").await;
    assert_eq!((b.metrics().calls, b.metrics().failures), (10, 7));
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(b.policy().failure_rate, 0.8);
    // Back to the attribute's 50%: the next failure (8 of 10) opens it.
    registry().apply(&Config::new()).unwrap();
    pay_all("F").await;
    assert_eq!(b.state(), CircuitState::Open);
    assert!(matches!(
        pay(false).await,
        Err(E::Policy(Error::CircuitOpen { .. }))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_new_window_size_starts_empty_and_counts_from_there() {
    let _registry = isolated();
    pay_all("FFFFFSSS").await;
    let b = registry().circuit_breaker("live_pay").unwrap();
    assert_eq!(b.metrics().calls, 8);
    let applied = registry()
        .apply(&config(
            "[circuit_breaker.live_pay]\nwindow = 4\nmin_calls = 4",
        ))
        .unwrap();
    assert_eq!(
        applied.to_string(),
        "[circuit_breaker.live_pay] window: 10 → 4\n[circuit_breaker.live_pay] min_calls: 10 → 4\n"
    );
    assert_eq!(b.metrics().calls, 0, "a fresh window");
    pay_all("SSF").await;
    assert_eq!((b.metrics().calls, b.metrics().failures), (3, 1));
    assert_eq!(b.state(), CircuitState::Closed, "3 calls: below min_calls");
    // The fourth call fills the window of 4 (2 of 4 failed: 50%).
    pay_all("F").await;
    assert_eq!(b.state(), CircuitState::Open);
    // A time window, on the paused clock: the calls of the last minute.
    b.reset();
    registry()
        .apply(&config(
            "[circuit_breaker.live_pay]\nwindow = \"60s\"\nmin_calls = 4",
        ))
        .unwrap();
    pay_all("SSF").await;
    assert_eq!((b.metrics().calls, b.metrics().failures), (3, 1));
    sleep(Duration::from_secs(61)).await;
    assert_eq!(
        b.metrics().calls,
        0,
        "a minute later they have left the window"
    );
    // And back to a count window: empty again.
    pay_all("S").await;
    registry().apply(&Config::new()).unwrap();
    assert_eq!(b.metrics().calls, 0);
    pay_all("FS").await;
    assert_eq!((b.metrics().calls, b.metrics().failures), (2, 1));
}

#[circuit_breaker(name = "live_probe", consecutive_failures = 1, open_for = 1s, half_open_calls = 3)]
async fn probe(fail: bool, hold: Duration) -> Result<(), E> {
    sleep(hold).await;
    if fail { Err(E::Down) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn fewer_half_open_probes_decide_the_round_already_running() {
    let _registry = isolated();
    let _ = probe(true, Duration::ZERO).await;
    let b = registry().circuit_breaker("live_probe").unwrap();
    assert_eq!(b.state(), CircuitState::Open);
    sleep(Duration::from_secs(1)).await;
    // Three probes start and two finish; the round is cut to two probes; when the third
    // finishes the round is decided (closed), not left waiting for a count it has passed.
    let (a, b2, c) = (
        tokio::spawn(probe(false, ms(10))),
        tokio::spawn(probe(false, ms(10))),
        tokio::spawn(probe(false, ms(1000))),
    );
    tokio::task::yield_now().await;
    assert_eq!(b.state(), CircuitState::HalfOpen);
    a.await.unwrap().unwrap();
    b2.await.unwrap().unwrap();
    assert_eq!(b.state(), CircuitState::HalfOpen, "2 of 3 probes done");
    registry()
        .apply(&config("[circuit_breaker.live_probe]\nhalf_open_calls = 2"))
        .unwrap();
    c.await.unwrap().unwrap();
    assert_eq!(b.state(), CircuitState::Closed);
    // One probe of three finished and one running: cut to one, the apply decides the round
    // at once; the probe still running is not counted when it ends.
    let _ = probe(true, Duration::ZERO).await;
    sleep(Duration::from_secs(1)).await;
    let (a, c) = (
        tokio::spawn(probe(false, ms(10))),
        tokio::spawn(probe(true, ms(1000))),
    );
    tokio::task::yield_now().await;
    a.await.unwrap().unwrap();
    assert_eq!(b.state(), CircuitState::HalfOpen, "1 of 3 probes done");
    registry()
        .apply(&config("[circuit_breaker.live_probe]\nhalf_open_calls = 1"))
        .unwrap();
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(c.await.unwrap(), Err(E::Down));
    assert_eq!(
        b.state(),
        CircuitState::Closed,
        "a probe of a decided round"
    );
}

#[tokio::test(start_paused = true)]
async fn a_breaker_switched_off_passes_every_call_and_comes_back_closed() {
    let _registry = isolated();
    let _ = probe(true, Duration::ZERO).await;
    let b = registry().circuit_breaker("live_probe").unwrap();
    assert_eq!(b.state(), CircuitState::Open);
    let applied = registry()
        .apply(&config("[circuit_breaker.live_probe]\nenabled = false"))
        .unwrap();
    assert_eq!(
        applied.to_string(),
        "[circuit_breaker.live_probe] enabled: true → false\n"
    );
    assert_eq!(b.state(), CircuitState::Disabled);
    for _ in 0..5 {
        assert_eq!(
            probe(true, Duration::ZERO).await,
            Err(E::Down),
            "the body ran"
        );
    }
    registry().apply(&Config::new()).unwrap();
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(probe(false, Duration::ZERO).await, Ok(()));
}

#[retry(name = "live_fetch", attempts = 2, backoff = constant(10ms), jitter = none, budget = none)]
async fn fetch(tries: Arc<AtomicU32>) -> Result<(), E> {
    tries.fetch_add(1, Ordering::SeqCst);
    Err(E::Down)
}

#[tokio::test(start_paused = true)]
async fn retry_values_are_taken_at_a_calls_first_failure_and_kept() {
    let _registry = isolated();
    let in_flight = Arc::new(AtomicU32::new(0));
    let running = tokio::spawn(fetch(Arc::clone(&in_flight)));
    tokio::task::yield_now().await;
    assert_eq!(in_flight.load(Ordering::SeqCst), 1, "first attempt made");
    let applied = registry()
        .apply(&config(
            "[retry.live_fetch]\nattempts = 5\nbackoff = \"constant(1ms)\"",
        ))
        .unwrap();
    assert_eq!(
        applied.to_string(),
        "[retry.live_fetch] attempts: 2 → 5\n[retry.live_fetch] backoff: constant(10ms) → constant(1ms)\n"
    );
    assert_eq!(running.await.unwrap(), Err(E::Down));
    assert_eq!(
        in_flight.load(Ordering::SeqCst),
        2,
        "the call in flight kept 2"
    );
    let after = Arc::new(AtomicU32::new(0));
    let started = tokio::time::Instant::now();
    assert_eq!(fetch(Arc::clone(&after)).await, Err(E::Down));
    assert_eq!(
        after.load(Ordering::SeqCst),
        5,
        "a call started after takes 5"
    );
    assert_eq!(started.elapsed(), ms(4), "four retries 1ms apart");
    // Switched off: one attempt; and back to the attribute's two.
    let applied = registry()
        .apply(&config("[retry.live_fetch]\nenabled = false"))
        .unwrap();
    let changes: Vec<String> = applied.changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        changes,
        [
            "[retry.live_fetch] enabled: true → false",
            "[retry.live_fetch] attempts: 5 → 1",
            // The earlier table's backoff is not in this one: back to the attribute's.
            "[retry.live_fetch] backoff: constant(1ms) → constant(10ms)"
        ]
    );
    let off = Arc::new(AtomicU32::new(0));
    let _ = fetch(Arc::clone(&off)).await;
    assert_eq!(off.load(Ordering::SeqCst), 1);
    registry().apply(&Config::new()).unwrap();
    let back = Arc::new(AtomicU32::new(0));
    let _ = fetch(Arc::clone(&back)).await;
    assert_eq!(back.load(Ordering::SeqCst), 2);
}

#[rate_limit(name = "live_replay", rate = 1/1s)]
async fn replay() -> Result<(), E> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_faster_rate_admits_at_once_and_switched_off_admits_all() {
    let _registry = isolated();
    assert_eq!(replay().await, Ok(()));
    assert!(matches!(
        replay().await,
        Err(E::Policy(Error::RateLimited { .. }))
    ));
    let applied = registry()
        .apply(&config("[rate_limit.live_replay]\nrate = \"100/1s\""))
        .unwrap();
    assert_eq!(
        applied.to_string(),
        "[rate_limit.live_replay] rate: 1/1s → 100/1s\n[rate_limit.live_replay] burst: 1 → 100\n"
    );
    // No time has passed: the new rate's burst is there at once.
    for _ in 0..100 {
        assert_eq!(replay().await, Ok(()));
    }
    assert!(replay().await.is_err(), "the burst of 100 is used up");
    let l = registry().rate_limiter("live_replay").unwrap();
    assert_eq!((l.policy().count, l.policy().burst), (100, 100));
    registry()
        .apply(&config("[rate_limit.live_replay]\nenabled = false"))
        .unwrap();
    for _ in 0..1000 {
        assert_eq!(replay().await, Ok(()));
    }
    // Back to the attribute's 1/s: its limiter spent its permit at the start.
    registry().apply(&Config::new()).unwrap();
    assert!(replay().await.is_err());
    sleep(Duration::from_secs(1)).await;
    assert_eq!(replay().await, Ok(()));
}

#[circuit_breaker(name = "live_hosts", key = host, window = 10, min_calls = 10)]
async fn host_call(host: &str, fail: bool) -> Result<(), E> {
    let _ = host;
    if fail { Err(E::Down) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn a_keyed_table_retunes_every_key_and_the_keys_made_after() {
    let _registry = isolated();
    for host in ["a", "b"] {
        host_call(host, false).await.unwrap();
    }
    let applied = registry()
        .apply(&config(
            "[circuit_breaker.live_hosts]\nfailure_rate = \"80%\"\nmax_keys = 5",
        ))
        .unwrap();
    assert_eq!(
        applied.to_string(),
        "[circuit_breaker.live_hosts] max_keys: 1000 → 5\n\
         [circuit_breaker.live_hosts[a]] failure_rate: 50% → 80%\n\
         [circuit_breaker.live_hosts[b]] failure_rate: 50% → 80%\n"
    );
    host_call("c", false).await.unwrap();
    for label in ["live_hosts[a]", "live_hosts[b]", "live_hosts[c]"] {
        let b = registry().circuit_breaker(label).unwrap();
        assert_eq!(b.policy().failure_rate, 0.8, "{label}");
    }
    // The rules between keys are checked against every key's attribute, all or nothing.
    let err = registry()
        .apply(&config("[circuit_breaker.live_hosts]\nmin_calls = 20"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("can never be reached in a window of 10 calls"),
        "{err}"
    );
    assert_eq!(
        registry()
            .circuit_breaker("live_hosts[a]")
            .unwrap()
            .policy()
            .failure_rate,
        0.8,
        "nothing changed"
    );
    registry().apply(&Config::new()).unwrap();
    let b = registry().circuit_breaker("live_hosts[c]").unwrap();
    assert_eq!(b.policy().failure_rate, 0.5);
}

#[tokio::test(start_paused = true)]
async fn max_keys_is_refused_where_there_is_no_key() {
    let _registry = isolated();
    pay(false).await.unwrap();
    let err = registry()
        .apply(&config("[circuit_breaker.live_pay]\nmax_keys = 5"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "[circuit_breaker.live_pay] max_keys = 5: `max_keys` applies to a `#[circuit_breaker(key = ..)]` callsite only, and this one has no `key`"
    );
}

/// A hedged call whose first run is slow: a hedge after 50 ms answers first.
#[hedge(name = "live_search", delay = 50ms, max_hedged = 2, budget = none)]
async fn search(runs: &AtomicU32) -> Result<u32, E> {
    let run = runs.fetch_add(1, Ordering::SeqCst);
    sleep(if run == 0 { ms(500) } else { ms(10) }).await;
    Ok(run)
}

#[tokio::test(start_paused = true)]
async fn hedge_values_apply_to_calls_that_start_after_the_apply() {
    let _registry = isolated();
    let runs = AtomicU32::new(0);
    assert_eq!(search(&runs).await, Ok(1), "hedged at 50 ms");
    let applied = registry()
        .apply(&config("[hedge.live_search]\ndelay = \"200ms\""))
        .unwrap();
    assert_eq!(
        applied.to_string(),
        "[hedge.live_search] delay: 50ms → 200ms\n"
    );
    let runs = AtomicU32::new(0);
    let started = tokio::time::Instant::now();
    assert_eq!(search(&runs).await, Ok(1));
    assert_eq!(started.elapsed(), ms(210), "hedged at 200 ms");
    registry()
        .apply(&config("[hedge.live_search]\nenabled = false"))
        .unwrap();
    let runs = AtomicU32::new(0);
    assert_eq!(
        search(&runs).await,
        Ok(0),
        "no hedge: the first run answers"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(registry().snapshot().hedges[0].max_hedged, 0);
}

#[cfg(feature = "chaos")]
#[resilience::chaos(name = "live_chaos", error_rate = 100%)]
async fn chaotic() -> Result<(), E> {
    Ok(())
}

#[cfg(feature = "chaos")]
#[tokio::test(start_paused = true)]
async fn chaos_rates_apply_to_the_next_call_and_switch_off() {
    let _registry = isolated();
    resilience::chaos::enable();
    assert!(matches!(
        chaotic().await,
        Err(E::Policy(Error::Injected { .. }))
    ));
    registry()
        .apply(&config("[chaos.live_chaos]\nerror_rate = \"0%\""))
        .unwrap();
    assert_eq!(chaotic().await, Ok(()));
    registry()
        .apply(&config("[chaos.live_chaos]\nenabled = false"))
        .unwrap();
    assert_eq!(chaotic().await, Ok(()));
    registry().apply(&Config::new()).unwrap();
    assert!(chaotic().await.is_err());
    resilience::chaos::disable();
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_names_each_kinds_configured_values() {
    let _registry = isolated();
    pay(false).await.unwrap();
    replay().await.unwrap();
    let _ = fetch(Arc::new(AtomicU32::new(0))).await;
    registry()
        .apply(&config(
            "[circuit_breaker.live_pay]\nfailure_rate = \"80%\"\n\
             [rate_limit.live_replay]\nburst = 3\n\
             [retry.live_fetch]\nattempts = 4",
        ))
        .unwrap();
    let snap = registry().snapshot();
    assert_eq!(snap.circuit_breakers[0].configured, ["failure_rate = 80%"]);
    assert_eq!(snap.rate_limiters[0].configured, ["burst = 3"]);
    assert_eq!(snap.rate_limiters[0].burst, 3);
    assert_eq!(snap.retries[0].configured, ["attempts = 4"]);
    assert_eq!(snap.retries[0].attempts, 4);
}

#[resilience::bulkhead(name = "live_tenants", key = tenant, max_concurrent = 1)]
async fn tenant_call(tenant: &str) -> Result<(), E> {
    let _ = tenant;
    Ok(())
}

#[rate_limit(name = "live_users", key = user, rate = 1/1s)]
async fn user_call(user: &str) -> Result<(), E> {
    let _ = user;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn keyed_bulkheads_and_rate_limiters_take_their_names_table_per_key() {
    let _registry = isolated();
    for key in ["x", "y"] {
        tenant_call(key).await.unwrap();
        user_call(key).await.unwrap();
        assert!(user_call(key).await.is_err(), "1/s: the second is refused");
    }
    registry()
        .apply(&config(
            "[bulkhead.live_tenants]\nmax_concurrent = 3\n[rate_limit.live_users]\nrate = \"5/1s\"",
        ))
        .unwrap();
    tenant_call("z").await.unwrap();
    for label in ["live_tenants[x]", "live_tenants[y]", "live_tenants[z]"] {
        assert_eq!(
            registry().bulkhead(label).unwrap().max_concurrent(),
            3,
            "{label}"
        );
    }
    for key in ["x", "y", "z"] {
        for _ in 0..5 {
            assert_eq!(user_call(key).await, Ok(()), "{key}: 5/1s at once");
        }
        assert!(user_call(key).await.is_err());
    }
}
