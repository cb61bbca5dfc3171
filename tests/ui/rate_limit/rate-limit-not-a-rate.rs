use resilience::rate_limit;

#[rate_limit(rate = 100, per_second = 5)]
async fn call() -> Result<(), resilience::Error> {
    Ok(())
}

#[rate_limit(rate = 100/1)]
async fn no_unit() -> Result<(), resilience::Error> {
    Ok(())
}

fn main() {
    let _ = call();
    let _ = no_unit();
}
