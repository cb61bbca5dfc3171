use resilience::rate_limit;

#[rate_limit(rate = 10/1s, burst = 0)]
async fn call() -> Result<(), resilience::Error> {
    Ok(())
}

fn main() {
    let _ = call();
}
