//! A narrated run against one flaky in-process dependency, the pricing service, walked through
//! five phases: healthy → failing → slow → recovering → retuned live. Watch retries back off,
//! the circuit breaker open, reject, half-open and close, the bulkhead turn callers away, the
//! rate limiter pace a backlog, the fallback serve a cached price, and an operator's TOML
//! retune the breaker and the bulkhead mid-run (`registry().apply`, feature `config`, on by
//! default); the registry's table ends the run.
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! The functions and their attribute stacks (the topmost attribute is the outermost layer):
//!
//! - `Shop::quote`: `fallback` › `retry` › `circuit_breaker` › `timeout`. The fallback sees
//!   every failure, rejections included; the retry wraps the breaker so each attempt is counted
//!   and an open breaker stops the retries at once; the timeout bounds one attempt and counts
//!   as a breaker failure.
//! - `Shop::stock`: `bulkhead(max_concurrent = 2)`: at most two calls wait on the service.
//! - `Shop::replay` and `Shop::replay_patiently`: `rate_limit(rate = 10/1s, burst = 3)`, one
//!   limiter shared by name; the second has a `retry` above it, which waits exactly the
//!   limiter's `retry_after`.
//!
//! The tour runs in real time (about 5 s), not on a paused clock: it is a demo to watch, with
//! a progress line redrawn in place when stdout is a terminal. Durations are tens of
//! milliseconds, so the figures may differ by a millisecond from run to run; jitter is seeded.

use resilience::{
    CircuitState, Error, Event, bulkhead, circuit_breaker, fallback, rate_limit, retry, timeout,
};
use std::collections::HashMap;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::broadcast::{self, error::TryRecvError};
use tokio::time::{Instant, sleep};

const MS: Duration = Duration::from_millis(1);

/// The phases of the tour.
const PHASES: u32 = 5;

// ---------------------------------------------------------------------------------------------
// The dependency: an in-process pricing service whose behaviour each phase sets.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Answers in 5ms.
    Healthy,
    /// Two requests out of three fail.
    Failing,
    /// Answers, but only after this long.
    Slow(Duration),
}

#[derive(Debug)]
enum ShopError {
    /// The service failed the request.
    Unavailable,
    /// No such product: a permanent error, not worth retrying.
    UnknownSku,
    /// A policy refused or cut short the call.
    Resilience(Error),
}

impl From<Error> for ShopError {
    fn from(e: Error) -> Self {
        ShopError::Resilience(e)
    }
}

impl fmt::Display for ShopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShopError::Unavailable => f.write_str("service unavailable"),
            ShopError::UnknownSku => f.write_str("unknown sku"),
            ShopError::Resilience(Error::CircuitOpen { retry_after, .. }) => {
                write!(f, "circuit open, probe in {}", ms(*retry_after))
            }
            ShopError::Resilience(Error::Timeout { after, .. }) => {
                write!(f, "timed out after {}", ms(*after))
            }
            ShopError::Resilience(Error::BulkheadFull { max_concurrent, .. }) => {
                write!(f, "bulkhead full ({max_concurrent} in flight)")
            }
            ShopError::Resilience(Error::RateLimited { retry_after, .. }) => {
                write!(f, "rate limited, permit in {}", ms(*retry_after))
            }
            ShopError::Resilience(e) => write!(f, "{e}"),
        }
    }
}

/// Only failures that may go away are worth retrying, or count against the service.
fn is_transient(e: &ShopError) -> bool {
    !matches!(e, ShopError::UnknownSku)
}

/// A price, live from the service or served by the fallback from the cache.
#[derive(Debug)]
enum Answer {
    Live(u64),
    Cached { cents: u64, because: ShopError },
}

struct Shop {
    mode: Mutex<Mode>,
    requests: AtomicU32,
    cache: Mutex<HashMap<String, u64>>,
}

