//! Feature `metrics`: the exact names, labels and values of SPEC §9, read back through
//! metrics-util's debugging recorder. Each test has a recorder of its own, set for its thread
//! while its (current-thread, paused-clock) runtime runs, so tests running in parallel do not
//! read each other's figures; policy handles bind to the recorder present at their first call.
#![cfg(feature = "metrics")]

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use resilience::{Error, bulkhead, circuit_breaker, rate_limit, retry, timeout};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
enum E {
    Down,
    R(Error),
}
impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::R(e)
    }
}

/// One test's recorder. The debugging recorder resets what it reports (counters to 0, gauges
/// to 0, histograms emptied), so counters are summed here across reads; a gauge reads its last
/// value only if it was set since the previous read, and a histogram gives the values recorded
/// since the previous read.
struct Recorded {
    snapshotter: Snapshotter,
    counters: RefCell<BTreeMap<String, u64>>,
}

/// Runs `test` on a paused current-thread runtime with a recorder of its own.
fn with_recorder<F: Future<Output = ()>>(test: impl FnOnce(&'static Recorded) -> F) {
    let recorder = DebuggingRecorder::new();
    let recorded: &'static Recorded = Box::leak(Box::new(Recorded {
        snapshotter: recorder.snapshotter(),
        counters: RefCell::default(),
    }));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || rt.block_on(test(recorded)));
}

impl Recorded {
    /// Every metric of policy `name`: `metric{label=value,…}` (labels sorted, `name` left
    /// out) to its value.
    fn of(&self, name: &str) -> BTreeMap<String, DebugValue> {
        let mut out = BTreeMap::new();
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            let key = key.key();
            if !key.labels().any(|l| l.key() == "name" && l.value() == name) {
                continue;
            }
            let mut labels: Vec<String> = key
                .labels()
                .filter(|l| l.key() != "name")
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            let id = format!("{}{{{}}}", key.name(), labels.join(","));
            let value = match value {
                DebugValue::Counter(n) => {
                    let mut counters = self.counters.borrow_mut();
                    let total = counters.entry(format!("{name}/{id}")).or_default();
                    *total += n;
                    DebugValue::Counter(*total)
                }
                other => other,
            };
            out.insert(id, value);
        }
        out
    }
}

fn counter(all: &BTreeMap<String, DebugValue>, key: &str) -> u64 {
    match all.get(key) {
        Some(DebugValue::Counter(n)) => *n,
        other => panic!("{key}: {other:?} in {all:#?}"),
    }
}

fn gauge(all: &BTreeMap<String, DebugValue>, key: &str) -> f64 {
    match all.get(key) {
        Some(DebugValue::Gauge(v)) => v.into_inner(),
        other => panic!("{key}: {other:?} in {all:#?}"),
    }
}

fn histogram(all: &BTreeMap<String, DebugValue>, key: &str) -> Vec<f64> {
    match all.get(key) {
        Some(DebugValue::Histogram(v)) => v.iter().map(|x| x.into_inner()).collect(),
        other => panic!("{key}: {other:?} in {all:#?}"),
    }
}

// ---- retry over breaker: calls by outcome, retries, the state gauge ----

#[retry(name = "m.pricing", attempts = 3, backoff = constant(10ms), jitter = none, budget = none)]
#[circuit_breaker(name = "m.pricing", consecutive_failures = 4, open_for = 1s, half_open_calls = 1)]
async fn pricing(fail: bool) -> Result<u32, E> {
    if fail { Err(E::Down) } else { Ok(1) }
}

#[test]
fn calls_retries_and_breaker_state_are_counted_per_layer() {
    with_recorder(|r| async move {
        assert_eq!(pricing(false).await, Ok(1));
        let m = r.of("m.pricing");
        assert_eq!(gauge(&m, "resilience_circuit_state{}"), 0.0);
        assert_eq!(
            counter(&m, "resilience_calls_total{kind=retry,outcome=success}"),
            1
        );
        assert_eq!(
            counter(
                &m,
                "resilience_calls_total{kind=circuit_breaker,outcome=success}"
            ),
            1
        );

        // Three attempts fail (two retries); then one more failure opens the breaker, and the
        // retry's next attempt is rejected by it.
        assert_eq!(pricing(true).await, Err(E::Down));
        let open = pricing(true).await;
        assert!(
            matches!(open, Err(E::R(Error::CircuitOpen { .. }))),
            "{open:?}"
        );

        let m = r.of("m.pricing");
        assert_eq!(gauge(&m, "resilience_circuit_state{}"), 1.0);
        assert_eq!(counter(&m, "resilience_retries_total{}"), 3);
        assert_eq!(
            counter(&m, "resilience_calls_total{kind=retry,outcome=failure}"),
            2
        );
        assert_eq!(
            counter(
                &m,
                "resilience_calls_total{kind=circuit_breaker,outcome=failure}"
            ),
            4
        );
        assert_eq!(
            counter(
                &m,
                "resilience_calls_total{kind=circuit_breaker,outcome=rejected}"
            ),
            1
        );

        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(pricing(false).await, Ok(1));
        assert_eq!(gauge(&r.of("m.pricing"), "resilience_circuit_state{}"), 0.0);
    });
}

