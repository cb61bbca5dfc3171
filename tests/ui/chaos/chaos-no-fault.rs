use resilience::chaos;

#[chaos(name = "payments")]
async fn charge() -> Result<u32, resilience::Error> {
    Ok(1)
}

fn main() {
    let _ = charge();
}
