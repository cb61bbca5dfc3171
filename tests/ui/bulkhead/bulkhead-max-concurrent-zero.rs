use resilience::bulkhead;

#[bulkhead(max_concurrent = 0)]
async fn query() -> Result<u32, resilience::Error> {
    Ok(1)
}

fn main() {
    let _ = query();
}
