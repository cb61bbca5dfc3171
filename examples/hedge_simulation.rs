//! The evidence for `#[hedge]`: a seeded simulation on tokio's paused clock (no real time
//! passes). A dependency answers in 10 ms (uniform 8–12 ms), except 5% of calls which take
//! 500 ms, independently for every run. 20 000 calls arrive one per millisecond; each variant
//! sees the same seeded draws in the same order. Prints p50, p99, p99.9 and the extra load
//! (runs started beyond one per call) for no hedge, a fixed 50 ms hedge and a p95 hedge.
//!
//! `cargo run --release --example hedge_simulation [seed]`

use resilience::hedge;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep};

const CALLS: usize = 20_000;

thread_local! {
    static RNG: RefCell<fastrand::Rng> = const { RefCell::new(fastrand::Rng::with_seed(0)) };
}
static RUNS: AtomicU64 = AtomicU64::new(0);

/// One run of the dependency: 5% take 500 ms, the rest 8–12 ms.
async fn dependency() -> Result<(), std::io::Error> {
    RUNS.fetch_add(1, Ordering::Relaxed);
    let micros = RNG.with(|r| {
        let mut r = r.borrow_mut();
        if r.f64() < 0.05 {
            500_000
        } else {
            r.u64(8_000..=12_000)
        }
    });
    sleep(Duration::from_micros(micros)).await;
    Ok(())
}

async fn no_hedge() -> Result<(), std::io::Error> {
    dependency().await
}

#[hedge(delay = 50ms, name = "sim.fixed")]
async fn fixed_50ms() -> Result<(), std::io::Error> {
    dependency().await
}

#[hedge(delay = p95, name = "sim.p95")]
async fn adaptive_p95() -> Result<(), std::io::Error> {
    dependency().await
}

/// Runs `call` for every arrival; returns the sorted latencies and the extra load.
async fn simulate<F, Fut>(seed: u64, call: F) -> (Vec<Duration>, f64)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), std::io::Error>> + 'static,
{
    RNG.with(|r| r.borrow_mut().seed(seed));
    RUNS.store(0, Ordering::Relaxed);
    let latencies = Rc::new(RefCell::new(Vec::with_capacity(CALLS)));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let mut tasks = Vec::with_capacity(CALLS);
            for _ in 0..CALLS {
                let fut = call();
                let latencies = Rc::clone(&latencies);
                tasks.push(tokio::task::spawn_local(async move {
                    let start = Instant::now();
                    fut.await.expect("the dependency never fails");
                    latencies.borrow_mut().push(start.elapsed());
                }));
                sleep(Duration::from_millis(1)).await;
            }
            for t in tasks {
                t.await.expect("no panic");
            }
        })
        .await;
    let mut latencies = Rc::try_unwrap(latencies).expect("tasks done").into_inner();
    latencies.sort();
    let extra = RUNS.load(Ordering::Relaxed) as f64 / CALLS as f64 - 1.0;
    (latencies, extra)
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let none = simulate(seed, no_hedge).await;
        let fixed = simulate(seed, fixed_50ms).await;
        let p95 = simulate(seed, adaptive_p95).await;
        println!(
            "seed {seed}, {CALLS} calls, 1 per ms; 5% of runs take 500 ms, the rest 8–12 ms\n"
        );
        println!("| variant | p50 ms | p99 ms | p99.9 ms | extra load | p99 vs no hedge |");
        println!("|---|---|---|---|---|---|");
        let base = percentile(&none.0, 0.99);
        for (name, (lat, extra)) in [("no hedge", &none), ("fixed 50ms", &fixed), ("p95", &p95)] {
            let p99 = percentile(lat, 0.99);
            println!(
                "| {name} | {} | {} | {} | {:.1}% | {:.1}× lower |",
                ms(percentile(lat, 0.50)),
                ms(p99),
                ms(percentile(lat, 0.999)),
                extra * 100.0,
                base.as_secs_f64() / p99.as_secs_f64(),
            );
        }
        let reg = resilience::registry();
        for name in ["sim.fixed", "sim.p95"] {
            let h = reg.hedge(name).expect("ran");
            println!(
                "\n{name}: {} calls, {} hedges ({} won), {} refused by the budget",
                h.calls(),
                h.hedges(),
                h.won(),
                h.budget_refused()
            );
        }
    });
}
