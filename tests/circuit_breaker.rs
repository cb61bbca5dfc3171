//! `#[circuit_breaker]` on the paused clock: every transition, what counts and what does not,
//! cancellation, panics, probes under concurrency, and the registry's operator overrides.
//! Each test has its own breaker (a name or a function of its own): breakers are process-wide.

use futures::FutureExt;
use resilience::{CircuitState, Error, circuit_breaker, registry, timeout};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::{advance, sleep};

#[derive(Debug, Clone, PartialEq)]
enum E {
    Down,
    NotFound,
    R(Error),
}
impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::R(e)
    }
}

fn open_for(r: &Result<(), E>) -> Option<Duration> {
    match r {
        Err(E::R(Error::CircuitOpen { retry_after, .. })) => Some(*retry_after),
        _ => None,
    }
}

const S: Duration = Duration::from_secs(1);

fn state(name: &str) -> CircuitState {
    registry().circuit_breaker(name).unwrap().state()
}

// ---- Closed → Open on the failure rate, after min_calls ----

static RATE_RUNS: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(failure_rate = 50%, window = 10, min_calls = 4, open_for = 30s, name = "t-rate")]
async fn rate(ok: bool) -> Result<(), E> {
    RATE_RUNS.fetch_add(1, Ordering::SeqCst);
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn opens_when_the_failure_rate_reaches_the_threshold_after_min_calls() {
    assert_eq!(rate(false).await, Err(E::Down));
    assert_eq!(rate(false).await, Err(E::Down));
    assert_eq!(rate(false).await, Err(E::Down)); // 3 calls < min_calls: still closed
    assert_eq!(state("t-rate"), CircuitState::Closed);
    assert_eq!(rate(true).await, Ok(()));
    assert_eq!(rate(false).await, Err(E::Down)); // 4 of 5 failed
    assert_eq!(state("t-rate"), CircuitState::Open);
    // Rejected without running the body, with the time left open.
    let before = RATE_RUNS.load(Ordering::SeqCst);
    assert_eq!(open_for(&rate(true).await), Some(30 * S));
    advance(10 * S).await;
    assert_eq!(open_for(&rate(true).await), Some(20 * S));
    assert_eq!(RATE_RUNS.load(Ordering::SeqCst), before);
    let m = registry().circuit_breaker("t-rate").unwrap().metrics();
    assert_eq!(m.rejected, 2);
}

#[circuit_breaker(failure_rate = 50%, window = 10, min_calls = 4, name = "t-below")]
async fn below(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn stays_closed_below_the_threshold() {
    for i in 0..40 {
        let _ = below(i % 3 != 2).await; // a third fail
    }
    assert_eq!(state("t-below"), CircuitState::Closed);
    let m = registry().circuit_breaker("t-below").unwrap().metrics();
    assert_eq!(m.calls, 10);
    assert!((0.25..0.45).contains(&m.failure_rate), "{m:?}");
}

// ---- consecutive_failures ----

#[circuit_breaker(consecutive_failures = 3, name = "t-consecutive")]
async fn consecutive(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn consecutive_failures_open_and_a_success_resets_the_count() {
    let _ = consecutive(false).await;
    let _ = consecutive(false).await;
    let _ = consecutive(true).await;
    let _ = consecutive(false).await;
    let _ = consecutive(false).await;
    assert_eq!(state("t-consecutive"), CircuitState::Closed);
    let _ = consecutive(false).await;
    assert_eq!(state("t-consecutive"), CircuitState::Open);
    assert_eq!(open_for(&consecutive(true).await), Some(30 * S));
}

/// The same in a time window, whose successes count in their bucket: a success still ends the
/// run, however the window is kept.
#[circuit_breaker(consecutive_failures = 3, window = 10s, min_calls = 100, name = "t-consecutive-time")]
async fn consecutive_timed(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn in_a_time_window_a_success_resets_the_count_too() {
    for ok in [false, false, true, false, false, true, false, false] {
        let _ = consecutive_timed(ok).await;
        tokio::time::advance(S).await;
    }
    assert_eq!(state("t-consecutive-time"), CircuitState::Closed);
    let _ = consecutive_timed(false).await;
    assert_eq!(state("t-consecutive-time"), CircuitState::Open);
}

// ---- Open → HalfOpen → Closed, and → Open again with a growing open_for ----

static PROBES_OK: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(
    consecutive_failures = 1,
    half_open_calls = 2,
    open_for = exponential(10s, max = 35s),
    name = "t-grow"
)]
async fn grow(ok: bool) -> Result<(), E> {
    if ok {
        PROBES_OK.fetch_add(1, Ordering::SeqCst);
        Ok(())
    } else {
        Err(E::Down)
    }
}

#[tokio::test(start_paused = true)]
async fn half_open_failures_grow_open_for_up_to_max_and_closing_resets_it() {
    let _ = grow(false).await;
    assert_eq!(open_for(&grow(true).await), Some(10 * S));
    advance(10 * S).await;
    // Half-open: the first probe fails, the second succeeds: 50% ≥ 50%, open again for 20 s.
    assert_eq!(grow(false).await, Err(E::Down));
    assert_eq!(state("t-grow"), CircuitState::HalfOpen);
    assert_eq!(grow(true).await, Ok(()));
    assert_eq!(state("t-grow"), CircuitState::Open);
    assert_eq!(open_for(&grow(true).await), Some(20 * S));
    advance(20 * S).await;
    let _ = grow(false).await;
    let _ = grow(false).await;
    // 40 s capped at 35 s.
    assert_eq!(open_for(&grow(true).await), Some(35 * S));
    advance(35 * S).await;
    assert_eq!(grow(true).await, Ok(()));
    assert_eq!(grow(true).await, Ok(()));
    assert_eq!(state("t-grow"), CircuitState::Closed);
    // Closed again: the next opening is back to the first period.
    let _ = grow(false).await;
    assert_eq!(open_for(&grow(true).await), Some(10 * S));
}

#[circuit_breaker(consecutive_failures = 1, half_open_calls = 1, open_for = 5s, name = "t-probe-limit")]
async fn probe_limit(ok: bool) -> Result<(), E> {
    sleep(S).await;
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_only_its_probes_and_rejects_the_rest() {
    let _ = probe_limit(false).await;
    advance(5 * S).await;
    let first = tokio::spawn(probe_limit(true));
    tokio::task::yield_now().await;
    assert_eq!(state("t-probe-limit"), CircuitState::HalfOpen);
    // The only slot is taken: rejected at once with nothing to wait for.
    assert_eq!(open_for(&probe_limit(true).await), Some(Duration::ZERO));
    assert_eq!(first.await.unwrap(), Ok(()));
    assert_eq!(state("t-probe-limit"), CircuitState::Closed);
}

// ---- Exactly half_open_calls probes under many concurrent callers ----

static CONCURRENT_RUNS: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(consecutive_failures = 1, half_open_calls = 3, open_for = 1s, name = "t-concurrent")]
async fn concurrent(ok: bool) -> Result<(), E> {
    CONCURRENT_RUNS.fetch_add(1, Ordering::SeqCst);
    sleep(S).await;
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn many_concurrent_callers_in_half_open_run_exactly_half_open_calls_probes() {
    let _ = concurrent(false).await;
    advance(S).await;
    CONCURRENT_RUNS.store(0, Ordering::SeqCst);
    let calls: Vec<_> = (0..64).map(|_| tokio::spawn(concurrent(true))).collect();
    let mut rejected = 0;
    for c in calls {
        if open_for(&c.await.unwrap()).is_some() {
            rejected += 1;
        }
    }
    assert_eq!(CONCURRENT_RUNS.load(Ordering::SeqCst), 3);
    assert_eq!(rejected, 61);
    assert_eq!(state("t-concurrent"), CircuitState::Closed);
}

#[test]
fn threads_racing_into_half_open_get_exactly_half_open_calls_permits() {
    use resilience::__private::{BreakerPolicy, OpenFor};
    use resilience_runtime::circuit_breaker::CircuitBreaker;
    for round in 0..50 {
        let policy = BreakerPolicy {
            consecutive_failures: Some(1),
            half_open_calls: 3,
            open_for: OpenFor::Fixed(Duration::ZERO),
            ..BreakerPolicy::DEFAULT
        };
        let b: &'static CircuitBreaker =
            Box::leak(Box::new(CircuitBreaker::new("t-threads", "here", policy)));
        let p = b.acquire().unwrap();
        let _ =
            p.finish::<(), E, Error>(Err(resilience_runtime::Failure::Inner(E::Down)), |_| true);
        assert_eq!(b.state(), CircuitState::Open, "round {round}");
        let start = Arc::new(std::sync::Barrier::new(8));
        let end = Arc::new(std::sync::Barrier::new(8));
        let admitted: u32 = (0..8)
            .map(|_| {
                let (start, end) = (Arc::clone(&start), Arc::clone(&end));
                std::thread::spawn(move || {
                    start.wait();
                    let permit = b.acquire();
                    let ok = permit.is_ok() as u32;
                    end.wait(); // hold the probe until every thread has tried
                    drop(permit);
                    ok
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(admitted, 3, "round {round}");
        // Every probe was dropped unfinished: all three slots are free again.
        assert_eq!(b.state(), CircuitState::HalfOpen);
    }
}

// ---- slow calls ----

#[circuit_breaker(slow_call = 1s, slow_rate = 50%, window = 4, min_calls = 2, name = "t-slow")]
async fn slow(d: Duration) -> Result<(), E> {
    sleep(d).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn slow_successes_open_at_the_slow_rate() {
    slow(Duration::from_millis(10)).await.unwrap();
    slow(Duration::from_millis(999)).await.unwrap();
    assert_eq!(state("t-slow"), CircuitState::Closed);
    slow(2 * S).await.unwrap(); // 1 of 3 slow
    assert_eq!(state("t-slow"), CircuitState::Closed);
    slow(S).await.unwrap(); // 2 of 4: at least `slow_call` is slow
    assert_eq!(state("t-slow"), CircuitState::Open);
    let m = registry().circuit_breaker("t-slow").unwrap().metrics();
    assert_eq!((m.calls, m.slow_calls, m.failures), (4, 2, 0));
}

// ---- time window ----

#[circuit_breaker(window = 10s, min_calls = 2, name = "t-time")]
async fn timed(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn a_time_window_forgets_calls_older_than_its_length() {
    let _ = timed(false).await;
    advance(15 * S).await;
    // The first failure is 15 s old: one call in the window, below min_calls.
    let _ = timed(false).await;
    assert_eq!(state("t-time"), CircuitState::Closed);
    advance(S).await;
    let _ = timed(false).await;
    assert_eq!(state("t-time"), CircuitState::Open);
}

// ---- what counts ----

fn is_outage(e: &E) -> bool {
    matches!(e, E::Down)
}

#[circuit_breaker(consecutive_failures = 2, when = is_outage, name = "t-when")]
async fn when(e: E) -> Result<(), E> {
    Err(e)
}

#[tokio::test(start_paused = true)]
async fn errors_when_rejects_count_as_successes() {
    for _ in 0..5 {
        assert_eq!(when(E::NotFound).await, Err(E::NotFound));
    }
    assert_eq!(state("t-when"), CircuitState::Closed);
    let _ = when(E::Down).await;
    let _ = when(E::Down).await;
    assert_eq!(state("t-when"), CircuitState::Open);
}

#[circuit_breaker(consecutive_failures = 2, name = "t-timeout")]
#[timeout(100ms)]
async fn times_out() -> Result<(), E> {
    sleep(S).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_timeout_beneath_counts_as_a_failure() {
    assert!(matches!(
        times_out().await,
        Err(E::R(Error::Timeout { .. }))
    ));
    assert!(matches!(
        times_out().await,
        Err(E::R(Error::Timeout { .. }))
    ));
    assert_eq!(open_for(&times_out().await), Some(30 * S));
}

// ---- cancellation ----

#[circuit_breaker(consecutive_failures = 1, half_open_calls = 1, open_for = 1s, name = "t-cancel")]
async fn cancellable(ok: bool) -> Result<(), E> {
    sleep(S).await;
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_call_counts_as_nothing_and_gives_its_probe_slot_back() {
    // Closed: a dropped call records nothing.
    let mut call = Box::pin(cancellable(false));
    assert!(futures::poll!(call.as_mut()).is_pending());
    drop(call);
    let m = registry().circuit_breaker("t-cancel").unwrap().metrics();
    assert_eq!((m.calls, m.failures), (0, 0));
    assert_eq!(state("t-cancel"), CircuitState::Closed);

    let _ = cancellable(false).await;
    advance(S).await;
    // Half-open: the only probe is dropped mid-call; its slot comes back.
    let mut probe = Box::pin(cancellable(false));
    assert!(futures::poll!(probe.as_mut()).is_pending());
    assert_eq!(state("t-cancel"), CircuitState::HalfOpen);
    assert_eq!(open_for(&cancellable(true).await), Some(Duration::ZERO));
    drop(probe);
    assert_eq!(cancellable(true).await, Ok(()));
    assert_eq!(state("t-cancel"), CircuitState::Closed);
}

// ---- panics ----

#[circuit_breaker(consecutive_failures = 1, half_open_calls = 1, open_for = 1s, name = "t-panic")]
async fn panics(panic: bool) -> Result<(), E> {
    sleep(Duration::from_millis(1)).await;
    if panic {
        panic!("boom");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_panic_counts_as_a_failure_and_keeps_unwinding() {
    let unwound = AssertUnwindSafe(panics(true)).catch_unwind().await;
    assert!(unwound.is_err());
    assert_eq!(state("t-panic"), CircuitState::Open);
    advance(S).await;
    // A panicking probe releases its slot and reopens the breaker.
    assert!(AssertUnwindSafe(panics(true)).catch_unwind().await.is_err());
    assert_eq!(state("t-panic"), CircuitState::Open);
    advance(2 * S).await;
    assert_eq!(panics(false).await, Ok(()));
    assert_eq!(state("t-panic"), CircuitState::Closed);
}

// ---- shared names and the registry ----

#[circuit_breaker(consecutive_failures = 2, open_for = 7s, name = "t-shared")]
async fn shared_a() -> Result<(), E> {
    Err(E::Down)
}

#[circuit_breaker(consecutive_failures = 9, open_for = 1s, name = "t-shared")]
async fn shared_b() -> Result<(), E> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn callsites_with_one_name_share_one_breaker_configured_by_the_first() {
    let _ = shared_a().await;
    let _ = shared_a().await;
    // shared_b never failed, but its breaker is shared_a's, and keeps shared_a's settings.
    assert_eq!(open_for(&shared_b().await), Some(7 * S));
    let all = registry().circuit_breakers();
    assert_eq!(all.iter().filter(|b| b.name() == "t-shared").count(), 1);
    let b = registry().circuit_breaker("t-shared").unwrap();
    assert_eq!(b.policy().consecutive_failures, Some(2));
}

#[circuit_breaker(consecutive_failures = 1, name = "t-operator")]
async fn operated(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

#[tokio::test(start_paused = true)]
async fn operators_force_open_disable_and_reset() {
    assert!(registry().circuit_breaker("t-operator").is_none());
    operated(true).await.unwrap();
    let b = registry().circuit_breaker("t-operator").unwrap();
    assert_eq!(b.name(), "t-operator");

    b.force_open();
    assert_eq!(b.state(), CircuitState::ForcedOpen);
    advance(3600 * S).await;
    assert_eq!(open_for(&operated(true).await), Some(Duration::ZERO));

    b.disable();
    assert_eq!(b.state(), CircuitState::Disabled);
    for _ in 0..5 {
        assert_eq!(operated(false).await, Err(E::Down));
    }
    assert_eq!(b.state(), CircuitState::Disabled);

    b.reset();
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(b.metrics().calls, 0);
    let _ = operated(false).await;
    assert_eq!(b.state(), CircuitState::Open);
    b.reset();
    assert_eq!(operated(true).await, Ok(()));
}

// ---- a second callsite with another config is warned about ----

/// Collects the `message` of every event.
struct Messages(std::sync::Mutex<Vec<String>>);

impl tracing::Subscriber for Messages {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Visit<'a>(&'a mut String);
        impl tracing::field::Visit for Visit<'_> {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    *self.0 = format!("{v:?}");
                }
            }
        }
        let mut message = String::new();
        event.record(&mut Visit(&mut message));
        self.0.lock().unwrap().push(message);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[circuit_breaker(failure_rate = 30%, name = "t-conflict")]
async fn conflict_first() -> Result<(), E> {
    Ok(())
}

#[circuit_breaker(failure_rate = 60%, name = "t-conflict")]
async fn conflict_second() -> Result<(), E> {
    Ok(())
}

#[test]
fn a_second_callsite_configuring_a_name_differently_is_warned_about_naming_both() {
    let messages = Arc::new(Messages(std::sync::Mutex::new(Vec::new())));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    tracing::subscriber::with_default(Arc::clone(&messages), || {
        rt.block_on(async {
            conflict_first().await.unwrap();
            conflict_second().await.unwrap();
        })
    });
    let all = messages.0.lock().unwrap();
    let warning = all
        .iter()
        .find(|m| m.contains("t-conflict"))
        .expect("a warning names the breaker");
    let file = "tests/circuit_breaker.rs";
    let callsites: std::collections::BTreeSet<&str> = warning
        .match_indices(file)
        .map(|(i, _)| {
            let rest = &warning[i..];
            let end = rest[file.len() + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(rest.len(), |e| e + file.len() + 1);
            &rest[..end]
        })
        .collect();
    assert_eq!(callsites.len(), 2, "both callsites are named: {warning}");
    let b = registry().circuit_breaker("t-conflict").unwrap();
    assert_eq!(b.policy().failure_rate, 0.3);
}

// ---- the window, exactly (resilience4j's window semantics, in our syntax) ----

/// The window's calls, failures and slow calls, as `metrics()` reports them.
fn window(name: &str) -> (u64, u64, u64) {
    let m = registry().circuit_breaker(name).unwrap().metrics();
    (m.calls, m.failures, m.slow_calls)
}

/// Runs `calls` through `f`: `S` succeeds, `F` fails.
async fn run<F: Future<Output = Result<(), E>>>(f: impl Fn(bool) -> F, calls: &str) {
    for c in calls.chars() {
        let _ = f(c == 'S').await;
    }
}

#[circuit_breaker(window = 4, min_calls = 4, failure_rate = 100%, name = "w-leaves")]
async fn leaves(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

/// Issue 11, scenario 2: a block that only received successes kept its old failure.
#[tokio::test(start_paused = true)]
async fn a_failure_that_left_a_count_window_counts_for_nothing() {
    run(leaves, "F").await;
    assert_eq!(window("w-leaves"), (1, 1, 0));
    run(leaves, "SSS").await;
    assert_eq!(window("w-leaves"), (4, 1, 0));
    run(leaves, "S").await;
    assert_eq!(window("w-leaves"), (4, 0, 0));
    let m = registry().circuit_breaker("w-leaves").unwrap().metrics();
    assert_eq!(m.failure_rate, 0.0);
    // And back in: two failures among the last four.
    run(leaves, "FSF").await;
    assert_eq!(window("w-leaves"), (4, 2, 0));
    assert_eq!(
        registry()
            .circuit_breaker("w-leaves")
            .unwrap()
            .metrics()
            .failure_rate,
        0.5
    );
}

#[circuit_breaker(window = 10, min_calls = 10, failure_rate = 50%, name = "w-exact")]
async fn exact(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

/// Issue 11, scenario 3: the last 10 calls decide, to the call.
#[tokio::test(start_paused = true)]
async fn the_count_window_decides_on_exactly_the_last_n_calls() {
    run(exact, "SSSSSSFFFF").await;
    assert_eq!(window("w-exact"), (10, 4, 0));
    assert_eq!(state("w-exact"), CircuitState::Closed);
    // The 11th call: the last 10 are S×5 and F×5, 50%.
    run(exact, "F").await;
    assert_eq!(window("w-exact"), (10, 5, 0));
    assert_eq!(state("w-exact"), CircuitState::Open);
    assert!(open_for(&exact(true).await).is_some());
}

#[circuit_breaker(window = 10, min_calls = 10, failure_rate = 50%, name = "w-below")]
async fn below_by_one(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

/// The mirror image: failures at the front of the window slide out, and 4 of the last 10
/// never open, however the calls fell.
#[tokio::test(start_paused = true)]
async fn failures_that_slid_out_of_the_window_do_not_open_it() {
    run(below_by_one, "FFFFSSSSSS").await;
    assert_eq!(window("w-below"), (10, 4, 0));
    run(below_by_one, "SSSSF").await;
    // The last 10: S×5 (old), S×4, F: one failure.
    assert_eq!(window("w-below"), (10, 1, 0));
    run(below_by_one, "FFF").await;
    assert_eq!(window("w-below"), (10, 4, 0));
    assert_eq!(state("w-below"), CircuitState::Closed);
    let m = registry().circuit_breaker("w-below").unwrap().metrics();
    // `metrics()` agrees with itself: the rate is exactly failures / calls.
    assert_eq!(m.failure_rate, 0.4);
}

#[circuit_breaker(window = 4, min_calls = 4, failure_rate = 50%, name = "w-success")]
async fn reached_on_success(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

/// The breaker decides when a failure is recorded: a window that reaches the threshold on a
/// success opens at the next failure.
#[tokio::test(start_paused = true)]
async fn a_window_that_reaches_the_threshold_on_a_success_opens_at_the_next_failure() {
    run(reached_on_success, "FFS").await;
    assert_eq!(state("w-success"), CircuitState::Closed); // 3 calls < min_calls
    run(reached_on_success, "S").await;
    assert_eq!(window("w-success"), (4, 2, 0)); // 50%, reached on a success
    assert_eq!(state("w-success"), CircuitState::Closed);
    run(reached_on_success, "F").await; // F S S F: 50%
    assert_eq!(state("w-success"), CircuitState::Open);
}

#[circuit_breaker(window = 2, min_calls = 2, slow_call = 1s, slow_rate = 100%, failure_rate = 100%, name = "w-slow")]
async fn slow_in_window(ok: bool, d: Duration) -> Result<(), E> {
    sleep(d).await;
    if ok { Ok(()) } else { Err(E::Down) }
}

/// resilience4j's sliding window with slow calls: slow calls slide out like any other.
#[tokio::test(start_paused = true)]
async fn slow_calls_slide_out_of_a_count_window() {
    let _ = slow_in_window(false, 2 * S).await; // slow failure
    assert_eq!(window("w-slow"), (1, 1, 1));
    slow_in_window(true, 2 * S).await.unwrap(); // slow success: 2 of 2 slow, 1 of 2 failed
    assert_eq!(state("w-slow"), CircuitState::Open);
    assert_eq!(window("w-slow"), (2, 1, 2));
    registry().circuit_breaker("w-slow").unwrap().reset();
    assert_eq!(window("w-slow"), (0, 0, 0));
    let _ = slow_in_window(false, 2 * S).await;
    slow_in_window(true, Duration::ZERO).await.unwrap();
    slow_in_window(true, Duration::ZERO).await.unwrap();
    assert_eq!(window("w-slow"), (2, 0, 0));
    assert_eq!(state("w-slow"), CircuitState::Closed);
}

#[circuit_breaker(window = 10s, min_calls = 5, failure_rate = 60%, name = "w-idle")]
async fn after_a_quiet_night(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

/// Issue 11, scenario 1: idle time expires calls. Before, the four old failures stayed in the
/// window and the first failure after the silence opened the breaker.
#[tokio::test(start_paused = true)]
async fn idle_time_expires_a_time_window_and_min_calls_protects_the_next_calls() {
    run(after_a_quiet_night, "SSSSFFFF").await;
    assert_eq!(window("w-idle"), (8, 4, 0));
    assert_eq!(state("w-idle"), CircuitState::Closed);
    advance(20 * S).await;
    assert_eq!(window("w-idle"), (0, 0, 0));
    for n in 1..=3 {
        assert_eq!(after_a_quiet_night(false).await, Err(E::Down));
        assert_eq!(window("w-idle"), (n, n, 0));
    }
    assert_eq!(state("w-idle"), CircuitState::Closed);
}

#[circuit_breaker(window = 5s, min_calls = 100, name = "w-slide")]
async fn sliding(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

/// resilience4j's `testSlidingTimeWindowMetrics`, on a 5 s window: calls leave it once they are
/// 5 s old (our buckets are D/16 = 312.5 ms).
#[tokio::test(start_paused = true)]
async fn a_time_window_slides_calls_out_as_they_age() {
    let ms = Duration::from_millis;
    run(sliding, "F").await; // t = 0
    advance(ms(100)).await;
    run(sliding, "S").await;
    advance(ms(100)).await;
    run(sliding, "S").await; // t = 0.2 s
    assert_eq!(window("w-slide"), (3, 1, 0));
    for calls in ["S", "S", "F", "S"] {
        advance(S).await;
        run(sliding, calls).await;
    }
    // t = 4.2 s: all 7 calls are younger than 5 s.
    assert_eq!(window("w-slide"), (7, 2, 0));
    advance(S).await;
    run(sliding, "S").await;
    // t = 5.2 s: the three calls of the first 0.2 s are gone.
    assert_eq!(window("w-slide"), (5, 1, 0));
    advance(S).await;
    run(sliding, "S").await;
    assert_eq!(window("w-slide"), (5, 1, 0));
    advance(5 * S).await;
    run(sliding, "S").await;
    assert_eq!(window("w-slide"), (1, 0, 0));
}

#[circuit_breaker(window = 5s, min_calls = 100, name = "w-clear")]
async fn cleared(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

/// resilience4j's `shouldClearSlidingTimeWindowMetrics`: reading the window while idle
/// shows it emptying with no call to push the old ones out.
#[tokio::test(start_paused = true)]
async fn an_idle_time_window_empties_itself_when_read() {
    run(cleared, "F").await;
    advance(Duration::from_millis(100)).await;
    run(cleared, "S").await;
    advance(Duration::from_millis(700)).await;
    run(cleared, "S").await; // t = 0.8 s
    advance(4 * S).await;
    assert_eq!(window("w-clear"), (3, 1, 0)); // t = 4.8 s
    advance(S).await;
    assert_eq!(window("w-clear"), (0, 0, 0)); // t = 5.8 s
    let m = registry().circuit_breaker("w-clear").unwrap().metrics();
    assert_eq!(m.failure_rate, 0.0);
    advance(Duration::from_millis(100)).await;
    run(cleared, "S").await;
    assert_eq!(window("w-clear"), (1, 0, 0));
}

#[circuit_breaker(window = 10s, min_calls = 2, failure_rate = 50%, open_for = 1s, half_open_calls = 1, name = "w-fresh")]
async fn fresh(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

/// Closing starts a fresh window: the calls that opened the breaker, still younger than the
/// window, count for nothing after it closes.
#[tokio::test(start_paused = true)]
async fn closing_starts_a_fresh_time_window() {
    run(fresh, "SFF").await;
    assert_eq!(state("w-fresh"), CircuitState::Open);
    advance(S).await;
    fresh(true).await.unwrap(); // the probe closes it
    assert_eq!(state("w-fresh"), CircuitState::Closed);
    assert_eq!(window("w-fresh"), (0, 0, 0));
    // One failure after closing is one call in the window, below min_calls.
    assert_eq!(fresh(false).await, Err(E::Down));
    assert_eq!(window("w-fresh"), (1, 1, 0));
    assert_eq!(state("w-fresh"), CircuitState::Closed);
}
