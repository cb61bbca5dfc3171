use resilience::chaos;

#[chaos(probability = 10%, delay = 200ms)]
async fn charge() -> Result<u32, resilience::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
