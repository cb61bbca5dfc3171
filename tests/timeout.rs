//! `#[timeout]` behaviour on tokio's paused clock: when it fires, that it cancels the inner
//! future, how it composes with `#[retry]`, duration expressions, and the error it gives.

use resilience::{retry, timeout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[derive(Debug, Clone, PartialEq)]
enum Fail {
    Busy(u32),
    Policy(resilience::Error),
}

impl From<resilience::Error> for Fail {
    fn from(e: resilience::Error) -> Self {
        Fail::Policy(e)
    }
}

/// Sets its flag when dropped.
struct DropGuard(Arc<AtomicBool>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// An in-process dependency that takes `latency` per call and counts its calls.
struct Slow {
    latency: Duration,
    calls: AtomicU32,
    /// Set when the future of a call is dropped (finished or cancelled).
    dropped: Arc<AtomicBool>,
    /// Set when a call ran to its end.
    finished: AtomicBool,
}

impl Slow {
    fn new(latency: Duration) -> Self {
        Slow {
            latency,
            calls: AtomicU32::new(0),
            dropped: Arc::new(AtomicBool::new(false)),
            finished: AtomicBool::new(false),
        }
    }
    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
    async fn call(&self) -> Result<u32, Fail> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let _guard = DropGuard(Arc::clone(&self.dropped));
        tokio::time::sleep(self.latency).await;
        self.finished.store(true, Ordering::SeqCst);
        Ok(n)
    }
    /// Takes `latency`, then fails.
    async fn busy(&self) -> Result<u32, Fail> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(self.latency).await;
        Err(Fail::Busy(n))
    }
}

