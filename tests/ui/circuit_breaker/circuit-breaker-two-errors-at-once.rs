use resilience::circuit_breaker;

#[circuit_breaker(window = 0, half_open_calls = 0)]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
