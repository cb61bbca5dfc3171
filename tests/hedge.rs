//! `#[hedge]`: runs in the caller's task, first success wins, losers dropped at once, failures
//! start the next run, rejections from beneath stop hedging, the adaptive delay and the budget.
//! Every test runs on tokio's paused clock in a registry of its own.

use resilience::{Error, Event, bulkhead, circuit_breaker, hedge, registry, retry, testing};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::{Instant, sleep};

const MS: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, PartialEq)]
enum E {
    Down(u32),
    NotFound,
    R(Error),
}
impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::R(e)
    }
}

/// The plan of each run, by run number: (latency in ms, succeeds?).
struct Plan {
    runs: Mutex<Vec<(u64, bool)>>,
    started: AtomicU32,
    ended: AtomicU32,
    dropped: AtomicU32,
}

impl Plan {
    fn new(runs: &[(u64, bool)]) -> Self {
        Plan {
            runs: Mutex::new(runs.to_vec()),
            started: AtomicU32::new(0),
            ended: AtomicU32::new(0),
            dropped: AtomicU32::new(0),
        }
    }
    async fn run(&self) -> Result<u32, E> {
        let n = self.started.fetch_add(1, Ordering::SeqCst);
        let (ms, ok) = self
            .runs
            .lock()
            .unwrap()
            .get(n as usize)
            .copied()
            .unwrap_or((10, true));
        struct OnDrop<'a>(&'a Plan, bool);
        impl Drop for OnDrop<'_> {
            fn drop(&mut self) {
                if !self.1 {
                    self.0.dropped.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        let mut guard = OnDrop(self, false);
        sleep(Duration::from_millis(ms)).await;
        guard.1 = true;
        self.ended.fetch_add(1, Ordering::SeqCst);
        if ok { Ok(n) } else { Err(E::Down(n)) }
    }
}

#[hedge(delay = 50ms, budget = none, name = "h-fixed")]
async fn fixed(plan: &Plan) -> Result<u32, E> {
    plan.run().await
}

#[tokio::test(start_paused = true)]
async fn a_slow_call_is_hedged_after_the_delay_and_the_hedge_wins() {
    let _r = testing::isolated();
    let plan = Plan::new(&[(500, true), (10, true)]);
    let start = Instant::now();
    assert_eq!(fixed(&plan).await, Ok(1));
    assert_eq!(start.elapsed(), 60 * MS);
    // The slow first run was dropped at once, not left running.
    assert_eq!(plan.dropped.load(Ordering::SeqCst), 1);
    let h = registry().hedge("h-fixed").unwrap();
    assert_eq!((h.calls(), h.hedges(), h.won()), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_call_that_ends_before_the_delay_is_not_hedged() {
    let _r = testing::isolated();
    let plan = Plan::new(&[(40, true)]);
    assert_eq!(fixed(&plan).await, Ok(0));
    assert_eq!(plan.started.load(Ordering::SeqCst), 1);
    let h = registry().hedge("h-fixed").unwrap();
    assert_eq!((h.calls(), h.hedges(), h.won()), (1, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn the_first_run_wins_when_it_answers_first() {
    let _r = testing::isolated();
    // Hedged at 50 ms, the hedge would take until 250 ms; the first answers at 80 ms.
    let plan = Plan::new(&[(80, true), (200, true)]);
    let start = Instant::now();
    assert_eq!(fixed(&plan).await, Ok(0));
    assert_eq!(start.elapsed(), 80 * MS);
    assert_eq!(
        plan.dropped.load(Ordering::SeqCst),
        1,
        "the hedge is dropped"
    );
    assert_eq!(registry().hedge("h-fixed").unwrap().won(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_failure_starts_the_next_run_at_once_and_the_last_error_is_returned() {
    let _r = testing::isolated();
    let plan = Plan::new(&[(5, false), (7, false)]);
    let start = Instant::now();
    assert_eq!(fixed(&plan).await, Err(E::Down(1)));
    // The hedge started at 5 ms, on the failure, not at 50 ms.
    assert_eq!(start.elapsed(), 12 * MS);
    assert_eq!(plan.started.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failure_while_a_hedge_runs_waits_for_the_hedge() {
    let _r = testing::isolated();
    // Hedged at 50 ms; the first fails at 55 ms; the hedge answers at 60 ms.
    let plan = Plan::new(&[(55, false), (10, true)]);
    assert_eq!(fixed(&plan).await, Ok(1));
}

fn not_found_ends_the_call(e: &E) -> bool {
    *e != E::NotFound
}

#[hedge(delay = 50ms, budget = none, when = not_found_ends_the_call, name = "h-when")]
async fn with_when(plan: &Plan, found: bool) -> Result<u32, E> {
    let n = plan.run().await?;
    if found { Ok(n) } else { Err(E::NotFound) }
}

#[tokio::test(start_paused = true)]
async fn an_error_when_refuses_is_the_answer_and_drops_the_other_runs() {
    let _r = testing::isolated();
    let plan = Plan::new(&[(500, true), (10, true)]);
    // The hedge answers `NotFound` at 60 ms: no further run, the slow first is dropped.
    assert_eq!(with_when(&plan, false).await, Err(E::NotFound));
    assert_eq!(plan.dropped.load(Ordering::SeqCst), 1);
    assert_eq!(plan.started.load(Ordering::SeqCst), 2);
}

#[hedge(delay = 10ms, max_hedged = 3, budget = none, name = "h-three")]
async fn three(plan: &Plan) -> Result<u32, E> {
    plan.run().await
}

#[tokio::test(start_paused = true)]
async fn up_to_max_hedged_runs_start_each_delay_after_the_previous() {
    let _r = testing::isolated();
    let mut events = registry().subscribe();
    let plan = Plan::new(&[(1000, true), (1000, true), (1000, true), (1000, true)]);
    let start = Instant::now();
    assert_eq!(three(&plan).await, Ok(0));
    assert_eq!(start.elapsed(), 1000 * MS);
    assert_eq!(
        plan.started.load(Ordering::SeqCst),
        4,
        "1 + max_hedged runs"
    );
    assert_eq!(plan.dropped.load(Ordering::SeqCst), 3);
    let mut hedges = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let Event::Hedge { name, run, after } = e {
            hedges.push((name, run, after));
        }
    }
    assert_eq!(
        hedges,
        vec![
            ("h-three", 1, 10 * MS),
            ("h-three", 2, 20 * MS),
            ("h-three", 3, 30 * MS)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_runs_share_the_callers_task_and_borrow_its_arguments() {
    let _r = testing::isolated();
    // A local, borrowed by every run: no `'static`, no spawn (a spawned run would need it).
    let plan = Plan::new(&[(500, true), (10, true)]);
    let local = tokio::task::LocalSet::new();
    let out = local.run_until(async { fixed(&plan).await }).await;
    assert_eq!(out, Ok(1));
}

// Beneath: a breaker that opens after one failure. Its rejection starts no further hedge.
#[hedge(delay = 50ms, max_hedged = 3, budget = none, name = "h-over-cb")]
#[circuit_breaker(consecutive_failures = 1, name = "h-cb")]
async fn over_breaker(plan: &Plan) -> Result<u32, E> {
    plan.run().await
}

#[tokio::test(start_paused = true)]
async fn a_rejection_from_beneath_starts_no_further_hedge() {
    let _r = testing::isolated();
    // The first fails at 5 ms and opens the breaker; the next run is rejected at once; no
    // third or fourth run starts, and the rejection is returned.
    let plan = Plan::new(&[(5, false), (10, true), (10, true)]);
    let out = over_breaker(&plan).await;
    assert!(
        matches!(out, Err(E::R(Error::CircuitOpen { .. }))),
        "{out:?}"
    );
    assert_eq!(
        plan.started.load(Ordering::SeqCst),
        1,
        "only the first run reached the body"
    );
    assert_eq!(registry().hedge("h-over-cb").unwrap().hedges(), 1);
}

#[hedge(delay = 50ms, max_hedged = 2, budget = none, name = "h-over-bh")]
#[bulkhead(max_concurrent = 1, name = "h-bh")]
async fn over_bulkhead(plan: &Plan) -> Result<u32, E> {
    plan.run().await
}

#[tokio::test(start_paused = true)]
async fn a_full_bulkhead_beneath_stops_hedging_and_the_first_run_still_answers() {
    let _r = testing::isolated();
    let plan = Plan::new(&[(200, true)]);
    assert_eq!(over_bulkhead(&plan).await, Ok(0));
    // The hedge at 50 ms found the bulkhead full: no second hedge at 100 ms.
    let h = registry().hedge("h-over-bh").unwrap();
    assert_eq!(h.hedges(), 1);
    assert_eq!(plan.started.load(Ordering::SeqCst), 1);
    let b = registry().bulkhead("h-bh").unwrap();
    assert_eq!(b.available(), 1, "every place back");
}

#[hedge(delay = p95, budget = none, name = "h-adaptive")]
async fn adaptive(plan: &Plan) -> Result<u32, E> {
    plan.run().await
}

#[tokio::test(start_paused = true)]
async fn an_adaptive_hedge_waits_for_twenty_latencies_then_hedges_at_the_percentile() {
    let _r = testing::isolated();
    // 19 calls of 10 ms: too few latencies, so a slow call is not hedged.
    let fast = Plan::new(&[(10, true); 19]);
    for _ in 0..19 {
        adaptive(&fast).await.unwrap();
    }
    let h = registry().hedge("h-adaptive").unwrap();
    assert_eq!(h.latencies(), 19);
    assert_eq!(h.delay(), None);
    let slow = Plan::new(&[(300, true), (10, true)]);
    let start = Instant::now();
    assert_eq!(adaptive(&slow).await, Ok(0));
    assert_eq!(start.elapsed(), 300 * MS, "no hedge before 20 latencies");
    assert_eq!(h.hedges(), 0);
    // Now 20 are known (19 fast, one slow): p95 is about 10 ms.
    let p95 = h.delay().expect("20 latencies");
    assert!(p95 > 10 * MS && p95 <= 12 * MS, "{p95:?}");
    sleep(200 * MS).await; // the cached delay is recomputed every 100 ms
    let slow = Plan::new(&[(300, true), (10, true)]);
    let start = Instant::now();
    assert_eq!(adaptive(&slow).await, Ok(1));
    let took = start.elapsed();
    assert!(took > 20 * MS && took <= 22 * MS, "hedged at p95: {took:?}");
    assert_eq!(h.hedges(), 1);
}

#[tokio::test(start_paused = true)]
async fn old_latencies_are_forgotten_after_ten_seconds() {
    let _r = testing::isolated();
    let fast = Plan::new(&[(10, true); 30]);
    for _ in 0..30 {
        adaptive(&fast).await.unwrap();
    }
    let h = registry().hedge("h-adaptive").unwrap();
    assert!(h.delay().is_some());
    sleep(Duration::from_secs(11)).await;
    assert_eq!(h.latencies(), 0);
    assert_eq!(h.delay(), None);
}

#[hedge(delay = 50ms, budget = 10%, name = "h-budget")]
async fn budgeted(plan: &Plan) -> Result<u32, E> {
    plan.run().await
}

#[tokio::test(start_paused = true)]
async fn the_budget_caps_hedges_at_their_share_of_calls() {
    let _r = testing::isolated();
    // Every call is slow: without a budget each would be hedged.
    let mut hedged = 0;
    for _ in 0..100 {
        let plan = Plan::new(&[(100, true), (10, true)]);
        if budgeted(&plan).await == Ok(1) {
            hedged += 1;
        }
    }
    let h = registry().hedge("h-budget").unwrap();
    assert_eq!(h.calls(), 100);
    assert_eq!(h.hedges(), hedged);
    assert!((9..=10).contains(&hedged), "10% of 100 calls, got {hedged}");
    assert_eq!(h.budget_refused(), 100 - hedged);
    let snap = registry().snapshot();
    let row = &snap.hedges[0];
    assert_eq!(
        (row.calls, row.hedges, row.won, row.budget_refused),
        (100, hedged, hedged, 100 - hedged)
    );
    assert!(snap.to_string().contains("budget_refused"));
}

// Under a retry: each attempt is hedged; the retry sees the hedge's answer.
#[retry(attempts = 2, backoff = none, budget = none, name = "h-retry")]
#[hedge(delay = 50ms, budget = none, name = "h-under-retry")]
async fn under_retry(plan: &Plan) -> Result<u32, E> {
    plan.run().await
}

#[tokio::test(start_paused = true)]
async fn under_a_retry_each_attempt_is_hedged() {
    let _r = testing::isolated();
    // Attempt 1: both runs fail; attempt 2: the first run is slow, its hedge answers.
    let plan = Plan::new(&[(1, false), (1, false), (500, true), (10, true)]);
    assert_eq!(under_retry(&plan).await, Ok(3));
    assert_eq!(registry().retry("h-retry").unwrap().retries(), 1);
    assert_eq!(registry().hedge("h-under-retry").unwrap().hedges(), 2);
}

struct Service {
    hits: Arc<AtomicU32>,
}

impl Service {
    #[hedge(delay = 20ms, budget = none)]
    async fn get(&self, key: &str) -> Result<String, E> {
        let n = self.hits.fetch_add(1, Ordering::SeqCst);
        sleep(if n == 0 { 100 * MS } else { MS }).await;
        Ok(format!("{key}{n}"))
    }
}

#[tokio::test(start_paused = true)]
async fn a_method_with_shared_self_is_hedged() {
    let _r = testing::isolated();
    let s = Service {
        hits: Arc::new(AtomicU32::new(0)),
    };
    assert_eq!(s.get("k").await, Ok("k1".to_owned()));
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

// A timeout beneath bounds each run: a run cut short starts the next at once.
#[hedge(delay = 1s, budget = none, name = "h-over-timeout")]
#[resilience::timeout(30ms)]
async fn over_timeout(plan: &Plan) -> Result<u32, E> {
    plan.run().await
}

#[tokio::test(start_paused = true)]
async fn a_timeout_beneath_starts_the_next_run_at_once() {
    let _r = testing::isolated();
    let plan = Plan::new(&[(500, true), (10, true)]);
    let start = Instant::now();
    assert_eq!(over_timeout(&plan).await, Ok(1));
    // Cut at 30 ms, hedged then (not at the 1 s delay), answered at 40 ms.
    assert_eq!(start.elapsed(), 40 * MS);
}

#[tokio::test(start_paused = true)]
async fn a_hedged_call_is_send_when_its_body_is() {
    fn assert_send<T: Send>(t: T) -> T {
        t
    }
    let _r = testing::isolated();
    let plan = Plan::new(&[(10, true)]);
    assert_eq!(assert_send(fixed(&plan)).await, Ok(0));
}

#[tokio::test(start_paused = true)]
async fn the_loser_is_dropped_when_the_winner_answers_not_when_the_call_is_dropped() {
    let _r = testing::isolated();
    let plan = Plan::new(&[(500, true), (10, true)]);
    let mut call = std::pin::pin!(fixed(&plan));
    let out = std::future::poll_fn(|cx| call.as_mut().poll(cx)).await;
    assert_eq!(out, Ok(1));
    // The call's future is still alive here; the slow first run is gone already.
    assert_eq!(plan.dropped.load(Ordering::SeqCst), 1);
}
