use resilience::timeout;

#[timeout(800ms)]
async fn count() -> u64 {
    1
}

fn main() {
    let _ = count();
}
