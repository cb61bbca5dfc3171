use resilience::retry;

#[retry(backoff = exponential(100ms, factor = 0.5))]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
