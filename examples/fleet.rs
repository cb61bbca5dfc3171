//! Fleet-wide rate limits and breakers on Redis (SPEC §15): run two replicas against one
//! `redis-server` and watch them share one limit and one breaker; or measure the fleet path.
//!
//! ```text
//! redis-server --port 6379 --save '' --appendonly no &
//! # terminal 1: a replica that calls 50 times a second through a fleet limit of 20/s
//! cargo run --example fleet --features redis -- replica redis://127.0.0.1:6379
//! # terminal 2: a second replica, whose dependency fails from its 5th second on
//! cargo run --example fleet --features redis -- replica redis://127.0.0.1:6379 --fail-after 5
//! ```
//!
//! Each replica prints, every second, the permits it got and the breaker's state: together
//! they get 20 a second, not 40; when the second replica's failures open `demo.payments`,
//! the first one prints `open` too, without a failure of its own. Stop Redis and both go on
//! with local state (the limit becomes 20/s each; `store_errors` counts); start it again and
//! they share again.
//!
//! The measurements of the README (`--release`; starts its own `redis-server` on a free
//! port, so `redis-server` must be installed):
//!
//! ```text
//! cargo run --release --example fleet --features redis -- bench
//! ```

#[path = "../tests/support/redis_server.rs"]
mod redis_server;

use resilience::{Error, circuit_breaker, fleet, rate_limit, registry};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
enum Failed {
    Down,
    Resilience(Error),
}
impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::Resilience(e)
    }
}

// ---- the demo: two replicas, one limit, one breaker ----

/// 20 calls a second for the whole fleet.
#[rate_limit(name = "demo.search", rate = 20/1s, burst = 5, scope = fleet)]
async fn search() -> Result<(), Failed> {
    Ok(())
}

static FAILING: AtomicBool = AtomicBool::new(false);

#[circuit_breaker(
    name = "demo.payments",
    consecutive_failures = 5,
    open_for = 5s,
    half_open_calls = 2,
    scope = fleet
)]
async fn charge() -> Result<(), Failed> {
    if FAILING.load(Ordering::Relaxed) {
        Err(Failed::Down)
    } else {
        Ok(())
    }
}

async fn replica(url: &str, fail_after: Option<u64>) {
    fleet::connect(url).await.expect("connects to Redis");
    let (admitted, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (a, r) = (admitted.clone(), refused.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20)); // 50 calls/s
        loop {
            tick.tick().await;
            match search().await {
                Ok(()) => a.fetch_add(1, Ordering::Relaxed),
                Err(Failed::Resilience(Error::RateLimited { .. })) => {
                    r.fetch_add(1, Ordering::Relaxed)
                }
                Err(other) => panic!("search cannot fail otherwise: {other:?}"),
            };
            let _ = charge().await;
        }
    });
    let start = Instant::now();
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.tick().await;
    loop {
        second.tick().await;
        let secs = start.elapsed().as_secs();
        if fail_after.is_some_and(|f| secs >= f && secs < f + 10) != FAILING.load(Ordering::Relaxed)
        {
            FAILING.fetch_xor(true, Ordering::Relaxed);
            println!(
                "-- the dependency {}",
                if FAILING.load(Ordering::Relaxed) {
                    "fails"
                } else {
                    "recovers"
                }
            );
        }
        let breaker = registry()
            .circuit_breaker("demo.payments")
            .map(|b| b.state().to_string());
        let s = fleet::status();
        println!(
            "{secs:>3}s  demo.search: {:>2} admitted, {:>2} refused  demo.payments: {:<9}  store: {} (store_errors {})",
            admitted.swap(0, Ordering::Relaxed),
            refused.swap(0, Ordering::Relaxed),
            breaker.unwrap_or_default(),
            if s.healthy { "up" } else { "DOWN, local" },
            s.store_errors,
        );
    }
}

// ---- the measurements ----

#[rate_limit(name = "bench.wide", rate = 1000000000/1s, scope = fleet)]
async fn wide_open() -> Result<(), Failed> {
    Ok(())
}

#[rate_limit(name = "bench.accuracy", rate = 200/1s, burst = 20, scope = fleet)]
async fn accuracy_call() -> Result<(), Failed> {
    Ok(())
}

const ACCURACY_RATE: f64 = 200.0;
const ACCURACY_BURST: f64 = 20.0;

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Latencies of `n` sequential runs of `f`, sorted.
async fn latencies<F: AsyncFnMut()>(n: usize, mut f: F) -> Vec<Duration> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await;
        all.push(t.elapsed());
    }
    all.sort();
    all
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn mean(sorted: &[Duration]) -> f64 {
    sorted.iter().map(Duration::as_secs_f64).sum::<f64>() / sorted.len() as f64 * 1e6
}

