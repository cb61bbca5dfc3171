use resilience::rate_limit;

#[rate_limit(rate = 0/1s)]
async fn call() -> Result<(), resilience::Error> {
    Ok(())
}

fn main() {
    let _ = call();
}
