use resilience::retry;

fn is_transient(e: &String) -> bool {
    e.is_empty()
}

#[retry(when = is_transient)]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
