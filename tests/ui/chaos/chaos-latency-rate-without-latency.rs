use resilience::chaos;

#[chaos(error_rate = 10%, latency_rate = 20%)]
async fn charge() -> Result<u32, resilience::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
