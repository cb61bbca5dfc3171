use resilience::circuit_breaker;

#[circuit_breaker(failure_rat = 50%)]
async fn charge() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
