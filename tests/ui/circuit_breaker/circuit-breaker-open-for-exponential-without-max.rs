use resilience::circuit_breaker;

#[circuit_breaker(open_for = exponential(10s))]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
