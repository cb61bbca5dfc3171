use resilience::circuit_breaker;

#[circuit_breaker(reset_timeout = 30s)]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
