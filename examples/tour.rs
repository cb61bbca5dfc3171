//! A narrated run against a flaky in-process dependency: retries with backoff, the circuit
//! breaker opening, probing and closing, fallbacks serving a stale answer, bulkhead and rate
//! limit rejections, and the registry at the end.
//!
//! ```text
//! cargo run --example tour
//! ```

use resilience::{bulkhead, circuit_breaker, fallback, rate_limit, retry, timeout};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep};

/// How the pricing service behaves in each phase of the tour.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Healthy,
    /// Every n-th request fails.
    Flaky(u32),
    /// Answers after this long.
    Slow(Duration),
    Down,
}

#[derive(Debug, Clone, Copy)]
struct Price {
    cents: u64,
    stale: bool,
}

#[derive(Debug)]
enum PricingError {
    Unavailable,
    UnknownSku,
    Resilience(resilience::Error),
}

impl From<resilience::Error> for PricingError {
    fn from(e: resilience::Error) -> Self {
        PricingError::Resilience(e)
    }
}

impl std::fmt::Display for PricingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PricingError::Unavailable => write!(f, "pricing service unavailable"),
            PricingError::UnknownSku => write!(f, "unknown sku"),
            PricingError::Resilience(e) => write!(f, "{e}"),
        }
    }
}

/// Only failures that may go away are worth retrying.
fn is_transient(e: &PricingError) -> bool {
    !matches!(e, PricingError::UnknownSku)
}

/// The flaky dependency, in process, and the client that calls it.
struct Pricing {
    mode: Mutex<Mode>,
    requests: AtomicU32,
    cache: Mutex<HashMap<String, u64>>,
}

impl Pricing {
    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The remote call.
    async fn request(&self, sku: &str) -> Result<u64, PricingError> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if sku.is_empty() {
            return Err(PricingError::UnknownSku);
        }
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Flaky(every) if n.is_multiple_of(every) => Err(PricingError::Unavailable),
            Mode::Down => Err(PricingError::Unavailable),
            Mode::Slow(d) => {
                sleep(d).await;
                Ok(1000 + sku.len() as u64)
            }
            Mode::Healthy | Mode::Flaky(_) => Ok(1000 + sku.len() as u64),
        }
    }

    /// The fallback: the last price seen, marked stale.
    fn cached_quote(&self, sku: &str, error: PricingError) -> Result<Price, PricingError> {
        match self.cache.lock().unwrap().get(sku) {
            Some(&cents) => Ok(Price { cents, stale: true }),
            None => Err(error),
        }
    }

    /// The annotated call.
    #[fallback(Self::cached_quote)]
    #[retry(name = "pricing", attempts = 3, backoff = exponential(20ms, max = 100ms), jitter = equal, when = is_transient)]
    #[circuit_breaker(name = "pricing", failure_rate = 60%, window = 10, min_calls = 5, open_for = 400ms, half_open_calls = 2)]
    #[timeout(80ms)]
    async fn quote(&self, sku: &str) -> Result<Price, PricingError> {
        let cents = self.request(sku).await?;
        self.cache.lock().unwrap().insert(sku.to_owned(), cents);
        Ok(Price {
            cents,
            stale: false,
        })
    }
}

/// A page renderer that may run at most 2 at once.
#[bulkhead(name = "renderer", max_concurrent = 2)]
async fn render(page: u32) -> Result<String, resilience::Error> {
    sleep(Duration::from_millis(30)).await;
    Ok(format!("page {page}"))
}

/// A search API we may call 5 times a second, in bursts of 3.
#[rate_limit(name = "search", rate = 5 / 1s, burst = 3)]
async fn search(q: &str) -> Result<usize, resilience::Error> {
    Ok(q.len())
}

fn breaker_state() -> String {
    resilience::registry()
        .circuit_breaker("pricing")
        .map_or_else(|| "-".to_owned(), |b| format!("{:?}", b.state()))
}

