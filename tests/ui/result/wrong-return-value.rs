use resilience::timeout;

#[timeout(1s)]
async fn fetch() -> anyhow::Result<u32> {
    Ok("one")
}

fn main() {
    let _ = fetch();
}