impl Shop {
    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Requests that reached the service so far.
    fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The remote call.
    async fn request(&self, sku: &str) -> Result<u64, ShopError> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Healthy => sleep(5 * MS).await,
            Mode::Failing if !n.is_multiple_of(3) => return Err(ShopError::Unavailable),
            Mode::Failing => sleep(5 * MS).await,
            Mode::Slow(d) => sleep(d).await,
        }
        if sku.is_empty() {
            return Err(ShopError::UnknownSku);
        }
        Ok(1000 + 3 * sku.len() as u64)
    }

    /// A price, or the last one seen when the service cannot answer.
    #[fallback(Self::cached)]
    #[retry(name = "pricing", attempts = 3, backoff = exponential(20ms, max = 200ms), jitter = equal, when = is_transient)]
    #[circuit_breaker(name = "pricing", failure_rate = 50%, window = 10, min_calls = 6, open_for = exponential(600ms, max = 2s), half_open_calls = 2, when = is_transient)]
    #[timeout(80ms)]
    async fn quote(&self, sku: &str) -> Result<Answer, ShopError> {
        let cents = self.request(sku).await?;
        self.cache.lock().unwrap().insert(sku.to_owned(), cents);
        Ok(Answer::Live(cents))
    }

    /// The fallback of `quote`: the cached price, or the error when there is none.
    fn cached(&self, sku: &str, because: ShopError) -> Result<Answer, ShopError> {
        match self.cache.lock().unwrap().get(sku) {
            Some(&cents) => Ok(Answer::Cached { cents, because }),
            None => Err(because),
        }
    }

    /// Units in stock: at most two callers wait on the service at once.
    #[bulkhead(name = "inventory", max_concurrent = 2)]
    async fn stock(&self, sku: &str) -> Result<u64, ShopError> {
        Ok(self.request(sku).await? % 50)
    }

    /// Replays one order of the backlog, at most 10 a second after a burst of 3.
    #[rate_limit(name = "replay", rate = 10 / 1s, burst = 3)]
    async fn replay(&self, order: u32) -> Result<u64, ShopError> {
        self.request(&format!("order-{order}")).await
    }

    /// The same, on the same limiter, but waiting for a permit instead of failing.
    #[retry(name = "replay", attempts = 2, backoff = none)]
    #[rate_limit(name = "replay", rate = 10 / 1s, burst = 3)]
    async fn replay_patiently(&self, order: u32) -> Result<u64, ShopError> {
        self.request(&format!("order-{order}")).await
    }
}

// ---------------------------------------------------------------------------------------------
// The console: one line per call, and a progress line redrawn in place on a terminal.

/// What the current phase has done so far, shown on the progress line.
#[derive(Default)]
struct Tally {
    calls: u32,
    ok: u32,
    fallback: u32,
    rejected: u32,
    errors: u32,
}

struct Console {
    /// Stdout is a terminal: redraw the progress line in place.
    live: bool,
    started: Instant,
    phase: u32,
    tally: Tally,
    /// What the policies do, from the registry.
    events: broadcast::Receiver<Event>,
}

impl Console {
    fn new() -> Self {
        Console {
            live: std::io::stdout().is_terminal(),
            started: Instant::now(),
            phase: 0,
            tally: Tally::default(),
            events: resilience::registry().subscribe(),
        }
    }

    /// Starts a phase: its header and what to watch for.
    fn phase(&mut self, n: u32, name: &'static str, what: &str, watch: &[&str]) {
        self.phase = n;
        self.tally = Tally::default();
        self.say(format_args!("\n== phase {n}/{PHASES} · {name}: {what}"));
        for line in watch {
            self.say(format_args!("   {line}"));
        }
    }

    /// Prints a line above the progress line.
    fn say(&mut self, line: impl fmt::Display) {
        let mut out = std::io::stdout().lock();
        if self.live {
            let _ = write!(out, "\r\x1b[2K");
        }
        let _ = writeln!(out, "{line}");
        drop(out);
        self.draw();
    }

    fn progress(&self) -> String {
        let t = &self.tally;
        format!(
            "[phase {}/{PHASES}] {:.1}s  calls {}  ok {}  fallback {}  rejected {}  errors {}  breaker {}",
            self.phase,
            self.started.elapsed().as_secs_f64(),
            t.calls,
            t.ok,
            t.fallback,
            t.rejected,
            t.errors,
            breaker_state(),
        )
    }

