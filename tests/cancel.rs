//! Cancellation at every poll: for each policy and a stack of them, the annotated call is
//! polled `k` times and dropped, for every `k` until it completes; afterwards every place and
//! permit is back. The count of (stack, k) cases run is printed (`--nocapture`).

use resilience::testing::cancel_at_every_poll;
use resilience::{Error, bulkhead, rate_limit, registry, retry, timeout};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::sleep;

const MS: Duration = Duration::from_millis(1);
const STEP: Duration = Duration::from_millis(1);

#[bulkhead(max_concurrent = 1, max_wait = 1s, name = "cancel-bh")]
async fn bh_hold() -> Result<(), Error> {
    sleep(40 * MS).await;
    Ok(())
}

#[bulkhead(max_concurrent = 1, max_wait = 1s, name = "cancel-bh")]
async fn bh_call() -> Result<(), Error> {
    sleep(20 * MS).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn bulkhead_loses_no_place_when_cancelled_anywhere() {
    let cases = cancel_at_every_poll(
        || async {
            // Someone holds the only place, so the call under test queues first.
            tokio::spawn(bh_hold());
            tokio::task::yield_now().await;
        },
        bh_call,
        STEP,
        |k| async move {
            sleep(Duration::from_secs(1)).await;
            let b = registry().bulkhead("cancel-bh").unwrap();
            assert_eq!(
                (b.available(), b.waiting()),
                (1, 0),
                "after cancelling at poll {k}"
            );
        },
    )
    .await;
    println!("bulkhead: {cases} cases");
    assert!(cases > 10);
}

static RL_BODIES: AtomicU64 = AtomicU64::new(0);

#[rate_limit(rate = 1/100ms, max_wait = 1s, name = "cancel-rl")]
async fn rl_call() -> Result<(), Error> {
    RL_BODIES.fetch_add(1, Ordering::Relaxed);
    sleep(10 * MS).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn rate_limit_loses_no_permit_when_cancelled_anywhere() {
    let cases = cancel_at_every_poll(
        || async {
            // Spend the permit, so the call under test waits for the next one.
            sleep(Duration::from_secs(1)).await;
            rl_call().await.unwrap();
        },
        rl_call,
        STEP,
        |k| async move {
            // A permit is taken only by a call whose body runs: a cancelled wait took none.
            let l = registry().rate_limiter("cancel-rl").unwrap();
            assert_eq!(
                l.admitted(),
                RL_BODIES.load(Ordering::Relaxed),
                "after cancelling at poll {k}"
            );
            assert_eq!(l.rejected(), 0);
        },
    )
    .await;
    println!("rate_limit: {cases} cases");
    assert!(cases > 10);
}

static STACK_ATTEMPTS: AtomicU64 = AtomicU64::new(0);

#[bulkhead(max_concurrent = 1, max_wait = 1s, name = "cancel-stack-bh")]
async fn stack_hold() -> Result<(), Error> {
    sleep(30 * MS).await;
    Ok(())
}

#[retry(attempts = 3, backoff = constant(10ms), jitter = none, budget = none)]
#[rate_limit(rate = 20/1s, burst = 1, max_wait = 1s, name = "cancel-stack-rl")]
#[timeout(40ms)]
#[bulkhead(max_concurrent = 1, max_wait = 1s, name = "cancel-stack-bh")]
async fn stacked() -> Result<u64, Error> {
    let attempt = STACK_ATTEMPTS.fetch_add(1, Ordering::Relaxed);
    // Every other attempt is too slow for the timeout, so a retry follows.
    if attempt.is_multiple_of(2) {
        sleep(100 * MS).await;
    }
    sleep(10 * MS).await;
    Ok(attempt)
}

#[tokio::test(start_paused = true)]
async fn a_stack_loses_nothing_when_cancelled_anywhere() {
    let cases = cancel_at_every_poll(
        || async {
            sleep(Duration::from_secs(1)).await;
            STACK_ATTEMPTS.store(0, Ordering::Relaxed);
            tokio::spawn(stack_hold());
            tokio::task::yield_now().await;
        },
        stacked,
        STEP,
        |k| async move {
            sleep(Duration::from_secs(1)).await;
            let b = registry().bulkhead("cancel-stack-bh").unwrap();
            assert_eq!(
                (b.available(), b.waiting()),
                (1, 0),
                "after cancelling at poll {k}"
            );
            if let Some(l) = registry().rate_limiter("cancel-stack-rl") {
                assert_eq!(l.rejected(), 0, "after cancelling at poll {k}");
            }
        },
    )
    .await;
    println!("retry+rate_limit+timeout+bulkhead: {cases} cases");
    assert!(cases > 10);
}

// A half-open breaker over a bulkhead: the cancelled probe gives its probe slot back too.

#[derive(Debug, PartialEq)]
enum Down {
    Down,
    R(Error),
}

impl From<Error> for Down {
    fn from(e: Error) -> Self {
        Down::R(e)
    }
}

#[bulkhead(max_concurrent = 1, max_wait = 1s, name = "cancel-cb-bh")]
async fn cb_hold() -> Result<(), Error> {
    sleep(30 * MS).await;
    Ok(())
}

#[resilience::circuit_breaker(
    consecutive_failures = 1,
    half_open_calls = 1,
    open_for = 1s,
    name = "cancel-cb"
)]
#[timeout(200ms)]
#[bulkhead(max_concurrent = 1, max_wait = 1s, name = "cancel-cb-bh")]
async fn probe(ok: bool) -> Result<(), Down> {
    sleep(20 * MS).await;
    if ok { Ok(()) } else { Err(Down::Down) }
}

