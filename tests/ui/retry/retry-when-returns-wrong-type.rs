use resilience::retry;

fn is_transient(e: &std::io::Error) -> u32 {
    e.raw_os_error().unwrap_or(0) as u32
}

#[retry(when = is_transient)]
async fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
