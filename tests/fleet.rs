//! SPEC §15 against a real `redis-server` (started on a free loopback port by
//! `support/redis_server.rs`), with real OS processes: this test binary runs itself again
//! as a replica (`RESILIENCE_FLEET_ROLE`), so the harness is its own (`harness = false`):
//!
//! 1. three processes share one fleet limit and together admit no more than it allows;
//! 2. a breaker opened in one process opens in another, a process that starts later reads
//!    it, and the probe verdict of the replica holding the lease closes it everywhere;
//! 3. Redis is killed mid-run and started again: calls go on by `on_store_error`, a fleet
//!    breaker goes on locally, the client reconnects and fleet state (the limit's key, the
//!    breakers' channel) resumes.
//!
//! Real sockets need the real clock: every wait is a bounded poll, and nothing asserts a
//! duration.

#[path = "support/redis_server.rs"]
mod redis_server;

use redis_server::RedisServer;
use resilience::{CircuitState, Error, circuit_breaker, fleet, rate_limit, registry};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const ROLE: &str = "RESILIENCE_FLEET_ROLE";

/// The fields of the `tracing` events of this process (its fallbacks and reconnections).
#[derive(Clone, Default)]
struct Messages(Arc<Mutex<Vec<String>>>);

impl Messages {
    fn count(&self, part: &str) -> usize {
        let seen = self.0.lock().unwrap();
        seen.iter().filter(|m| m.contains(part)).count()
    }
}

struct Fields<'a>(&'a mut String);
impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

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
        let mut text = String::new();
        event.record(&mut Fields(&mut text));
        self.0.lock().unwrap().push(text);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[derive(Debug)]
enum Failed {
    Down,
    R(Error),
}
impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::R(e)
    }
}

/// The shared limit of scenario 1: 100 calls/s, a burst of 10, callers wait for nothing.
const RATE: f64 = 100.0;
const BURST: f64 = 10.0;

#[rate_limit(name = "fleet.shared", rate = 100/1s, burst = 10, scope = fleet)]
async fn shared_limit() -> Result<(), Failed> {
    Ok(())
}

/// One call per 10 s: the second call's `retry_after` can only come from the script.
#[rate_limit(name = "fleet.slow", rate = 1/10s, scope = fleet)]
async fn slow_limit() -> Result<(), Failed> {
    Ok(())
}

#[circuit_breaker(
    name = "fleet.breaker",
    consecutive_failures = 3,
    open_for = 2s,
    half_open_calls = 2,
    scope = fleet
)]
async fn guarded(fail: bool) -> Result<(), Failed> {
    if fail { Err(Failed::Down) } else { Ok(()) }
}

#[rate_limit(name = "fleet.allow", rate = 5/60s, scope = fleet, store_timeout = 50ms)]
async fn allowed_when_down() -> Result<(), Failed> {
    Ok(())
}

#[rate_limit(name = "fleet.deny", rate = 5/1s, scope = fleet, on_store_error = deny)]
async fn denied_when_down() -> Result<(), Failed> {
    Ok(())
}

#[circuit_breaker(
    name = "fleet.fault",
    consecutive_failures = 2,
    open_for = 300ms,
    half_open_calls = 1,
    scope = fleet
)]
async fn guarded_in_fault(fail: bool) -> Result<(), Failed> {
    if fail { Err(Failed::Down) } else { Ok(()) }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    if let Ok(role) = std::env::var(ROLE) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        rt.block_on(replica(&role, &args));
        return;
    }
    let messages = Messages::default();
    tracing::subscriber::set_global_default(messages.clone()).expect("the only subscriber");
    let mut redis = RedisServer::start();
    let prefix = format!("test{}:", std::process::id());
    rt.block_on(async {
        fleet::connect_with_prefix(&redis.url(), &prefix)
            .await
            .expect("connects to the test's redis-server");
        assert_eq!(
            fleet::connect(&redis.url()).await,
            Err(fleet::ConnectError::AlreadyConnected),
            "one store per process"
        );
        run(
            "three_processes_share_one_limit",
            three_processes_share_one_limit(&redis, &prefix),
        )
        .await;
        run(
            "a_breaker_opened_in_one_process_opens_in_another",
            a_breaker_opened_in_one_process_opens_in_another(&redis, &prefix),
        )
        .await;
        run(
            "redis_killed_mid_run_and_started_again",
            redis_killed_mid_run(&mut redis, &prefix, &messages),
        )
        .await;
    });
    println!("\ntest result: ok. 3 passed");
}

