use resilience::{retry, timeout};

#[timeout(100ms)]
#[retry(attempts = 3, backoff = constant(200ms))]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
