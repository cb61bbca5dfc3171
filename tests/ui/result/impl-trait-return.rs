use resilience::timeout;

#[timeout(800ms)]
async fn items() -> Result<impl Iterator<Item = u8>, std::io::Error> {
    Ok([1u8].into_iter())
}

fn main() {
    let _ = items();
}
