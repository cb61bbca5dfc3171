use resilience::{fallback, timeout};

fn empty(_e: resilience::Error) -> Vec<u32> {
    Vec::new()
}

fn is_timeout(e: &resilience::Error) -> bool {
    matches!(e, resilience::Error::Timeout { .. })
}

#[fallback(empty, when = is_timeout)]
#[timeout(1s)]
async fn items() -> Vec<u32> {
    vec![1]
}

fn main() {
    let _ = items();
}
