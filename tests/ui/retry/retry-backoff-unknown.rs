use resilience::retry;

#[retry(backoff = exponental(100ms))]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
