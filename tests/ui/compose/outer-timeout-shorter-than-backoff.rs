use resilience::{retry, timeout};

// Without jitter (or with `equal`), the first retry cannot start before the timeout ends. The
// default `full` jitter may wait less, so it is accepted.
#[timeout(100ms)]
#[retry(attempts = 3, backoff = constant(200ms), jitter = none)]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

#[timeout(100ms)]
#[retry(attempts = 3, backoff = constant(200ms))]
async fn fetch_with_full_jitter() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
    let _ = fetch_with_full_jitter();
}