async fn calls(pricing: &Pricing, n: u32) {
    for i in 0..n {
        let before = pricing.requests();
        let t = Instant::now();
        let outcome = match pricing.quote("sku-42").await {
            Ok(Price {
                cents,
                stale: false,
            }) => format!("ok     {cents}"),
            Ok(Price { cents, stale: true }) => format!("stale  {cents} (fallback)"),
            Err(e) => format!("error  {e}"),
        };
        println!(
            "  call {i}: {outcome:<28} {} request(s), {:>3}ms, breaker {}",
            pricing.requests() - before,
            t.elapsed().as_millis(),
            breaker_state()
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    resilience::testing::seed(7);
    let started = Instant::now();
    let pricing = Pricing {
        mode: Mutex::new(Mode::Healthy),
        requests: AtomicU32::new(0),
        cache: Mutex::new(HashMap::new()),
    };
    println!("resilience tour: `Pricing::quote` is");
    println!("  #[fallback(Self::cached_quote)]");
    println!(
        "  #[retry(attempts = 3, backoff = exponential(20ms, max = 100ms), when = is_transient)]"
    );
    println!(
        "  #[circuit_breaker(failure_rate = 60%, window = 10, min_calls = 5, open_for = 400ms, half_open_calls = 2)]"
    );
    println!("  #[timeout(80ms)]");

    println!("\n== 1. healthy: one request per call");
    calls(&pricing, 2).await;

    println!("\n== 2. flaky: every 2nd request fails; retries hide it");
    pricing.set(Mode::Flaky(2));
    calls(&pricing, 3).await;

    println!("\n== 3. slow: each attempt times out at 80ms, is retried, then the fallback answers");
    pricing.set(Mode::Slow(Duration::from_millis(150)));
    calls(&pricing, 1).await;

    println!(
        "\n== 4. down: the failure rate reaches 60%, the breaker opens and stops the retries;"
    );
    println!("   the fallback serves the cached price without calling the service");
    pricing.set(Mode::Down);
    calls(&pricing, 4).await;

    println!("\n== 5. recovered, but the breaker stays open for 400ms: no request is sent");
    pricing.set(Mode::Healthy);
    calls(&pricing, 2).await;
    println!("  ... 400ms later the breaker lets 2 probes through; both succeed and it closes");
    sleep(Duration::from_millis(400)).await;
    calls(&pricing, 3).await;

    println!(
        "\n== 6. a permanent error is not retried (`when = is_transient`) and has no cached price"
    );
    let before = pricing.requests();
    match pricing.quote("").await {
        Ok(p) => println!("  quote(\"\") -> {p:?}"),
        Err(e) => println!(
            "  quote(\"\") -> error: {e} after {} request(s)",
            pricing.requests() - before
        ),
    }

    println!("\n== 7. bulkhead: 5 renders at once, 2 places");
    let renders = futures_join5(render(1), render(2), render(3), render(4), render(5)).await;
    for (i, r) in renders.iter().enumerate() {
        match r {
            Ok(page) => println!("  render {}: ok    {page}", i + 1),
            Err(e) => println!("  render {}: error {e}", i + 1),
        }
    }

    println!("\n== 8. rate limit: 5/s in bursts of 3, 5 searches in a row");
    for i in 1..=5 {
        match search("resilience").await {
            Ok(n) => println!("  search {i}: ok    {n} hits"),
            Err(e) => println!("  search {i}: error {e}"),
        }
    }

    print_registry();
    println!("\ntour finished in {}ms", started.elapsed().as_millis());
}

async fn futures_join5<T>(
    a: impl Future<Output = T>,
    b: impl Future<Output = T>,
    c: impl Future<Output = T>,
    d: impl Future<Output = T>,
    e: impl Future<Output = T>,
) -> [T; 5] {
    let (a, b, c, d, e) = tokio::join!(a, b, c, d, e);
    [a, b, c, d, e]
}

fn print_registry() {
    let reg = resilience::registry();
    println!("\n== registry snapshot");
    println!(
        "  {:<16} {:<10} {:>6} {:>9} {:>8} {:>9}",
        "circuit breaker", "state", "calls", "failures", "rate", "rejected"
    );
    for b in reg.circuit_breakers() {
        let m = b.metrics();
        println!(
            "  {:<16} {:<10} {:>6} {:>9} {:>7.0}% {:>9}",
            b.name(),
            format!("{:?}", b.state()),
            m.calls,
            m.failures,
            m.failure_rate * 100.0,
            m.not_permitted
        );
    }
    println!(
        "  {:<16} {:>8} {:>8} {:>17}",
        "retry", "retries", "gave up", "budget refusals"
    );
    for r in reg.retries() {
        println!(
            "  {:<16} {:>8} {:>8} {:>17}",
            r.name(),
            r.retries(),
            r.gave_up(),
            r.budget_exhausted()
        );
    }
    println!(
        "  {:<16} {:>8} {:>10} {:>9}",
        "bulkhead", "places", "available", "rejected"
    );
    for b in reg.bulkheads() {
        println!(
            "  {:<16} {:>8} {:>10} {:>9}",
            b.name(),
            b.max_concurrent(),
            b.available(),
            b.rejected()
        );
    }
    println!(
        "  {:<16} {:>8} {:>9}",
        "rate limiter", "admitted", "rejected"
    );
    for l in reg.rate_limiters() {
        println!("  {:<16} {:>8} {:>9}", l.name(), l.admitted(), l.rejected());
    }
}
