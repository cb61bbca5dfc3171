use resilience::{retry, timeout};

#[retry(attempts = 3)]
#[timeout(500ms)]
fn fetch(url: &str) -> Result<String, resilience::Error> {
    Ok(url.to_owned())
}

fn main() {
    let _ = fetch("http://example.com");
}