async fn run(name: &str, test: impl std::future::Future<Output = ()>) {
    println!("test {name} ...");
    test.await;
    println!("test {name} ... ok");
}

/// Microseconds of the system clock (one machine: every process reads the same clock).
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Runs this test binary again as a replica with `role` and `args`.
fn spawn_replica(role: &str, args: &[String]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .env(ROLE, role)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the test binary runs again as a replica");
    let out = BufReader::new(child.stdout.take().expect("piped")).lines();
    (child, out)
}

/// The next line a replica prints, waiting at most 30 s.
async fn next_line(out: &mut Lines<BufReader<ChildStdout>>, what: &str) -> String {
    match tokio::time::timeout(Duration::from_secs(30), out.next_line()).await {
        Ok(Ok(Some(line))) => line,
        other => panic!("waiting for a replica to say {what}: {other:?}"),
    }
}

/// Polls `done` every 5 ms for at most `limit`; panics naming `what` if it never holds.
async fn wait_until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn breaker_state(name: &str) -> CircuitState {
    registry()
        .circuit_breaker(name)
        .map_or(CircuitState::Closed, |b| b.state())
}

async fn three_processes_share_one_limit(redis: &RedisServer, prefix: &str) {
    // Each replica calls as fast as it can for 1.5 s, from the same start.
    let start = now_us() + 1_500_000;
    let args = vec![
        redis.url(),
        prefix.to_owned(),
        start.to_string(),
        "1500".into(),
    ];
    let mut replicas: Vec<_> = (0..3).map(|_| spawn_replica("limit", &args)).collect();
    let (mut admitted, mut first, mut last) = (0u64, u64::MAX, 0u64);
    for (child, out) in &mut replicas {
        let line = next_line(out, "its count").await;
        let n: Vec<u64> = line.split(' ').map(|w| w.parse().expect(&line)).collect();
        let [count, from, to] = n[..] else {
            panic!("{line}")
        };
        assert!(count > 0, "every replica got permits: {line}");
        admitted += count;
        first = first.min(from);
        last = last.max(to);
        assert!(child.wait().await.expect("exits").success());
    }
    // Every admission happened on the server between the first call's start and the last
    // admitted call's end, so the GCRA bound holds over that span.
    let t = (last - first) as f64 / 1e6;
    let allowed = RATE * t + BURST;
    println!("  3 processes admitted {admitted} in {t:.3}s; allowed {allowed:.1}");
    assert!(
        admitted as f64 <= allowed,
        "over-admission: {admitted} > {allowed:.1}"
    );
    // Callers far faster than the rate took nearly all of it: the limit really was shared,
    // not three local limits (which would have admitted about three times as many).
    assert!(
        admitted as f64 >= 0.8 * RATE * 1.5,
        "{admitted} admitted: the callers starved"
    );

    // Another process took this limit's only permit: the refusal and its `retry_after` come
    // from the script (this process's own limiter was never asked).
    let (child, mut out) = spawn_replica("slow", &[redis.url(), prefix.to_owned()]);
    assert_eq!(next_line(&mut out, "its call").await, "admitted");
    drop(child);
    match slow_limit().await {
        Err(Failed::R(Error::RateLimited { retry_after, .. })) => assert!(
            retry_after > Duration::from_secs(5) && retry_after <= Duration::from_secs(10),
            "{retry_after:?}"
        ),
        other => panic!("the fleet's permit was taken: {other:?}"),
    }
}

