use resilience::bulkhead;

#[bulkhead(name = "tenants", max_concurrent = 2, max_keys = 100)]
async fn query() -> Result<u32, resilience::Error> {
    Ok(1)
}

fn main() {
    let _ = query();
}