// ---- timeout, and the duration of the whole call ----

#[timeout(name = "m.slow", 50ms)]
async fn slow(ms: u64) -> Result<(), E> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

#[test]
fn a_timeout_is_a_rejection_and_every_call_has_its_duration() {
    with_recorder(|r| async move {
        assert_eq!(slow(20).await, Ok(()));
        assert!(matches!(slow(500).await, Err(E::R(Error::Timeout { .. }))));

        let m = r.of("m.slow");
        assert_eq!(
            counter(&m, "resilience_calls_total{kind=timeout,outcome=success}"),
            1
        );
        assert_eq!(
            counter(&m, "resilience_calls_total{kind=timeout,outcome=rejected}"),
            1
        );
        assert_eq!(
            histogram(&m, "resilience_call_duration_seconds{}"),
            vec![0.02, 0.05]
        );
    });
}

// ---- bulkhead: the free places, while a call is inside and after ----

#[bulkhead(name = "m.pool", max_concurrent = 2)]
async fn pooled(hold: Duration) -> Result<(), E> {
    tokio::time::sleep(hold).await;
    Ok(())
}

#[test]
fn the_bulkhead_gauge_follows_its_free_places() {
    with_recorder(|r| async move {
        assert_eq!(pooled(Duration::ZERO).await, Ok(()));
        assert_eq!(
            gauge(&r.of("m.pool"), "resilience_bulkhead_available{}"),
            2.0
        );

        let held = tokio::spawn(pooled(Duration::from_secs(1)));
        tokio::task::yield_now().await;
        assert_eq!(
            gauge(&r.of("m.pool"), "resilience_bulkhead_available{}"),
            1.0
        );
        let second = tokio::spawn(pooled(Duration::from_secs(1)));
        tokio::task::yield_now().await;
        assert!(matches!(
            pooled(Duration::ZERO).await,
            Err(E::R(Error::BulkheadFull { .. }))
        ));
        assert_eq!(
            gauge(&r.of("m.pool"), "resilience_bulkhead_available{}"),
            0.0
        );

        held.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        let m = r.of("m.pool");
        assert_eq!(gauge(&m, "resilience_bulkhead_available{}"), 2.0);
        assert_eq!(
            counter(&m, "resilience_calls_total{kind=bulkhead,outcome=success}"),
            3
        );
        assert_eq!(
            counter(&m, "resilience_calls_total{kind=bulkhead,outcome=rejected}"),
            1
        );
    });
}

// ---- rate limit ----

#[rate_limit(name = "m.api", rate = 2/1s)]
async fn api() -> Result<(), E> {
    Ok(())
}

#[test]
fn a_rate_limited_call_is_a_rejection() {
    with_recorder(|r| async move {
        for _ in 0..2 {
            assert_eq!(api().await, Ok(()));
        }
        assert!(matches!(api().await, Err(E::R(Error::RateLimited { .. }))));
        let m = r.of("m.api");
        assert_eq!(
            counter(
                &m,
                "resilience_calls_total{kind=rate_limit,outcome=success}"
            ),
            2
        );
        assert_eq!(
            counter(
                &m,
                "resilience_calls_total{kind=rate_limit,outcome=rejected}"
            ),
            1
        );
        assert_eq!(histogram(&m, "resilience_call_duration_seconds{}").len(), 3);
    });
}

// ---- chaos: its injected faults ----

#[cfg(feature = "chaos")]
#[resilience::chaos(name = "m.game_day", error_rate = 100%)]
async fn game_day() -> Result<(), E> {
    Ok(())
}

#[cfg(feature = "chaos")]
#[test]
fn an_injected_fault_is_a_chaos_rejection() {
    // The only test of this binary that switches chaos on; `game_day` is its only chaos site.
    with_recorder(|r| async move {
        resilience::chaos::enable();
        for _ in 0..3 {
            assert!(matches!(
                game_day().await,
                Err(E::R(Error::Injected { .. }))
            ));
        }
        resilience::chaos::disable();
        assert_eq!(game_day().await, Ok(()));
        let m = r.of("m.game_day");
        assert_eq!(
            counter(&m, "resilience_calls_total{kind=chaos,outcome=rejected}"),
            3
        );
    });
}

// ---- hedge: one count per hedge started ----

#[resilience::hedge(name = "m.search", delay = 20ms, budget = none)]
async fn search(slow: bool) -> Result<(), E> {
    tokio::time::sleep(Duration::from_millis(if slow { 100 } else { 5 })).await;
    Ok(())
}

#[test]
fn each_hedge_started_is_counted() {
    with_recorder(|r| async move {
        // Fast: no hedge. Slow: one hedge each (every run is slow, so the first answers).
        search(false).await.unwrap();
        search(true).await.unwrap();
        search(true).await.unwrap();
        let m = r.of("m.search");
        assert_eq!(counter(&m, "resilience_hedges_total{}"), 2);
    });
}
