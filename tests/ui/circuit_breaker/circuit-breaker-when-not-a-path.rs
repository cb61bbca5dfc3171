use resilience::circuit_breaker;

#[circuit_breaker(when = "is_outage")]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