    /// Redraws the progress line (on a terminal only), cut to 79 columns so it never wraps.
    fn draw(&self) {
        if self.live {
            let line: String = self.progress().chars().take(79).collect();
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "\r\x1b[2K{line}");
            let _ = out.flush();
        }
    }

    /// Ends a phase: the progress line's final state stays, once.
    fn end_phase(&mut self) {
        if self.live {
            println!("\r\x1b[2K{}", self.progress());
        } else {
            println!("{}", self.progress());
        }
    }

    /// Sleeps, keeping the progress line's clock moving.
    async fn wait(&self, d: Duration) {
        let until = Instant::now() + d;
        while Instant::now() < until {
            sleep((until - Instant::now()).min(50 * MS)).await;
            self.draw();
        }
    }

    /// Narrates what the policies did since the last call, one indented line per retry and
    /// breaker transition, and counts the rejections. Returns the number of retries.
    ///
    /// The events are drained here, after each call, rather than printed by a spawned task as
    /// they arrive: the demo's calls are a few milliseconds long, and this way each call's
    /// events are always printed just above its own line.
    fn narrate(&mut self) -> u32 {
        let mut retries = 0;
        loop {
            match self.events.try_recv() {
                Ok(event) => {
                    retries += u32::from(matches!(event, Event::Retry { .. }));
                    self.event(event);
                }
                Err(TryRecvError::Lagged(n)) => self.say(format_args!("      ({n} events missed)")),
                Err(TryRecvError::Empty | TryRecvError::Closed) => return retries,
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Retry {
                name,
                attempt,
                delay,
                error,
            } => self.say(format_args!(
                "      ↻ {name}: attempt {attempt} {}, retrying in {}",
                failed_with(&error),
                ms(delay)
            )),
            Event::RetryBudgetExhausted { name, attempt, .. } => self.say(format_args!(
                "      ↻ {name}: attempt {attempt} failed; the retry budget says no more"
            )),
            Event::CircuitTransition {
                name,
                from,
                to,
                failure_rate,
                calls,
                ..
            } => {
                let why = match (from, to) {
                    (CircuitState::Closed, CircuitState::Open) => format!(
                        "failure rate {:.0}% over {calls} calls",
                        failure_rate * 100.0
                    ),
                    (CircuitState::Open, CircuitState::HalfOpen) => {
                        "open_for is up: probes go through".to_owned()
                    }
                    (CircuitState::HalfOpen, CircuitState::Open) => {
                        "the probes failed: open twice as long".to_owned()
                    }
                    (CircuitState::HalfOpen, CircuitState::Closed) => {
                        "the probes succeeded".to_owned()
                    }
                    _ => String::new(),
                };
                self.say(format_args!(
                    "      ⚡ breaker {name}: {from:?} → {to:?} ({why})"
                ));
            }
            Event::Rejected(e) if e.is_rejection() => self.tally.rejected += 1,
            _ => {}
        }
    }
}

/// How an attempt failed, from a retry event's `error`: the `{:?}` of the function's own error
/// (`Unavailable`) or of a policy's (`Timeout { .. }`).
fn failed_with(error: &str) -> String {
    if error.starts_with("Timeout") {
        "timed out".to_owned()
    } else if error.starts_with("RateLimited") {
        "was rate limited".to_owned()
    } else {
        format!("failed ({error})")
    }
}

fn breaker_state() -> String {
    resilience::registry()
        .circuit_breaker("pricing")
        .map_or_else(|| "-".to_owned(), |b| format!("{:?}", b.state()))
}

/// `12ms`, rounded.
fn ms(d: Duration) -> String {
    format!("{}ms", (d.as_secs_f64() * 1000.0).round())
}

// ---------------------------------------------------------------------------------------------
// The phases.

