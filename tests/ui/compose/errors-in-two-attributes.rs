use resilience::{retry, timeout};

#[retry(attempts = 0)]
#[timeout(5sec)]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
