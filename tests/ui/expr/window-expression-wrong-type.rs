use resilience::circuit_breaker;

#[circuit_breaker(window = window)]
async fn pay(window: &str) -> Result<u32, resilience::Error> {
    Ok(window.len() as u32)
}

fn main() {
    let _ = pay("60s");
}
