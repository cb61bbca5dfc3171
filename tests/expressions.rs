//! Counts, rates and percentages written as expressions (SPEC §13): evaluated at each call, and
//! a value the attribute's rules refuse fails that call with `Error::InvalidValue` naming key
//! and value, in the compiler's words, without running the body and without a panic.

// The expansions with expressions must not warn in the user's crate.
#![deny(warnings)]

use resilience::{
    Error, Rate, bulkhead, circuit_breaker, hedge, rate_limit, registry, retry, testing,
};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep};

#[derive(Debug, PartialEq)]
enum Boom {
    Down,
    Policy(Error),
}

impl From<Error> for Boom {
    fn from(e: Error) -> Self {
        Boom::Policy(e)
    }
}

/// The message the compiler prints for the UI case `ui` (`tests/ui/<ui>.stderr`).
fn compiler_says(ui: &str) -> String {
    let path = format!("{}/tests/ui/{ui}.stderr", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect(&path);
    let first = text.lines().next().expect("an error line");
    first.strip_prefix("error: ").expect("error: ..").to_owned()
}

/// The key, value and rule of an `Error::InvalidValue`, and its callsite.
fn invalid<T: std::fmt::Debug>(r: Result<T, Boom>) -> (&'static str, &'static str, String, String) {
    match r {
        Err(Boom::Policy(Error::InvalidValue { name, invalid })) => {
            (name, invalid.key(), invalid.value(), invalid.rule())
        }
        other => panic!("expected Error::InvalidValue, got {other:?}"),
    }
}

struct Settings {
    attempts: u32,
    budget: f64,
}

struct Client {
    settings: Settings,
    calls: AtomicU32,
}

impl Client {
    fn new(attempts: u32, budget: f64) -> Self {
        Client {
            settings: Settings { attempts, budget },
            calls: AtomicU32::new(0),
        }
    }

    #[retry(
        attempts = self.settings.attempts,
        budget = self.settings.budget,
        backoff = none,
        name = "expr-retry"
    )]
    async fn fetch(&self) -> Result<u32, Boom> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Err(Boom::Down)
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::Relaxed)
    }
}

