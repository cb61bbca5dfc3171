use resilience::circuit_breaker;

#[circuit_breaker(failure_rate = percent)]
async fn pay(percent: u32) -> Result<u32, resilience::Error> {
    Ok(percent)
}

fn main() {
    let _ = pay(40);
}
