use resilience::timeout;

#[timeout(2 * 500ms)]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
