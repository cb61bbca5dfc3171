use resilience::circuit_breaker;

#[circuit_breaker(failure_rate = 150%)]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
