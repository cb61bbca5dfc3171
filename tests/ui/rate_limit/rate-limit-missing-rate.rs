use resilience::rate_limit;

#[rate_limit(burst = 5)]
async fn call() -> Result<(), resilience::Error> {
    Ok(())
}

fn main() {
    let _ = call();
}
