use resilience::bulkhead;

#[bulkhead(max_concurrent = 4)]
async fn query() -> u32 {
    1
}

fn main() {
    let _ = query();
}