/// `n` quotes, one every `every`, each summed up on one line.
async fn quotes(shop: &Shop, con: &mut Console, sku: &str, n: u32, every: Duration) {
    for _ in 0..n {
        let before = shop.requests();
        let t = Instant::now();
        let answer = shop.quote(sku).await;
        let elapsed = t.elapsed();
        let attempts = 1 + con.narrate();
        con.tally.calls += 1;
        let (outcome, note) = match answer {
            Ok(Answer::Live(cents)) => {
                con.tally.ok += 1;
                (format!("ok {cents}"), String::new())
            }
            Ok(Answer::Cached { cents, because }) => {
                con.tally.fallback += 1;
                (
                    format!("fallback {cents}"),
                    format!("  ← cached: {because}"),
                )
            }
            Err(e) => {
                con.tally.errors += 1;
                (format!("error {e}"), String::new())
            }
        };
        let n = con.tally.calls;
        let line = format!(
            "  quote {n:>2}  {outcome:<17}  attempts {attempts}, sent {}  {:>5}  breaker {:<8}{note}",
            shop.requests() - before,
            ms(elapsed),
            breaker_state()
        );
        con.say(line.trim_end());
        con.wait(every).await;
    }
}

async fn healthy(shop: &Shop, con: &mut Console) {
    con.phase(
        1,
        "healthy",
        "the service answers in 5ms",
        &[
            "watch: one request per call, breaker Closed; an unknown SKU is a permanent error:",
            "       not retried, not counted by the breaker (`when = is_transient`), nothing cached",
        ],
    );
    shop.set(Mode::Healthy);
    quotes(shop, con, "sku-42", 4, 100 * MS).await;
    quotes(shop, con, "", 1, 100 * MS).await;
    con.end_phase();
}

async fn failing(shop: &Shop, con: &mut Console) {
    con.phase(
        2,
        "failing",
        "two requests out of three fail",
        &[
            "watch: retries back off (20ms, 40ms, jittered) and hide the first failures; the",
            "       failure rate reaches 50%, the breaker opens, stops the retries, and rejects",
            "       calls without sending them; the fallback serves the cached price",
        ],
    );
    shop.set(Mode::Failing);
    quotes(shop, con, "sku-42", 10, 100 * MS).await;
    con.end_phase();
}

async fn slow(shop: &Shop, con: &mut Console) {
    con.phase(
        3,
        "slow",
        "the service answers, but after 150ms",
        &[
            "watch: once open_for has passed the breaker half-opens; both probes time out at",
            "       80ms and it opens again for twice as long; 5 concurrent stock checks meet a",
            "       bulkhead of 2: three are turned away at once instead of piling up",
        ],
    );
    shop.set(Mode::Slow(150 * MS));
    quotes(shop, con, "sku-42", 4, 150 * MS).await;
    stock_checks(shop, con).await;
    con.end_phase();
}

async fn recovering(shop: &Shop, con: &mut Console) {
    con.phase(
        4,
        "recovering",
        "the service answers in 5ms again",
        &[
            "watch: the breaker stays open until its 1.2s are up, then two probes succeed and",
            "       it closes; a backlog replayed through a limiter of 10/s (burst 3) gets 3",
            "       permits, then RateLimited; a retry above the limiter waits exactly retry_after",
        ],
    );
    shop.set(Mode::Healthy);
    quotes(shop, con, "sku-42", 7, 200 * MS).await;

    for order in 1..=5 {
        con.tally.calls += 1;
        let result = shop.replay(order).await;
        con.narrate();
        let outcome = match result {
            Ok(_) => {
                con.tally.ok += 1;
                "ok".to_owned()
            }
            // Counted as a rejection by `narrate`.
            Err(e) => format!("rejected: {e}"),
        };
        con.say(format_args!("  replay {order}  {outcome}"));
    }
    let t = Instant::now();
    con.tally.calls += 1;
    let result = shop.replay_patiently(6).await;
    con.narrate();
    let outcome = match result {
        Ok(_) => {
            con.tally.ok += 1;
            "ok".to_owned()
        }
        Err(e) => {
            con.tally.errors += 1;
            format!("error {e}")
        }
    };
    con.say(format_args!(
        "  replay 6  {outcome} after {} (patiently: retried once the permit freed)",
        ms(t.elapsed())
    ));
    con.end_phase();
}