/// Calls per second with `callers` concurrent tasks for `run_for`.
async fn throughput<F, Fut>(callers: usize, run_for: Duration, f: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + run_for;
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let done = done.clone();
            tokio::spawn(async move {
                while Instant::now() < stop {
                    if f().await {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a caller");
    }
    done.load(Ordering::Relaxed) as f64 / run_for.as_secs_f64()
}

async fn bench(url: Option<String>) {
    let server = url.is_none().then(redis_server::RedisServer::start);
    let url = url.unwrap_or_else(|| server.as_ref().expect("started").url());
    let prefix = format!("bench{}:", std::process::id());
    fleet::connect_with_prefix(&url, &prefix)
        .await
        .expect("connects");
    let timeout = Duration::from_secs(1);
    // Warm up: the connection, the script's first load (EVALSHA → NOSCRIPT → load).
    for _ in 0..2000 {
        fleet::ping(timeout).await.expect("PING");
        wide_open().await.expect("admitted");
    }
    // Interleaved in rounds, so both see the same load on a shared machine.
    let (rounds, per_round) = (20, 1000);
    let (mut ping, mut call) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ping.extend(
            latencies(per_round, async || {
                fleet::ping(timeout).await.expect("PING")
            })
            .await,
        );
        call.extend(latencies(per_round, async || wide_open().await.expect("admitted")).await);
    }
    ping.sort();
    call.sort();
    let n = rounds * per_round;
    println!(
        "## Latency on loopback, {n} sequential calls each, interleaved in {rounds} rounds (µs)\n"
    );
    println!("| | p50 | p90 | p99 | mean |\n|---|---:|---:|---:|---:|");
    for (what, l) in [
        ("`PING` through the store's client", &ping),
        ("fleet rate-limited call (`EVALSHA`)", &call),
    ] {
        println!(
            "| {what} | {:.1} | {:.1} | {:.1} | {:.1} |",
            pct(l, 0.5),
            pct(l, 0.9),
            pct(l, 0.99),
            mean(l)
        );
    }
    println!(
        "| ratio call / PING | {:.2}× | {:.2}× | {:.2}× | {:.2}× |\n",
        pct(&call, 0.5) / pct(&ping, 0.5),
        pct(&call, 0.9) / pct(&ping, 0.9),
        pct(&call, 0.99) / pct(&ping, 0.99),
        mean(&call) / mean(&ping)
    );

    let run_for = Duration::from_secs(3);
    let pings = throughput(64, run_for, || async {
        fleet::ping(Duration::from_secs(1)).await.is_ok()
    })
    .await;
    let calls = throughput(64, run_for, || async { wide_open().await.is_ok() }).await;
    println!(
        "## Throughput, 64 concurrent callers on one process, {}s each\n",
        run_for.as_secs()
    );
    println!("| | calls/s |\n|---|---:|");
    println!("| `PING` through the store's client | {pings:.0} |");
    println!("| fleet rate-limited call | {calls:.0} |\n");

    println!(
        "## Accuracy: `rate = {ACCURACY_RATE}/1s, burst = {ACCURACY_BURST}`, every process calling as fast as it can for 2 s\n"
    );
    println!(
        "| processes | admitted | allowed (rate × t + burst) | admitted / allowed | over-admission |"
    );
    println!("|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().expect("this example");
    for processes in [1usize, 3, 8] {
        let name_prefix = format!("{prefix}{processes}:");
        let start = now_us() + 1_500_000;
        let children: Vec<_> = (0..processes)
            .map(|_| {
                tokio::process::Command::new(&exe)
                    .args([
                        "accuracy-child",
                        &url,
                        &name_prefix,
                        &start.to_string(),
                        "2000",
                    ])
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .expect("a child process")
            })
            .collect();
        let (mut admitted, mut first, mut last) = (0u64, u64::MAX, 0u64);
        for child in children {
            let out = child.wait_with_output().await.expect("the child's count");
            let text = String::from_utf8_lossy(&out.stdout);
            let n: Vec<u64> = text
                .split_whitespace()
                .map(|w| w.parse().expect("a number"))
                .collect();
            admitted += n[0];
            first = first.min(n[1]);
            last = last.max(n[2]);
        }
        let t = (last - first) as f64 / 1e6;
        let allowed = ACCURACY_RATE * t + ACCURACY_BURST;
        println!(
            "| {processes} | {admitted} | {allowed:.1} (t = {t:.3} s) | {:.3} | {:.0} |",
            admitted as f64 / allowed,
            (admitted as f64 - allowed).max(0.0)
        );
    }
    let s = fleet::status();
    println!("\nstore_errors during the run: {}", s.store_errors);
    // What the server spent per command (its own clock): the script's share of the gap.
    let client = redis::Client::open(url.as_str()).expect("a client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .expect("INFO");
    for line in stats
        .lines()
        .filter(|l| l.starts_with("cmdstat_ping") || l.starts_with("cmdstat_evalsha"))
    {
        let usec = line
            .split(',')
            .find_map(|f| f.strip_prefix("usec_per_call="))
            .unwrap_or("?");
        println!(
            "server time per call, {}: {usec} µs",
            &line[8..line.find(':').unwrap_or(8)]
        );
    }
}

async fn accuracy_child(url: &str, prefix: &str, start: u64, run_ms: u64) {
    fleet::connect_with_prefix(url, prefix)
        .await
        .expect("connects");
    tokio::time::sleep(Duration::from_micros(start.saturating_sub(now_us()))).await;
    let (mut admitted, first) = (0u64, now_us());
    let mut last = first;
    while now_us() < start + run_ms * 1000 {
        if accuracy_call().await.is_ok() {
            admitted += 1;
            last = now_us();
        }
    }
    println!("{admitted} {first} {last}");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned();
    match arg(0).as_deref() {
        Some("replica") => {
            let url = arg(1).unwrap_or_else(|| "redis://127.0.0.1:6379".into());
            let fail_after = args
                .iter()
                .position(|a| a == "--fail-after")
                .and_then(|i| args.get(i + 1))
                .and_then(|s| s.parse().ok());
            replica(&url, fail_after).await;
        }
        Some("bench") => bench(arg(1)).await,
        Some("accuracy-child") => {
            let (url, prefix) = (arg(1).expect("url"), arg(2).expect("prefix"));
            let start = arg(3).and_then(|s| s.parse().ok()).expect("start");
            let run_ms = arg(4).and_then(|s| s.parse().ok()).expect("run time");
            accuracy_child(&url, &prefix, start, run_ms).await;
        }
        _ => eprintln!(
            "usage: fleet replica [redis://host:port] [--fail-after SECONDS]\n       fleet bench [redis://host:port]"
        ),
    }
}
