use resilience::chaos;

#[chaos(latency = 200ms, latency = 1s)]
async fn charge() -> Result<u32, resilience::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
