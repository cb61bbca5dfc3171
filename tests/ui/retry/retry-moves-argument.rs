use resilience::retry;

fn consume(s: String) -> usize {
    s.len()
}

#[retry(attempts = 2)]
async fn send(payload: String) -> Result<usize, std::io::Error> {
    Ok(consume(payload))
}

fn main() {
    let _ = send(String::new());
}
