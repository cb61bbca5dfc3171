use resilience::retry;

#[derive(Debug)]
struct MyError;

fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    s.parse()
}

#[retry(attempts = 2)]
async fn fetch(s: &str) -> Result<u32, MyError> {
    let n = parse(s)?;
    Ok(n)
}

fn main() {
    let _ = fetch("1");
}
