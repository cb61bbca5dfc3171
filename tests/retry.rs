//! `#[retry]` behaviour on tokio's paused clock: exact schedules, attempt counts, `when`,
//! `max_elapsed`, jitter bounds and seeding, layers beneath, and the registry.

use resilience::{RetryDecision, retry, timeout};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The errors of the in-process dependency; each carries the attempt number it came from.
#[derive(Debug, Clone, PartialEq)]
enum Fail {
    /// Worth retrying.
    Transient(u32),
    /// Not worth retrying.
    Permanent(u32),
    /// The server asks to come back after this long.
    Throttled(u32, Duration),
    /// A policy rejected the call.
    Policy(resilience::Error),
}

impl From<resilience::Error> for Fail {
    fn from(e: resilience::Error) -> Self {
        Fail::Policy(e)
    }
}

/// One scripted answer of the dependency.
#[derive(Debug, Clone, Copy)]
enum Step {
    Ok,
    Transient,
    Permanent,
    Throttled(Duration),
    /// Sleeps this long, then succeeds.
    SlowOk(Duration),
}

/// A flaky in-process dependency: answers from a script (the last step repeats) and counts calls.
struct Flaky {
    calls: AtomicU32,
    script: Vec<Step>,
    /// When each attempt began, relative to the dependency's creation.
    starts: Mutex<Vec<Duration>>,
    born: Instant,
}

impl Flaky {
    fn new(script: impl Into<Vec<Step>>) -> Self {
        Flaky {
            calls: AtomicU32::new(0),
            script: script.into(),
            starts: Mutex::new(Vec::new()),
            born: Instant::now(),
        }
    }
    /// Fails `n` times with a transient error, then succeeds.
    fn failing(n: usize) -> Self {
        let mut script = vec![Step::Transient; n];
        script.push(Step::Ok);
        Flaky::new(script)
    }
    fn always(step: Step) -> Self {
        Flaky::new([step])
    }
    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
    fn starts(&self) -> Vec<Duration> {
        self.starts.lock().unwrap().clone()
    }
    async fn call(&self) -> Result<u32, Fail> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.starts.lock().unwrap().push(self.born.elapsed());
        let step = self.script[(n as usize - 1).min(self.script.len() - 1)];
        match step {
            Step::Ok => Ok(n),
            Step::Transient => Err(Fail::Transient(n)),
            Step::Permanent => Err(Fail::Permanent(n)),
            Step::Throttled(d) => Err(Fail::Throttled(n, d)),
            Step::SlowOk(d) => {
                tokio::time::sleep(d).await;
                Ok(n)
            }
        }
    }
}

// ---- backoff schedules -------------------------------------------------------------------

#[retry(attempts = 4, backoff = exponential(100ms, factor = 2.0), jitter = none)]
async fn exponential(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn exponential_doubles_each_delay() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    assert_eq!(exponential(&dep).await, Err(Fail::Transient(4)));
    assert_eq!(t.elapsed(), ms(100 + 200 + 400));
    assert_eq!(dep.starts(), [ms(0), ms(100), ms(300), ms(700)]);
}

#[retry(attempts = 4, backoff = exponential(100ms, factor = 3.0, max = 10s), jitter = none)]
async fn exponential_factor_three(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn exponential_uses_its_factor() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    let _ = exponential_factor_three(&dep).await;
    assert_eq!(t.elapsed(), ms(100 + 300 + 900));
    assert_eq!(dep.calls(), 4);
}

#[retry(attempts = 6, backoff = exponential(100ms, max = 250ms), jitter = none)]
async fn exponential_capped(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn exponential_never_waits_longer_than_max() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    let _ = exponential_capped(&dep).await;
    assert_eq!(t.elapsed(), ms(100 + 200 + 250 + 250 + 250));
    assert_eq!(dep.starts(), [0, 100, 300, 550, 800, 1050].map(ms));
}

#[retry(attempts = 4, backoff = constant(50ms), jitter = none)]
async fn constant(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn constant_waits_the_same_each_time() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    let _ = constant(&dep).await;
    assert_eq!(t.elapsed(), ms(150));
    assert_eq!(dep.starts(), [0, 50, 100, 150].map(ms));
}

#[retry(attempts = 6, backoff = fibonacci(100ms), jitter = none)]
async fn fibonacci(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn fibonacci_follows_the_sequence() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    let _ = fibonacci(&dep).await;
    assert_eq!(t.elapsed(), ms(100 + 100 + 200 + 300 + 500));
    assert_eq!(dep.starts(), [0, 100, 200, 400, 700, 1200].map(ms));
}

