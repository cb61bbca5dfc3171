use resilience::circuit_breaker;

#[circuit_breaker(slow_rate = 80%)]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
