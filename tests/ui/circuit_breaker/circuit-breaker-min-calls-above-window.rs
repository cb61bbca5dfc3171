use resilience::circuit_breaker;

#[circuit_breaker(window = 10, min_calls = 20)]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
