//! A narrated run against a flaky in-process dependency: retries with backoff, per-attempt
//! timeouts, and the registry at the end.
//!
//! ```text
//! cargo run --example tour
//! ```

use resilience::{retry, timeout};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

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

/// The flaky dependency: an in-process "pricing service".
struct PricingService {
    mode: Mutex<Mode>,
    requests: AtomicU32,
}

#[derive(Debug)]
enum PricingError {
    Unavailable,
    BadSku,
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
            PricingError::BadSku => write!(f, "unknown sku"),
            PricingError::Resilience(e) => write!(f, "{e}"),
        }
    }
}

/// Only failures that may go away are worth retrying.
fn is_transient(e: &PricingError) -> bool {
    !matches!(e, PricingError::BadSku)
}

impl PricingService {
    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    async fn request(&self, sku: &str) -> Result<u64, PricingError> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if sku.is_empty() {
            return Err(PricingError::BadSku);
        }
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Healthy => Ok(100 + sku.len() as u64),
            Mode::Flaky(every) if n.is_multiple_of(every) => Err(PricingError::Unavailable),
            Mode::Flaky(_) => Ok(100 + sku.len() as u64),
            Mode::Slow(d) => {
                tokio::time::sleep(d).await;
                Ok(100 + sku.len() as u64)
            }
            Mode::Down => Err(PricingError::Unavailable),
        }
    }

    /// The annotated call: up to 4 attempts, each bounded by 80ms, with exponential backoff.
    #[retry(name = "pricing", attempts = 4, backoff = exponential(20ms, max = 200ms), jitter = equal, when = is_transient)]
    #[timeout(80ms)]
    async fn quote(&self, sku: &str) -> Result<u64, PricingError> {
        self.request(sku).await
    }
}

async fn phase(service: &PricingService, title: &str, mode: Mode, calls: u32) {
    println!("\n== {title} ({mode:?})");
    service.set(mode);
    let before = service.requests.load(Ordering::Relaxed);
    let (mut ok, mut failed) = (0, 0);
    let started = Instant::now();
    for i in 0..calls {
        let t = Instant::now();
        match service.quote("sku-42").await {
            Ok(price) => {
                ok += 1;
                println!(
                    "  call {i:>2}: ok  price={price}  in {:>4}ms",
                    t.elapsed().as_millis()
                );
            }
            Err(e) => {
                failed += 1;
                println!(
                    "  call {i:>2}: ERR {e}  in {:>4}ms",
                    t.elapsed().as_millis()
                );
            }
        }
    }
    let requests = service.requests.load(Ordering::Relaxed) - before;
    println!(
        "  -> {ok} ok, {failed} failed, {requests} requests reached the service for {calls} calls, {}ms",
        started.elapsed().as_millis()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    resilience::testing::seed(7);
    let service = PricingService {
        mode: Mutex::new(Mode::Healthy),
        requests: AtomicU32::new(0),
    };
    println!(
        "resilience tour: `quote` is #[retry(attempts = 4, exponential(20ms, max = 200ms))] over #[timeout(80ms)]"
    );

    phase(
        &service,
        "1. healthy: one request per call",
        Mode::Healthy,
        3,
    )
    .await;
    phase(
        &service,
        "2. flaky: every 2nd request fails, retries hide it",
        Mode::Flaky(2),
        4,
    )
    .await;
    phase(
        &service,
        "3. slow: each attempt times out at 80ms and is retried",
        Mode::Slow(Duration::from_millis(150)),
        2,
    )
    .await;
    phase(
        &service,
        "4. down: 4 attempts, then the last error",
        Mode::Down,
        2,
    )
    .await;
    phase(&service, "5. recovering", Mode::Healthy, 2).await;

    println!("\n== a permanent error is not retried (`when = is_transient`)");
    let before = service.requests.load(Ordering::Relaxed);
    let err = service.quote("").await.unwrap_err();
    println!(
        "  quote(\"\") -> {err} after {} request(s)",
        service.requests.load(Ordering::Relaxed) - before
    );

    println!("\n== registry");
    println!("  {:<12} {:>8} {:>8}", "retry", "retries", "gave up");
    for r in resilience::registry().retries() {
        println!("  {:<12} {:>8} {:>8}", r.name(), r.retries(), r.gave_up());
    }
}