#[tokio::test(start_paused = true)]
async fn a_half_open_probe_stack_loses_nothing_when_cancelled_anywhere() {
    use resilience::CircuitState;
    let breaker = || registry().circuit_breaker("cancel-cb");
    let cases = cancel_at_every_poll(
        || async {
            // Trip the breaker, wait out `open_for`: the next call is the only probe.
            if let Some(b) = breaker() {
                b.reset();
            }
            assert_eq!(probe(false).await, Err(Down::Down));
            assert_eq!(breaker().unwrap().state(), CircuitState::Open);
            sleep(Duration::from_secs(1)).await;
            // And the bulkhead beneath is busy, so the probe queues there first.
            tokio::spawn(cb_hold());
            tokio::task::yield_now().await;
        },
        || probe(true),
        STEP,
        |k| async move {
            sleep(Duration::from_secs(1)).await;
            let b = registry().bulkhead("cancel-cb-bh").unwrap();
            assert_eq!(
                (b.available(), b.waiting()),
                (1, 0),
                "after cancelling at poll {k}"
            );
            // The probe slot is free: a probe runs (a lost slot would reject it) and closes.
            assert_eq!(probe(true).await, Ok(()), "after cancelling at poll {k}");
            assert_eq!(breaker().unwrap().state(), CircuitState::Closed);
        },
    )
    .await;
    println!("circuit_breaker(half-open)+timeout+bulkhead: {cases} cases");
    assert!(cases > 10);
}

// A plain return type under a fallback, over a rate limit and a bulkhead that both make it wait.

fn nothing(_e: Error) -> Vec<u32> {
    Vec::new()
}

#[bulkhead(max_concurrent = 1, max_wait = 1s, name = "cancel-fb-bh")]
async fn fb_hold() -> Result<(), Error> {
    sleep(30 * MS).await;
    Ok(())
}

#[resilience::fallback(nothing)]
#[rate_limit(rate = 1/50ms, max_wait = 1s, name = "cancel-fb-rl")]
#[bulkhead(max_concurrent = 1, max_wait = 1s, name = "cancel-fb-bh")]
async fn degradable() -> Vec<u32> {
    sleep(10 * MS).await;
    vec![1]
}

#[tokio::test(start_paused = true)]
async fn a_fallback_stack_loses_nothing_when_cancelled_anywhere() {
    let cases = cancel_at_every_poll(
        || async {
            sleep(Duration::from_secs(1)).await;
            // Spend the permit and occupy the place: the call waits on both.
            assert_eq!(degradable().await, vec![1]);
            tokio::spawn(fb_hold());
            tokio::task::yield_now().await;
        },
        degradable,
        STEP,
        |k| async move {
            sleep(Duration::from_secs(1)).await;
            let b = registry().bulkhead("cancel-fb-bh").unwrap();
            assert_eq!(
                (b.available(), b.waiting()),
                (1, 0),
                "after cancelling at poll {k}"
            );
            let l = registry().rate_limiter("cancel-fb-rl").unwrap();
            assert_eq!(l.rejected(), 0, "after cancelling at poll {k}");
        },
    )
    .await;
    println!("fallback+rate_limit+bulkhead: {cases} cases");
    assert!(cases > 10);
}

// A hedge stack: every run of a hedged call is dropped with it, and the places its runs held
// or queued for beneath are back.

static HEDGE_RUNS: AtomicU64 = AtomicU64::new(0);
static HEDGE_LIVE: AtomicU64 = AtomicU64::new(0);

/// Counts a run of the body alive until it is dropped or ends.
struct Live;
impl Live {
    fn new() -> Self {
        HEDGE_LIVE.fetch_add(1, Ordering::Relaxed);
        Live
    }
}
impl Drop for Live {
    fn drop(&mut self) {
        HEDGE_LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

#[retry(attempts = 2, backoff = none, budget = none)]
#[resilience::hedge(delay = 15ms, max_hedged = 2, budget = none, name = "cancel-hedge")]
#[resilience::circuit_breaker(consecutive_failures = 100, name = "cancel-hedge-cb")]
#[timeout(100ms)]
#[bulkhead(max_concurrent = 2, max_wait = 1s, name = "cancel-hedge-bh")]
async fn hedged() -> Result<u64, Error> {
    let _live = Live::new();
    let run = HEDGE_RUNS.fetch_add(1, Ordering::Relaxed);
    // The first two runs of a call are slow, so both hedges start; the third queues for a
    // place beneath until one of them ends.
    sleep(if run % 3 == 2 { 10 * MS } else { 60 * MS }).await;
    Ok(run)
}

#[tokio::test(start_paused = true)]
async fn a_hedge_stack_leaves_no_run_behind_when_cancelled_anywhere() {
    let cases = cancel_at_every_poll(
        || async {
            sleep(Duration::from_secs(1)).await;
            HEDGE_RUNS.store(0, Ordering::Relaxed);
        },
        hedged,
        STEP,
        |k| async move {
            assert_eq!(
                HEDGE_LIVE.load(Ordering::Relaxed),
                0,
                "a run outlived its call cancelled at poll {k}"
            );
            sleep(Duration::from_secs(1)).await;
            // Registered by the first run that reaches it (not before the first poll).
            if let Some(b) = registry().bulkhead("cancel-hedge-bh") {
                assert_eq!(
                    (b.available(), b.waiting()),
                    (2, 0),
                    "after cancelling at poll {k}"
                );
            }
        },
    )
    .await;
    let h = registry().hedge("cancel-hedge").unwrap();
    println!(
        "retry+hedge+circuit_breaker+timeout+bulkhead: {cases} cases, {} hedges",
        h.hedges()
    );
    assert!(cases > 30);
    // Hedges start at 15 ms and 30 ms (polls 16 and 31 of 1 ms steps): one in each case cut
    // between them, two in each case after.
    assert!(h.hedges() >= cases as u64, "hedges started in most cases");
}
