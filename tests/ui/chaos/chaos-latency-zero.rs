use resilience::chaos;

#[chaos(latency = 0ms)]
async fn charge() -> Result<u32, resilience::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
