use resilience::fallback;

#[fallback]
async fn items() -> Vec<u32> {
    vec![1]
}

fn main() {
    let _ = items();
}
