use resilience::timeout;

const TIMEOUT_MS: u64 = 800;

#[timeout(TIMEOUT_MS)]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
