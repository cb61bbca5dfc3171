use resilience::retry;
use std::future::Future;
use std::pin::Pin;

#[retry]
fn fetch() -> Pin<Box<dyn Future<Output = Result<u32, resilience::Error>> + Send>> {
    Box::pin(async { Ok(1) })
}

fn main() {
    let _ = fetch();
}