#[retry(attempts = 7, backoff = fibonacci(100ms, max = 250ms), jitter = none)]
async fn fibonacci_capped(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn fibonacci_never_waits_longer_than_max() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    let _ = fibonacci_capped(&dep).await;
    assert_eq!(t.elapsed(), ms(100 + 100 + 200 + 250 + 250 + 250));
}

#[retry(attempts = 5, backoff = none)]
async fn no_backoff(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn backoff_none_retries_at_once() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    assert_eq!(no_backoff(&dep).await, Err(Fail::Transient(5)));
    assert_eq!(t.elapsed(), Duration::ZERO);
    assert_eq!(dep.calls(), 5);
}

const BASE: Duration = ms(30);

#[retry(attempts = 3, backoff = constant(BASE), jitter = none)]
async fn constant_from_a_const(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[retry(attempts = 3, backoff = exponential(Duration::from_millis(20), max = Duration::from_millis(30)), jitter = none)]
async fn exponential_from_expressions(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn backoff_durations_may_be_expressions() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    let _ = constant_from_a_const(&dep).await;
    assert_eq!(t.elapsed(), ms(60));

    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    let _ = exponential_from_expressions(&dep).await;
    assert_eq!(t.elapsed(), ms(20 + 30));
}

// ---- attempts and results ----------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn success_after_failures_stops_retrying() {
    let dep = Flaky::failing(2);
    let t = Instant::now();
    assert_eq!(exponential(&dep).await, Ok(3));
    assert_eq!(dep.calls(), 3);
    assert_eq!(t.elapsed(), ms(100 + 200));
}