async fn a_breaker_opened_in_one_process_opens_in_another(redis: &RedisServer, prefix: &str) {
    const NAME: &str = "fleet.breaker";
    assert!(guarded(false).await.is_ok(), "registered here, closed");
    let args = vec![redis.url(), prefix.to_owned()];
    let (mut tripper, mut out) = spawn_replica("breaker", &args);
    assert_eq!(next_line(&mut out, "ready").await, "ready");
    let stdin = tripper.stdin.as_mut().expect("piped");
    stdin.write_all(b"trip\n").await.expect("tells it to trip");
    assert_eq!(next_line(&mut out, "tripped").await, "tripped");
    // One round trip later this process is open too, without a single failure of its own.
    wait_until(
        "this process follows the other's opening",
        Duration::from_secs(5),
        async || breaker_state(NAME) == CircuitState::Open,
    )
    .await;
    assert!(matches!(
        guarded(false).await,
        Err(Failed::R(Error::CircuitOpen { .. }))
    ));

    // A process that starts now reads the open key when its callsite registers.
    let (mut late, mut late_out) = spawn_replica("late", &args);
    assert_eq!(next_line(&mut late_out, "its state").await, "open");
    assert!(late.wait().await.expect("exits").success());

    // When the open time is up, one replica holds the probe lease; the tripper makes no
    // calls, so the verdict is this process's probes, and it closes the breaker everywhere.
    wait_until(
        "this process probes and closes",
        Duration::from_secs(15),
        async || {
            let _ = guarded(false).await;
            breaker_state(NAME) == CircuitState::Closed
        },
    )
    .await;
    assert_eq!(next_line(&mut out, "closed").await, "closed");
    assert!(tripper.wait().await.expect("exits").success());
}

async fn redis_killed_mid_run(redis: &mut RedisServer, prefix: &str, messages: &Messages) {
    let raw = redis::Client::open(redis.url()).expect("a client");
    let key = format!("{prefix}rate_limit:fleet.allow");
    assert!(allowed_when_down().await.is_ok());
    let mut conn = raw
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection");
    let exists: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(exists, "the permit came from Redis");
    // `SCRIPT FLUSH` (as after a restart): the next call gets `NOSCRIPT`, loads the script
    // again and is answered.
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(allowed_when_down().await.is_ok());
    let exists: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(exists, "the permit came from the reloaded script");
    drop(conn);
    let errors_before = fleet::status().store_errors;

    redis.stop();
    // No call hangs (each waits at most `store_timeout` on the store); `allow` admits by
    // the local limiter (its burst of 5 untouched so far), `deny` rejects.
    fn bounded<F: std::future::Future>(f: F) -> tokio::time::Timeout<F> {
        tokio::time::timeout(Duration::from_secs(5), f)
    }
    for _ in 0..5 {
        let r = bounded(allowed_when_down()).await.expect("no hung call");
        assert!(
            r.is_ok(),
            "on_store_error = allow admits by the local limiter: {r:?}"
        );
    }
    let r = bounded(allowed_when_down()).await.expect("no hung call");
    assert!(
        matches!(r, Err(Failed::R(Error::RateLimited { .. }))),
        "the local limiter's verdict: {r:?}"
    );
    let r = bounded(denied_when_down()).await.expect("no hung call");
    assert!(
        matches!(r, Err(Failed::R(Error::RateLimited { .. }))),
        "deny: {r:?}"
    );
    // Each fallback is an event naming what the call did instead.
    assert!(
        messages.count("fallback=\"allow\"") >= 6,
        "allow fallbacks logged"
    );
    assert!(
        messages.count("fallback=\"deny\"") >= 1,
        "deny fallbacks logged"
    );
    let status = fleet::status();
    assert!(status.store_errors > errors_before, "{status:?}");
    assert!(!status.healthy, "{status:?}");
    assert_eq!(
        registry().snapshot().fleet.store_errors,
        status.store_errors
    );

    // A fleet breaker goes on locally: it opens, and (no lease to be had) probes by itself.
    for _ in 0..2 {
        let _ = bounded(guarded_in_fault(true)).await.expect("no hung call");
    }
    assert_eq!(breaker_state("fleet.fault"), CircuitState::Open);
    wait_until(
        "the breaker closes locally while Redis is down",
        Duration::from_secs(10),
        async || {
            let _ = bounded(guarded_in_fault(false))
                .await
                .expect("no hung call");
            breaker_state("fleet.fault") == CircuitState::Closed
        },
    )
    .await;

    redis.restart();
    wait_until(
        "the client reconnects",
        Duration::from_secs(20),
        async || {
            let s = fleet::status();
            s.healthy && s.reconnects >= 1
        },
    )
    .await;
    assert!(
        messages.count("fleet store reachable again") >= 1,
        "the reconnection is logged"
    );
    // The limit is on Redis again (the new server had no key before this call)…
    wait_until(
        "a fleet permit comes from Redis again",
        Duration::from_secs(10),
        async || {
            let _ = allowed_when_down().await;
            let Ok(mut conn) = raw.get_multiplexed_async_connection().await else {
                return false;
            };
            redis::cmd("EXISTS")
                .arg(&key)
                .query_async::<bool>(&mut conn)
                .await
                .unwrap_or(false)
        },
    )
    .await;
    // …and the breakers' channel is subscribed again: another replica's opening arrives.
    let mut conn = raw
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection");
    wait_until(
        "a published opening arrives after the reconnection",
        Duration::from_secs(10),
        async || {
            let _: Result<i64, _> = redis::cmd("PUBLISH")
                .arg(format!("{prefix}circuit_breaker"))
                .arg("open 1 60000 fleet.fault")
                .query_async(&mut conn)
                .await;
            breaker_state("fleet.fault") == CircuitState::Open
        },
    )
    .await;
}

