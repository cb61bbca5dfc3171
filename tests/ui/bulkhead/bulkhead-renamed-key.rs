use resilience::bulkhead;

#[bulkhead(max_calls = 10, timeout = 50ms)]
async fn query() -> Result<u32, resilience::Error> {
    Ok(1)
}

fn main() {
    let _ = query();
}