fn timeout_of(result: Result<u32, Fail>) -> (&'static str, Duration) {
    match result {
        Err(Fail::Policy(resilience::Error::Timeout { name, after })) => (name, after),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[timeout(250ms)]
async fn bounded(dep: &Slow) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn fires_at_exactly_its_duration() {
    let dep = Slow::new(ms(10_000));
    let t = Instant::now();
    let (name, after) = timeout_of(bounded(&dep).await);
    assert_eq!(t.elapsed(), ms(250));
    assert_eq!(name, "timeout::bounded");
    assert_eq!(after, ms(250));
}

#[tokio::test(start_paused = true)]
async fn the_inner_future_is_dropped_when_it_fires() {
    let dep = Slow::new(ms(10_000));
    assert!(!dep.dropped.load(Ordering::SeqCst));
    let result = bounded(&dep).await;
    assert!(result.is_err());
    assert!(
        dep.dropped.load(Ordering::SeqCst),
        "inner future not dropped"
    );
    assert!(!dep.finished.load(Ordering::SeqCst));
    // Nothing of the cancelled call runs later.
    tokio::time::sleep(ms(20_000)).await;
    assert!(!dep.finished.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn the_inner_future_is_dropped_as_soon_as_it_fires() {
    // Even while the caller holds on to the `timeout` future, the cancelled work is gone once
    // it has reported the timeout.
    let dep = Slow::new(ms(10_000));
    let mut call = Box::pin(bounded(&dep));
    let result = (&mut call).await;
    assert!(result.is_err());
    assert!(
        dep.dropped.load(Ordering::SeqCst),
        "inner future not dropped"
    );
    drop(call);
}

#[tokio::test(start_paused = true)]
async fn fast_calls_pass() {
    let dep = Slow::new(ms(100));
    let t = Instant::now();
    assert_eq!(bounded(&dep).await, Ok(1));
    assert_eq!(t.elapsed(), ms(100));
    assert!(dep.finished.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn a_call_just_under_the_limit_passes() {
    let dep = Slow::new(ms(249));
    assert_eq!(bounded(&dep).await, Ok(1));
}

#[tokio::test(start_paused = true)]
async fn each_call_gets_its_own_deadline() {
    let dep = Slow::new(ms(200));
    for n in 1..=3 {
        assert_eq!(bounded(&dep).await, Ok(n));
    }
    let t = Instant::now();
    let dep = Slow::new(ms(1_000));
    let _ = bounded(&dep).await;
    let _ = bounded(&dep).await;
    assert_eq!(t.elapsed(), ms(500));
}

#[timeout(100ms)]
async fn immediate() -> Result<u32, Fail> {
    Ok(7)
}

#[tokio::test(start_paused = true)]
async fn a_call_that_never_waits_passes() {
    assert_eq!(immediate().await, Ok(7));
}

#[timeout(100ms)]
async fn fails_fast(dep: &Slow) -> Result<u32, Fail> {
    dep.busy().await
}

#[tokio::test(start_paused = true)]
async fn the_functions_own_error_passes_through() {
    let dep = Slow::new(ms(10));
    assert_eq!(fails_fast(&dep).await, Err(Fail::Busy(1)));
}

// ---- order: total vs per attempt ---------------------------------------------------------

#[timeout(250ms)]
#[retry(attempts = 5, backoff = constant(50ms), jitter = none)]
async fn total_bound(dep: &Slow) -> Result<u32, Fail> {
    dep.busy().await
}

#[tokio::test(start_paused = true)]
async fn timeout_above_retry_bounds_all_attempts_together() {
    let dep = Slow::new(ms(80));
    let t = Instant::now();
    // Attempts at 0–80 and 130–210, a delay until 260: the timeout fires at 250.
    let (_, after) = timeout_of(total_bound(&dep).await);
    assert_eq!(after, ms(250));
    assert_eq!(t.elapsed(), ms(250));
    assert_eq!(dep.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn timeout_above_retry_cancels_the_running_attempt() {
    let dep = Slow::new(ms(10_000));
    let t = Instant::now();
    let _ = timeout_of(total_bound(&dep).await);
    assert_eq!(t.elapsed(), ms(250));
    assert_eq!(dep.calls(), 1);
}

#[retry(attempts = 3, backoff = constant(50ms), jitter = none)]
#[timeout(100ms)]
async fn per_attempt_bound(dep: &Slow) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn timeout_below_retry_bounds_each_attempt() {
    let dep = Slow::new(ms(1_000));
    let t = Instant::now();
    let (name, after) = timeout_of(per_attempt_bound(&dep).await);
    assert_eq!(t.elapsed(), ms(100 + 50 + 100 + 50 + 100));
    assert_eq!(dep.calls(), 3);
    assert_eq!((name, after), ("timeout::per_attempt_bound", ms(100)));
}

#[tokio::test(start_paused = true)]
async fn timeout_below_retry_lets_a_fast_attempt_succeed() {
    let dep = Slow::new(ms(90));
    let t = Instant::now();
    assert_eq!(per_attempt_bound(&dep).await, Ok(1));
    assert_eq!(t.elapsed(), ms(90));
}

// ---- duration expressions ----------------------------------------------------------------

const LIMIT: Duration = Duration::from_millis(300);

#[timeout(LIMIT)]
async fn const_limit(dep: &Slow) -> Result<u32, Fail> {
    dep.call().await
}

#[timeout(Duration::from_millis(120))]
async fn expression_limit(dep: &Slow) -> Result<u32, Fail> {
    dep.call().await
}

#[timeout(Duration::from_millis(limit_ms))]
async fn argument_limit(dep: &Slow, limit_ms: u64) -> Result<u32, Fail> {
    dep.call().await
}

#[timeout(duration = 1.5s)]
async fn keyed_fractional(dep: &Slow) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn the_duration_may_be_a_const_or_an_expression() {
    let dep = Slow::new(ms(10_000));
    let t = Instant::now();
    assert_eq!(timeout_of(const_limit(&dep).await).1, ms(300));
    assert_eq!(t.elapsed(), ms(300));

    let t = Instant::now();
    assert_eq!(timeout_of(expression_limit(&dep).await).1, ms(120));
    assert_eq!(t.elapsed(), ms(120));

    let t = Instant::now();
    assert_eq!(timeout_of(argument_limit(&dep, 70).await).1, ms(70));
    assert_eq!(t.elapsed(), ms(70));
    let t = Instant::now();
    assert_eq!(timeout_of(argument_limit(&dep, 45).await).1, ms(45));
    assert_eq!(t.elapsed(), ms(45));

    let t = Instant::now();
    assert_eq!(timeout_of(keyed_fractional(&dep).await).1, ms(1_500));
    assert_eq!(t.elapsed(), ms(1_500));
}

struct Client {
    timeout: Duration,
    backend: Slow,
}

impl Client {
    #[timeout(self.timeout)]
    async fn get(&self) -> Result<u32, Fail> {
        self.backend.call().await
    }
}

#[tokio::test(start_paused = true)]
async fn the_duration_may_read_a_field_at_each_call() {
    let mut client = Client {
        timeout: ms(200),
        backend: Slow::new(ms(10_000)),
    };
    let t = Instant::now();
    assert_eq!(timeout_of(client.get().await).1, ms(200));
    assert_eq!(t.elapsed(), ms(200));

    client.timeout = ms(40);
    let t = Instant::now();
    assert_eq!(timeout_of(client.get().await).1, ms(40));
    assert_eq!(t.elapsed(), ms(40));

    client.backend = Slow::new(ms(30));
    assert_eq!(client.get().await, Ok(1));
}

// ---- the error ---------------------------------------------------------------------------

#[timeout(duration = 80ms, name = "inventory")]
async fn named(dep: &Slow) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn the_error_carries_name_and_duration() {
    let dep = Slow::new(ms(10_000));
    let err = named(&dep).await.unwrap_err();
    let Fail::Policy(err) = err else {
        panic!("expected a policy error, got {err:?}")
    };
    assert_eq!(
        err,
        resilience::Error::Timeout {
            name: "inventory",
            after: ms(80)
        }
    );
    assert_eq!(err.name(), "inventory");
    assert_eq!(err.kind(), "timeout");
    assert!(!err.is_rejection());
    let msg = err.to_string();
    assert!(msg.contains("`inventory`") && msg.contains("80ms"), "{msg}");
}

#[timeout(50ms)]
async fn io_call(latency: Duration) -> std::io::Result<u32> {
    tokio::time::sleep(latency).await;
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn an_io_error_says_timed_out() {
    let err = io_call(ms(1_000)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<resilience::Error>())
        .expect("the resilience error is the source");
    assert!(matches!(
        inner,
        resilience::Error::Timeout { name: "timeout::io_call", after } if *after == ms(50)
    ));
    assert_eq!(io_call(ms(10)).await.unwrap(), 1);
}

// ---- units -------------------------------------------------------------------------------

#[timeout(5m)]
async fn minutes(latency: Duration) -> std::io::Result<()> {
    tokio::time::sleep(latency).await;
    Ok(())
}

#[timeout(1h)]
async fn hours(latency: Duration) -> std::io::Result<()> {
    tokio::time::sleep(latency).await;
    Ok(())
}

#[timeout(100us)]
async fn micros(latency: Duration) -> std::io::Result<()> {
    tokio::time::sleep(latency).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn every_unit_fires_on_time() {
    let t = Instant::now();
    assert!(minutes(Duration::from_secs(301)).await.is_err());
    assert_eq!(t.elapsed(), Duration::from_secs(300));
    assert!(minutes(Duration::from_secs(299)).await.is_ok());

    let t = Instant::now();
    assert!(hours(Duration::from_secs(7_200)).await.is_err());
    assert_eq!(t.elapsed(), Duration::from_secs(3_600));

    // tokio's timer counts whole milliseconds: a sub-millisecond timeout fires at the next one.
    let t = Instant::now();
    let err = micros(ms(5)).await.unwrap_err();
    assert_eq!(t.elapsed(), ms(1));
    let inner = err.get_ref().unwrap().downcast_ref::<resilience::Error>();
    assert!(matches!(
        inner,
        Some(resilience::Error::Timeout { after, .. }) if *after == Duration::from_micros(100)
    ));
}

// ---- outside a tokio runtime ----

/// Pending once (waking itself), then ready: a call that has to wait.
async fn pending_once() {
    let mut waited = false;
    std::future::poll_fn(move |cx| {
        if waited {
            return std::task::Poll::Ready(());
        }
        waited = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}

#[timeout(1s)]
async fn waits_once() -> std::io::Result<()> {
    pending_once().await;
    Ok(())
}

#[test]
#[should_panic(expected = "`#[timeout]` needs a tokio runtime")]
fn a_pending_timeout_outside_tokio_panics_saying_it_needs_tokio() {
    let _ = futures::executor::block_on(waits_once());
}

#[test]
fn a_timeout_call_that_is_ready_at_once_needs_no_runtime() {
    assert!(futures::executor::block_on(timeout_ready()).is_ok());
}

#[timeout(1s)]
async fn timeout_ready() -> std::io::Result<()> {
    Ok(())
}
