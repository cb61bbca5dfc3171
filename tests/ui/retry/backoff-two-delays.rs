use resilience::retry;

#[retry(backoff = constant(100ms, 200ms))]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
