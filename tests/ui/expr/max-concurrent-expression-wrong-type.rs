use resilience::bulkhead;

#[bulkhead(max_concurrent = limit)]
async fn query(limit: u32) -> Result<u32, resilience::Error> {
    Ok(limit)
}

fn main() {
    let _ = query(4);
}