#[tokio::test(start_paused = true)]
async fn first_success_makes_one_call_and_no_wait() {
    let dep = Flaky::always(Step::Ok);
    let t = Instant::now();
    assert_eq!(exponential(&dep).await, Ok(1));
    assert_eq!(dep.calls(), 1);
    assert_eq!(t.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn the_last_error_is_returned_when_attempts_run_out() {
    let dep = Flaky::new([Step::Permanent, Step::Throttled(ms(1)), Step::Transient]);
    // `constant` retries every error: the third (last) one comes back.
    assert_eq!(constant(&dep).await, Err(Fail::Transient(4)));
    let dep = Flaky::new([
        Step::Transient,
        Step::Transient,
        Step::Transient,
        Step::Permanent,
    ]);
    assert_eq!(constant(&dep).await, Err(Fail::Permanent(4)));
}

#[retry(attempts = 1)]
async fn single_attempt(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn one_attempt_means_no_retry() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    assert_eq!(single_attempt(&dep).await, Err(Fail::Transient(1)));
    assert_eq!(dep.calls(), 1);
    assert_eq!(t.elapsed(), Duration::ZERO);
}

#[retry]
async fn defaults(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[retry(jitter = none)]
async fn defaults_without_jitter(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn default_policy_makes_three_attempts() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    assert_eq!(defaults(&dep).await, Err(Fail::Transient(3)));
    assert_eq!(dep.calls(), 3);
    // Full jitter: each delay is in [0, scheduled].
    assert!(t.elapsed() <= ms(100 + 200), "{:?}", t.elapsed());
}

#[tokio::test(start_paused = true)]
async fn default_backoff_is_exponential_from_100ms() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    let _ = defaults_without_jitter(&dep).await;
    assert_eq!(t.elapsed(), ms(100 + 200));
    assert_eq!(dep.calls(), 3);
}

// ---- `when` ------------------------------------------------------------------------------

fn is_transient(e: &Fail) -> bool {
    matches!(e, Fail::Transient(_))
}

#[retry(attempts = 5, backoff = constant(10ms), jitter = none, when = is_transient)]
async fn when_bool(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn when_false_stops_at_once() {
    let dep = Flaky::new([Step::Transient, Step::Permanent, Step::Ok]);
    let t = Instant::now();
    assert_eq!(when_bool(&dep).await, Err(Fail::Permanent(2)));
    assert_eq!(dep.calls(), 2);
    assert_eq!(t.elapsed(), ms(10));
}

#[tokio::test(start_paused = true)]
async fn when_true_retries() {
    let dep = Flaky::failing(3);
    assert_eq!(when_bool(&dep).await, Ok(4));
    assert_eq!(dep.calls(), 4);
}

#[retry(attempts = 3, backoff = constant(10ms), jitter = none, when = |e: &Fail| !matches!(e, Fail::Permanent(_)))]
async fn when_closure(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn when_may_be_a_closure() {
    let dep = Flaky::new([Step::Transient, Step::Permanent]);
    assert_eq!(when_closure(&dep).await, Err(Fail::Permanent(2)));
    assert_eq!(dep.calls(), 2);
}

fn classify(e: &Fail) -> RetryDecision {
    match e {
        Fail::Transient(_) => RetryDecision::Retry,
        Fail::Throttled(_, after) => RetryDecision::RetryAfter(*after),
        Fail::Permanent(_) | Fail::Policy(_) => RetryDecision::Stop,
    }
}

#[retry(attempts = 5, backoff = exponential(100ms), jitter = none, when = classify)]
async fn when_decision(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn retry_after_wins_over_the_backoff() {
    let dep = Flaky::new([
        Step::Transient,
        Step::Throttled(ms(2_000)),
        Step::Throttled(ms(5)),
        Step::Ok,
    ]);
    let t = Instant::now();
    assert_eq!(when_decision(&dep).await, Ok(4));
    // 100ms (backoff), then the server's 2s and 5ms instead of 200ms and 400ms.
    assert_eq!(dep.starts(), [0, 100, 2_100, 2_105].map(ms));
    assert_eq!(t.elapsed(), ms(2_105));
}

#[tokio::test(start_paused = true)]
async fn retry_after_keeps_the_backoff_counting() {
    // After a Retry-After, the next plain retry uses the schedule's next delay.
    let dep = Flaky::new([Step::Throttled(ms(1)), Step::Transient, Step::Ok]);
    assert_eq!(when_decision(&dep).await, Ok(3));
    assert_eq!(dep.starts(), [0, 1, 201].map(ms));
}

#[tokio::test(start_paused = true)]
async fn decision_stop_returns_the_error() {
    let dep = Flaky::new([Step::Transient, Step::Permanent, Step::Ok]);
    let t = Instant::now();
    assert_eq!(when_decision(&dep).await, Err(Fail::Permanent(2)));
    assert_eq!(dep.calls(), 2);
    assert_eq!(t.elapsed(), ms(100));
}

#[tokio::test(start_paused = true)]
async fn retry_after_still_counts_attempts() {
    let dep = Flaky::always(Step::Throttled(ms(1_000)));
    let t = Instant::now();
    assert_eq!(
        when_decision(&dep).await,
        Err(Fail::Throttled(5, ms(1_000)))
    );
    assert_eq!(t.elapsed(), ms(4_000));
}

// ---- max_elapsed -------------------------------------------------------------------------

#[retry(attempts = 10, backoff = constant(100ms), jitter = none, max_elapsed = 350ms)]
async fn within_budget(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_skips_a_retry_that_would_end_past_it() {
    let dep = Flaky::always(Step::Transient);
    let t = Instant::now();
    // Attempts at 0, 100, 200, 300; a retry at 400 would end past 350, so it is not made.
    assert_eq!(within_budget(&dep).await, Err(Fail::Transient(4)));
    assert_eq!(dep.starts(), [0, 100, 200, 300].map(ms));
    assert_eq!(t.elapsed(), ms(300));
}

#[retry(attempts = 10, backoff = constant(100ms), jitter = none, max_elapsed = 300ms)]
async fn exactly_at_budget(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_allows_a_retry_ending_exactly_on_it() {
    let dep = Flaky::always(Step::Transient);
    assert_eq!(exactly_at_budget(&dep).await, Err(Fail::Transient(4)));
    assert_eq!(dep.starts(), [0, 100, 200, 300].map(ms));
}

#[retry(attempts = 10, backoff = constant(100ms), jitter = none, max_elapsed = 1s)]
async fn slow_attempts_in_budget(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await?;
    tokio::time::sleep(ms(300)).await;
    Err(Fail::Transient(0))
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_counts_time_spent_in_attempts() {
    let dep = Flaky::always(Step::Ok);
    let t = Instant::now();
    // Attempts take 300ms each: 0–300, 400–700; a retry at 800 ends before 1s, 800–1100.
    // Then 1200 > 1s: stop.
    let _ = slow_attempts_in_budget(&dep).await;
    assert_eq!(dep.starts(), [0, 400, 800].map(ms));
    assert_eq!(t.elapsed(), ms(1_100));
}

#[retry(attempts = 10, jitter = none, when = classify, max_elapsed = 1s)]
async fn retry_after_in_budget(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_also_bounds_retry_after() {
    let dep = Flaky::new([Step::Throttled(ms(5_000)), Step::Ok]);
    let t = Instant::now();
    assert_eq!(
        retry_after_in_budget(&dep).await,
        Err(Fail::Throttled(1, ms(5_000)))
    );
    assert_eq!(t.elapsed(), Duration::ZERO);
}

/// Regression: a huge Retry-After overflowed `Instant + Duration` in the `max_elapsed` check and
/// panicked; it is simply past the budget.
#[tokio::test(start_paused = true)]
async fn max_elapsed_with_a_huge_retry_after_stops_without_panicking() {
    let dep = Flaky::new([Step::Throttled(Duration::MAX), Step::Ok]);
    assert_eq!(
        retry_after_in_budget(&dep).await,
        Err(Fail::Throttled(1, Duration::MAX))
    );
}

// ---- jitter ------------------------------------------------------------------------------

#[retry(attempts = 2, backoff = constant(100ms), jitter = full)]
async fn full_jitter(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[retry(attempts = 2, backoff = constant(100ms), jitter = equal)]
async fn equal_jitter(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[retry(attempts = 3, backoff = exponential(100ms, max = 250ms), jitter = decorrelated)]
async fn decorrelated_jitter(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

async fn elapsed_of<F: Future>(f: F) -> Duration {
    let t = Instant::now();
    f.await;
    t.elapsed()
}

#[tokio::test(start_paused = true)]
async fn jitter_kinds_stay_within_their_bounds() {
    resilience::testing::seed(1);
    let (mut full, mut equal) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        full.push(elapsed_of(full_jitter(&Flaky::always(Step::Transient))).await);
        equal.push(elapsed_of(equal_jitter(&Flaky::always(Step::Transient))).await);
        let dep = Flaky::always(Step::Transient);
        let _ = decorrelated_jitter(&dep).await;
        let starts = dep.starts();
        for gap in starts.windows(2).map(|w| w[1] - w[0]) {
            // Decorrelated: in [base, 3 · previous], capped at max.
            assert!(gap >= ms(100) && gap <= ms(250), "{gap:?}");
        }
    }
    assert!(full.iter().all(|d| *d <= ms(100)), "{full:?}");
    assert!(
        equal.iter().all(|d| *d >= ms(50) && *d <= ms(100)),
        "{equal:?}"
    );
    // They are random: not all the same.
    assert!(full.iter().any(|d| *d != full[0]));
    assert!(equal.iter().any(|d| *d != equal[0]));
    // Full jitter spreads over the whole range; equal over the upper half only.
    assert!(full.iter().any(|d| *d < ms(50)));
}

#[retry(attempts = 5, backoff = exponential(100ms), jitter = full)]
async fn seeded(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn seeding_makes_delays_reproducible() {
    resilience::testing::seed(42);
    let a = Flaky::always(Step::Transient);
    let first = elapsed_of(seeded(&a)).await;
    resilience::testing::seed(42);
    let b = Flaky::always(Step::Transient);
    let second = elapsed_of(seeded(&b)).await;
    assert_eq!(first, second);
    assert_eq!(a.starts(), b.starts());
    resilience::testing::seed(43);
    let c = Flaky::always(Step::Transient);
    let _ = seeded(&c).await;
    assert_ne!(a.starts(), c.starts());
}

// ---- layers beneath ----------------------------------------------------------------------

#[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
#[timeout(100ms)]
async fn per_attempt_timeout(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn a_timeout_beneath_is_retried() {
    let dep = Flaky::new([
        Step::SlowOk(ms(1_000)),
        Step::SlowOk(ms(1_000)),
        Step::SlowOk(ms(40)),
    ]);
    let t = Instant::now();
    assert_eq!(per_attempt_timeout(&dep).await, Ok(3));
    assert_eq!(dep.starts(), [0, 110, 220].map(ms));
    assert_eq!(t.elapsed(), ms(260));
}

#[tokio::test(start_paused = true)]
async fn the_last_timeout_is_returned() {
    let dep = Flaky::always(Step::SlowOk(ms(1_000)));
    let t = Instant::now();
    let err = per_attempt_timeout(&dep).await.unwrap_err();
    let Fail::Policy(resilience::Error::Timeout { name, after }) = err else {
        panic!("expected a timeout, got {err:?}");
    };
    assert_eq!(name, "retry::per_attempt_timeout");
    assert_eq!(after, ms(100));
    assert_eq!(dep.calls(), 3);
    assert_eq!(t.elapsed(), ms(100 + 10 + 100 + 10 + 100));
}

#[retry(attempts = 3, backoff = constant(10ms), jitter = none, when = classify)]
#[timeout(100ms)]
async fn timeout_not_judged_by_when(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn timeouts_beneath_are_classified_by_the_runtime_not_by_when() {
    // `classify` would stop on `Fail::Policy`, but the timeout is retried anyway.
    let dep = Flaky::new([Step::SlowOk(ms(1_000)), Step::Ok]);
    assert_eq!(timeout_not_judged_by_when(&dep).await, Ok(2));
    assert_eq!(dep.calls(), 2);
}

// ---- registry ----------------------------------------------------------------------------

#[retry(name = "retry-tests.registry", attempts = 3, backoff = none)]
async fn registered(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn the_registry_counts_retries_and_give_ups() {
    let reg = resilience::registry();
    assert!(reg.retry("retry-tests.registry").is_none());
    assert_eq!(registered(&Flaky::failing(1)).await, Ok(2));
    let entry = reg.retry("retry-tests.registry").unwrap();
    assert_eq!(entry.name(), "retry-tests.registry");
    assert_eq!((entry.retries(), entry.gave_up()), (1, 0));
    assert_eq!(entry.policy().attempts, 3);

    let _ = registered(&Flaky::always(Step::Transient)).await;
    assert_eq!((entry.retries(), entry.gave_up()), (3, 1));
    assert!(
        reg.retries()
            .iter()
            .any(|r| r.name() == "retry-tests.registry")
    );
}

#[retry(name = "retry-tests.shared", attempts = 2, backoff = none)]
async fn shared_a(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[retry(name = "retry-tests.shared", attempts = 2, backoff = none)]
async fn shared_b(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn callsites_with_one_name_share_an_entry() {
    let reg = resilience::registry();
    let _ = shared_a(&Flaky::always(Step::Transient)).await;
    let _ = shared_b(&Flaky::always(Step::Transient)).await;
    let entry = reg.retry("retry-tests.shared").unwrap();
    assert_eq!((entry.retries(), entry.gave_up()), (2, 2));
    let named: Vec<_> = reg
        .retries()
        .into_iter()
        .filter(|r| r.name() == "retry-tests.shared")
        .collect();
    assert_eq!(named.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_default_name_is_module_and_function() {
    let _ = no_backoff(&Flaky::always(Step::Ok)).await;
    let entry = resilience::registry().retry("retry::no_backoff");
    assert!(entry.is_some());
}

#[tokio::test(start_paused = true)]
async fn a_stop_counts_as_giving_up() {
    let _ = when_bool(&Flaky::always(Step::Permanent)).await;
    let entry = resilience::registry().retry("retry::when_bool").unwrap();
    assert!(entry.gave_up() >= 1);
}

// ---- executors ---------------------------------------------------------------------------

/// Regression: `backoff = none` slept for zero, which needs a tokio timer, so the call
/// panicked on any other executor (and on a runtime without `enable_time`).
#[test]
fn backoff_none_needs_no_timer() {
    let dep = Flaky::failing(2);
    assert_eq!(futures::executor::block_on(no_backoff(&dep)), Ok(3));
    assert_eq!(dep.calls(), 3);

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dep = Flaky::failing(1);
    assert_eq!(rt.block_on(no_backoff(&dep)), Ok(2));
}

#[retry(attempts = 3, backoff = none, when = classify)]
async fn zero_retry_after(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[test]
fn a_zero_retry_after_needs_no_timer() {
    let dep = Flaky::new([Step::Throttled(Duration::ZERO), Step::Ok]);
    assert_eq!(futures::executor::block_on(zero_retry_after(&dep)), Ok(2));
}

// ---- outside a tokio runtime ----

#[derive(Debug)]
struct Outside;

#[resilience::retry(attempts = 2, backoff = constant(10ms), jitter = none, budget = none)]
async fn fails_outside_tokio() -> Result<(), Outside> {
    Err(Outside)
}

#[test]
#[should_panic(expected = "`#[retry]` needs a tokio runtime")]
fn a_retry_that_must_wait_outside_tokio_panics_saying_it_needs_tokio() {
    let _ = futures::executor::block_on(fails_outside_tokio());
}
