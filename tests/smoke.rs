use resilience::{retry, timeout};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, PartialEq)]
enum E {
    Flaky,
    R(resilience::Error),
}
impl From<resilience::Error> for E {
    fn from(e: resilience::Error) -> Self {
        E::R(e)
    }
}

static CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(attempts = 4, backoff = exponential(50ms, max = 2s), jitter = none)]
#[timeout(800ms)]
async fn flaky(x: &str) -> Result<usize, E> {
    if CALLS.fetch_add(1, Ordering::SeqCst) < 2 {
        return Err(E::Flaky);
    }
    let n: usize = x.len();
    Ok(n)
}

#[tokio::test(start_paused = true)]
async fn smoke() {
    let t = Instant::now();
    assert_eq!(flaky("abc").await, Ok(3));
    assert_eq!(t.elapsed(), Duration::from_millis(150));
}
