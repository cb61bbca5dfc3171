use resilience::{fallback, timeout};

fn empty(_: resilience::Error) -> Vec<u32> {
    Vec::new()
}

#[timeout(1s)]
#[fallback(empty)]
async fn items() -> Vec<u32> {
    vec![1]
}

fn main() {
    let _ = items();
}