/// What the operator applies in phase 5: a higher threshold for the breaker, a smaller bulkhead.
const RETUNE: &str = r#"
[circuit_breaker.pricing]
failure_rate = "90%"
[bulkhead.inventory]
max_concurrent = 1
"#;

/// Five concurrent stock checks, each on its own line.
async fn stock_checks(shop: &Shop, con: &mut Console) {
    let t = Instant::now();
    let (a, b, c, d, e) = tokio::join!(
        shop.stock("sku-1"),
        shop.stock("sku-2"),
        shop.stock("sku-3"),
        shop.stock("sku-4"),
        shop.stock("sku-5"),
    );
    con.narrate();
    for (i, r) in [a, b, c, d, e].into_iter().enumerate() {
        con.tally.calls += 1;
        let outcome = match r {
            Ok(units) => {
                con.tally.ok += 1;
                format!("ok {units} units")
            }
            // Counted as a rejection by `narrate`.
            Err(e) => format!("rejected: {e}"),
        };
        con.say(format_args!("  stock {}  {outcome}", i + 1));
    }
    con.say(format_args!(
        "  (all 5 fired at once; done in {})",
        ms(t.elapsed())
    ));
}

async fn retuned(shop: &Shop, con: &mut Console) {
    con.phase(
        5,
        "retuned live",
        "the service fails two requests out of three again, and an operator retunes",
        &[
            "watch: the TOML is applied by name with registry().apply, no rebuild; each change is",
            "       listed (and is a tracing event); with failure_rate at 90% the breaker stays",
            "       Closed at a failure rate it opened at in phase 2 (its counts kept); the",
            "       bulkhead of 1 admits one stock check of 5",
        ],
    );
    let config = resilience::Config::from_toml_str(RETUNE).expect("the tour's TOML is valid");
    for line in RETUNE.trim().lines() {
        con.say(format_args!("  | {line}"));
    }
    match resilience::registry().apply(&config) {
        Ok(applied) => {
            for change in &applied.changes {
                con.say(format_args!("  applied {change}"));
            }
        }
        Err(e) => con.say(format_args!("  refused: {e}")),
    }
    shop.set(Mode::Failing);
    quotes(shop, con, "sku-42", 6, 100 * MS).await;
    if let Some(b) = resilience::registry().circuit_breaker("pricing") {
        let m = b.metrics();
        con.say(format_args!(
            "  breaker pricing: {} with {:.0}% of {} calls failed (opens at {:.0}% now)",
            b.state(),
            m.failure_rate * 100.0,
            m.calls,
            b.policy().failure_rate * 100.0
        ));
    }
    shop.set(Mode::Healthy);
    stock_checks(shop, con).await;
    con.end_phase();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Jitter is drawn on this (the only) thread: one seed makes the backoffs repeat.
    resilience::testing::seed(7);
    let shop = Shop {
        mode: Mutex::new(Mode::Healthy),
        requests: AtomicU32::new(0),
        cache: Mutex::new(HashMap::new()),
    };
    let mut con = Console::new();
    println!("resilience tour: one pricing service, five phases");
    println!(
        "  quote   = fallback › retry(3, exponential 20ms) › circuit_breaker(50%, open 600ms) › timeout(80ms)"
    );
    println!("  stock   = bulkhead(max_concurrent = 2)");
    println!("  replay  = rate_limit(10/1s, burst 3)    replay_patiently = retry › rate_limit");
    println!(
        "each call: its result, its attempts and the requests they sent, its time, the breaker after it;"
    );
    println!(
        "indented above it: what the policies did meanwhile (retries ↻, breaker transitions ⚡)"
    );

    healthy(&shop, &mut con).await;
    failing(&shop, &mut con).await;
    slow(&shop, &mut con).await;
    recovering(&shop, &mut con).await;
    retuned(&shop, &mut con).await;

    println!("\n== the registry at the end: resilience::registry().snapshot()");
    print!("{}", resilience::registry().snapshot());
    println!(
        "\ntour finished in {:.1}s",
        con.started.elapsed().as_secs_f64()
    );
}
