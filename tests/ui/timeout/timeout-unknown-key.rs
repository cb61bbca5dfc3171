use resilience::timeout;

#[timeout(duration = 1s, nmae = "pricing")]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
