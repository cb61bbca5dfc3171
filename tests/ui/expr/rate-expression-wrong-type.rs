use resilience::rate_limit;

#[rate_limit(rate = per_second)]
async fn replay(per_second: u32) -> Result<u32, resilience::Error> {
    Ok(per_second)
}

fn main() {
    let _ = replay(100);
}