#[tokio::test(start_paused = true)]
async fn retry_attempts_from_an_expression_are_read_at_each_call() {
    let four = Client::new(4, 1.0);
    assert_eq!(four.fetch().await, Err(Boom::Down));
    assert_eq!(four.calls(), 4);
    let two = Client::new(2, 1.0);
    assert_eq!(two.fetch().await, Err(Boom::Down));
    assert_eq!(two.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_attempts_of_zero_fail_the_call_with_the_compilers_words_and_run_nothing() {
    let client = Client::new(0, 0.2);
    let (name, key, value, rule) = invalid(client.fetch().await);
    assert_eq!((name, key, value.as_str()), ("expr-retry", "attempts", "0"));
    assert_eq!(rule, compiler_says("retry/retry-attempts-zero"));
    assert_eq!(client.calls(), 0, "the body ran");

    let client = Client::new(3, 1.5);
    let (_, key, value, rule) = invalid(client.fetch().await);
    assert_eq!((key, value.as_str()), ("budget", "1.5"));
    assert_eq!(
        rule,
        "`budget` must be between 0% and 100% (0.0 and 1.0); got 1.5"
    );
    assert_eq!(client.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_error_says_what_was_refused_and_is_a_rejection() {
    let e = match Client::new(0, 0.2).fetch().await {
        Err(Boom::Policy(e)) => e,
        other => panic!("{other:?}"),
    };
    assert!(e.is_rejection());
    assert_eq!(e.kind(), "invalid_value");
    assert_eq!(
        e.to_string(),
        "`expr-retry` has `attempts = 0`, which its rules refuse, so the call was not \
         attempted: `attempts` counts the first call too, so it must be at least 1 (1 means no retry)"
    );
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
}

// ---- Circuit breaker ----

#[circuit_breaker(
    name = "expr-breaker",
    failure_rate = rate,
    window = window,
    min_calls = min_calls,
    half_open_calls = probes
)]
async fn guarded(
    rate: f64,
    window: u32,
    min_calls: u32,
    probes: u32,
    calls: &AtomicU32,
) -> Result<(), Boom> {
    calls.fetch_add(1, Ordering::Relaxed);
    Err(Boom::Down)
}

#[tokio::test(start_paused = true)]
async fn a_breaker_is_made_from_the_first_valid_values_and_refuses_invalid_ones() {
    let _registry = testing::isolated();
    let calls = AtomicU32::new(0);
    let (_, key, value, rule) = invalid(guarded(1.5, 10, 5, 1, &calls).await);
    assert_eq!((key, value.as_str()), ("failure_rate", "1.5"));
    assert_eq!(
        rule,
        "`failure_rate` must be between 0% and 100% (0.0 and 1.0); got 1.5"
    );
    let (_, key, value, rule) = invalid(guarded(0.5, 10, 20, 1, &calls).await);
    assert_eq!((key, value.as_str()), ("min_calls", "20"));
    assert_eq!(
        rule,
        compiler_says("circuit_breaker/circuit-breaker-min-calls-above-window")
    );
    let (_, key, _, rule) = invalid(guarded(0.5, 10, 5, 0, &calls).await);
    assert_eq!(key, "half_open_calls");
    assert_eq!(
        rule,
        compiler_says("circuit_breaker/circuit-breaker-half-open-calls-zero")
    );
    assert_eq!(
        calls.load(Ordering::Relaxed),
        0,
        "a refused call ran its body"
    );
    assert!(
        registry().circuit_breaker("expr-breaker").is_none(),
        "no breaker is made from refused values"
    );

    // Valid: a window of 4 calls, decided from 4, opening at 50%.
    for _ in 0..4 {
        assert_eq!(guarded(0.5, 4, 4, 1, &calls).await, Err(Boom::Down));
    }
    assert!(matches!(
        guarded(0.5, 4, 4, 1, &calls).await,
        Err(Boom::Policy(Error::CircuitOpen { .. }))
    ));
    assert_eq!(calls.load(Ordering::Relaxed), 4);
    let policy = registry().circuit_breaker("expr-breaker").unwrap().policy();
    assert_eq!((policy.min_calls, policy.failure_rate), (4, 0.5));
    // An invalid value still fails its own call once the breaker exists.
    let (_, key, _, _) = invalid(guarded(0.0, 4, 4, 1, &calls).await);
    assert_eq!(key, "failure_rate");
}

#[circuit_breaker(window = window, min_calls = 1, consecutive_failures = 100)]
async fn timed_window(window: Duration) -> Result<(), Boom> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_window_expression_may_be_a_duration() {
    let (_, key, value, rule) = invalid(timed_window(Duration::ZERO).await);
    assert_eq!((key, value.as_str()), ("window", "0ms"));
    assert_eq!(
        rule,
        compiler_says("circuit_breaker/circuit-breaker-window-zero-duration")
    );
    assert_eq!(timed_window(Duration::from_secs(60)).await, Ok(()));
}

// ---- Bulkhead ----

#[bulkhead(max_concurrent = limit, name = "expr-bulkhead")]
async fn pooled(limit: usize, hold: Duration, calls: &AtomicU32) -> Result<(), Boom> {
    calls.fetch_add(1, Ordering::Relaxed);
    sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_bulkhead_takes_its_size_from_the_call_that_makes_it() {
    let _registry = testing::isolated();
    let calls = AtomicU32::new(0);
    let hold = Duration::from_millis(10);
    let (_, key, value, rule) = invalid(pooled(0, hold, &calls).await);
    assert_eq!((key, value.as_str()), ("max_concurrent", "0"));
    assert_eq!(rule, compiler_says("bulkhead/bulkhead-max-concurrent-zero"));
    assert_eq!(calls.load(Ordering::Relaxed), 0);

    let (a, b) = tokio::join!(pooled(1, hold, &calls), pooled(1, hold, &calls));
    assert_eq!(a, Ok(()));
    assert_eq!(
        b,
        Err(Boom::Policy(Error::BulkheadFull {
            name: "expr-bulkhead",
            max_concurrent: 1
        }))
    );
    // A later call's other value does not resize the bulkhead made by the first call
    // (configuration does): SPEC §13.
    let (a, b) = tokio::join!(pooled(5, hold, &calls), pooled(5, hold, &calls));
    assert!(a.is_ok());
    assert!(matches!(
        b,
        Err(Boom::Policy(Error::BulkheadFull {
            max_concurrent: 1,
            ..
        }))
    ));
}

#[retry(attempts = 5, backoff = constant(1s), jitter = none)]
#[bulkhead(max_concurrent = limit)]
async fn retried_pool(limit: usize) -> Result<(), Boom> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_stops_at_once_on_an_invalid_value() {
    let t0 = Instant::now();
    let (_, key, _, _) = invalid(retried_pool(0).await);
    assert_eq!(key, "max_concurrent");
    assert_eq!(
        Instant::now(),
        t0,
        "the retry waited to try the same value again"
    );
    assert_eq!(retried_pool(2).await, Ok(()));
}

// ---- Rate limit ----

#[rate_limit(rate = rate, burst = burst)]
async fn limited(rate: Rate, burst: u32) -> Result<(), Boom> {
    Ok(())
}

#[rate_limit(rate = per_second / 1s)]
async fn limited_count(per_second: u32) -> Result<(), Boom> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_rate_expression_is_a_rate_or_a_count_per_period() {
    let (_, key, value, rule) = invalid(limited(Rate::per_second(0), 1).await);
    assert_eq!((key, value.as_str()), ("rate", "0/1s"));
    assert_eq!(rule, resilience_rule_rate_count());
    let (_, key, _, rule) = invalid(limited(Rate::per_second(2), 0).await);
    assert_eq!(key, "burst");
    assert_eq!(rule, compiler_says("rate_limit/rate-limit-burst-zero"));
    let (_, key, value, _) = invalid(limited(Rate::new(2, Duration::ZERO), 1).await);
    assert_eq!((key, value.as_str()), ("rate", "2/0ms"));

    assert_eq!(limited(Rate::per_second(2), 1).await, Ok(()));
    assert!(matches!(
        limited(Rate::per_second(2), 1).await,
        Err(Boom::Policy(Error::RateLimited { .. }))
    ));

    let (_, key, value, _) = invalid(limited_count(0).await);
    assert_eq!((key, value.as_str()), ("rate", "0/1s"));
    assert_eq!(limited_count(1).await, Ok(()));
    assert!(limited_count(1).await.is_err());
}

/// The words of `rate = 0/1s` at compile time (`tests/ui/rate_limit/rate-limit-zero-rate`).
fn resilience_rule_rate_count() -> String {
    compiler_says("rate_limit/rate-limit-zero-rate")
}

// ---- Hedge ----

#[hedge(delay = 10ms, max_hedged = extra, budget = none)]
async fn hedged(extra: u32, runs: &AtomicU32) -> Result<(), Boom> {
    runs.fetch_add(1, Ordering::Relaxed);
    sleep(Duration::from_millis(100)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn max_hedged_from_an_expression_bounds_the_runs_of_each_call() {
    let runs = AtomicU32::new(0);
    for (extra, expected) in [(1, 2), (3, 4)] {
        runs.store(0, Ordering::Relaxed);
        assert_eq!(hedged(extra, &runs).await, Ok(()));
        assert_eq!(
            runs.load(Ordering::Relaxed),
            expected,
            "max_hedged = {extra}"
        );
    }
    for bad in [0, 11] {
        runs.store(0, Ordering::Relaxed);
        let (_, key, value, rule) = invalid(hedged(bad, &runs).await);
        assert_eq!((key, value), ("max_hedged", bad.to_string()));
        assert!(rule.starts_with("`max_hedged` counts the runs started beside the first"));
        assert_eq!(runs.load(Ordering::Relaxed), 0);
    }
}

// ---- Sync functions ----

#[retry(attempts = attempts, backoff = none)]
fn sync_fetch(attempts: u32, calls: &AtomicU32) -> Result<(), Boom> {
    calls.fetch_add(1, Ordering::Relaxed);
    Err(Boom::Down)
}

#[test]
fn a_plain_fn_reads_its_expressions_too() {
    let calls = AtomicU32::new(0);
    assert_eq!(sync_fetch(3, &calls), Err(Boom::Down));
    assert_eq!(calls.load(Ordering::Relaxed), 3);
    let (_, key, _, _) = invalid(sync_fetch(0, &calls));
    assert_eq!(key, "attempts");
    assert_eq!(calls.load(Ordering::Relaxed), 3);
}

#[bulkhead(max_concurrent = limit)]
fn sync_pooled(limit: usize) -> Result<(), Boom> {
    Ok(())
}

#[circuit_breaker(failure_rate = rate)]
fn sync_guarded(rate: f64) -> Result<(), Boom> {
    Ok(())
}

#[test]
fn plain_fn_bulkheads_and_breakers_check_their_expressions() {
    assert_eq!(sync_pooled(2), Ok(()));
    assert_eq!(invalid(sync_pooled(0)).1, "max_concurrent");
    assert_eq!(sync_guarded(0.5), Ok(()));
    assert_eq!(invalid(sync_guarded(2.0)).1, "failure_rate");
}

// ---- Per-key instances ----

#[bulkhead(name = "expr-keyed-pool", key = host, max_concurrent = limit)]
async fn keyed_pool(host: &str, limit: usize, hold: Duration) -> Result<(), Boom> {
    sleep(hold).await;
    Ok(())
}

#[circuit_breaker(name = "expr-keyed-breaker", key = host, consecutive_failures = failures)]
async fn keyed_breaker(host: &str, failures: u32) -> Result<(), Boom> {
    Err(Boom::Down)
}

#[tokio::test(start_paused = true)]
async fn each_key_is_made_from_the_first_valid_values_of_its_own_first_call() {
    let _registry = testing::isolated();
    let hold = Duration::from_millis(10);
    assert_eq!(invalid(keyed_pool("a", 0, hold).await).1, "max_concurrent");
    let (a1, a2, b1, b2) = tokio::join!(
        keyed_pool("a", 1, hold),
        keyed_pool("a", 1, hold),
        keyed_pool("b", 2, hold),
        keyed_pool("b", 2, hold),
    );
    assert!(a1.is_ok() && b1.is_ok() && b2.is_ok());
    assert!(matches!(
        a2,
        Err(Boom::Policy(Error::BulkheadFull {
            max_concurrent: 1,
            ..
        }))
    ));

    assert_eq!(
        invalid(keyed_breaker("x", 0).await).1,
        "consecutive_failures"
    );
    assert_eq!(keyed_breaker("x", 1).await, Err(Boom::Down));
    assert!(matches!(
        keyed_breaker("x", 1).await,
        Err(Boom::Policy(Error::CircuitOpen { .. }))
    ));
    assert_eq!(keyed_breaker("y", 2).await, Err(Boom::Down));
    assert_eq!(keyed_breaker("y", 2).await, Err(Boom::Down));
}

// ---- Configuration wins ----

#[cfg(feature = "config")]
#[bulkhead(max_concurrent = limit, name = "expr-configured")]
async fn configured(limit: usize, hold: Duration) -> Result<(), Boom> {
    sleep(hold).await;
    Ok(())
}

#[cfg(feature = "config")]
#[tokio::test(start_paused = true)]
async fn configuration_overrides_a_value_given_as_an_expression() {
    let _registry = testing::isolated();
    let hold = Duration::from_millis(10);
    configured(1, Duration::ZERO).await.unwrap();
    let config =
        resilience::Config::from_toml_str("[bulkhead.expr-configured]\nmax_concurrent = 2")
            .unwrap();
    let applied = registry().apply(&config).unwrap();
    assert_eq!(
        applied.changes[0].to_string(),
        "[bulkhead.expr-configured] max_concurrent: 1 → 2"
    );
    let (a, b, c) = tokio::join!(
        configured(1, hold),
        configured(1, hold),
        configured(1, hold)
    );
    assert!(a.is_ok() && b.is_ok());
    assert!(matches!(
        c,
        Err(Boom::Policy(Error::BulkheadFull {
            max_concurrent: 2,
            ..
        }))
    ));
}

// ---- Chaos ----

#[cfg(feature = "chaos")]
#[resilience::chaos(error_rate = share)]
async fn chaotic(share: f64) -> Result<(), Boom> {
    Ok(())
}

#[cfg(feature = "chaos")]
#[tokio::test(start_paused = true)]
async fn a_chaos_share_above_one_is_refused_even_while_chaos_is_off() {
    let (_, key, value, rule) = invalid(chaotic(1.5).await);
    assert_eq!((key, value.as_str()), ("error_rate", "1.5"));
    assert_eq!(
        rule,
        "`error_rate` must be between 0% and 100% (0.0 and 1.0); got 1.5"
    );
    assert_eq!(
        chaotic(0.5).await,
        Ok(()),
        "chaos is off in this test binary"
    );
}

// ---- #[async_trait] ----

#[async_trait::async_trait]
trait Store {
    async fn load(&self) -> Result<u32, Boom>;
}

struct Limited {
    attempts: u32,
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl Store for Limited {
    // `self` in the attribute is async-trait's `__self`, as for a duration.
    #[retry(attempts = self.attempts, backoff = none)]
    async fn load(&self) -> Result<u32, Boom> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Err(Boom::Down)
    }
}

#[tokio::test(start_paused = true)]
async fn an_async_trait_method_reads_the_receiver_in_its_expressions() {
    let store = Limited {
        attempts: 2,
        calls: AtomicU32::new(0),
    };
    assert_eq!(store.load().await, Err(Boom::Down));
    assert_eq!(store.calls.load(Ordering::Relaxed), 2);
    let refused = Limited {
        attempts: 0,
        calls: AtomicU32::new(0),
    };
    assert_eq!(invalid(refused.load().await).1, "attempts");
}
