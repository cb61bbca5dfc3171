use resilience::fallback;

fn is_transient(_: &std::io::Error) -> bool {
    true
}

#[fallback(when = is_transient)]
async fn items() -> std::io::Result<Vec<u32>> {
    Ok(vec![1])
}

fn main() {
    let _ = items();
}
