use resilience::retry;

#[derive(Debug)]
struct Flaky;

// A count from an expression may be refused at a call, so the error type must hold a
// `resilience::Error`, as under `#[timeout]`.
#[retry(attempts = attempts)]
async fn fetch(attempts: u32) -> Result<u32, Flaky> {
    Ok(attempts)
}

fn main() {
    let _ = fetch(3);
}
