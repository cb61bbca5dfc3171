use resilience::retry;

#[retry(max_elapsed = 0s)]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
