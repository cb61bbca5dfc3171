use resilience::circuit_breaker;

#[circuit_breaker(slow_call = 1s, slow_rate = 1.5)]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
