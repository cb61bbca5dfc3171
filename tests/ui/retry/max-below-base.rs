use resilience::retry;

#[retry(backoff = exponential(2s, max = 500ms))]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