/// A replica: the other side of each scenario.
async fn replica(role: &str, args: &[String]) {
    let (url, prefix) = (&args[0], &args[1]);
    fleet::connect_with_prefix(url, prefix)
        .await
        .expect("the replica connects");
    match role {
        "limit" => {
            let start: u64 = args[2].parse().expect("start");
            let run_for: u64 = args[3].parse().expect("duration");
            tokio::time::sleep(Duration::from_micros(start.saturating_sub(now_us()))).await;
            let (mut admitted, first) = (0u64, now_us());
            let mut last = first;
            while now_us() < start + run_for * 1000 {
                if shared_limit().await.is_ok() {
                    admitted += 1;
                    last = now_us();
                }
            }
            println!("{admitted} {first} {last}");
        }
        "breaker" => {
            assert!(guarded(false).await.is_ok());
            println!("ready");
            let mut input = BufReader::new(tokio::io::stdin()).lines();
            assert_eq!(
                input.next_line().await.ok().flatten().as_deref(),
                Some("trip")
            );
            for _ in 0..3 {
                let _ = guarded(true).await;
            }
            assert_eq!(breaker_state("fleet.breaker"), CircuitState::Open);
            println!("tripped");
            // It makes no further calls: the other process's probes decide.
            wait_until(
                "the fleet's verdict closes it here",
                Duration::from_secs(30),
                async || breaker_state("fleet.breaker") == CircuitState::Closed,
            )
            .await;
            println!("closed");
        }
        "slow" => {
            assert!(slow_limit().await.is_ok());
            println!("admitted");
        }
        "late" => {
            let _ = guarded(false).await;
            wait_until(
                "a late replica reads the open key",
                Duration::from_secs(10),
                async || breaker_state("fleet.breaker") == CircuitState::Open,
            )
            .await;
            println!("open");
        }
        other => panic!("unknown role {other}"),
    }
}
