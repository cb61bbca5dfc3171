use resilience::{retry, timeout};

#[timeout(5s)]
#[retry(attempts = 3)]
#[timeout(1s)]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
