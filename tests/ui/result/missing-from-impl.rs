use resilience::timeout;

#[derive(Debug)]
enum PricingError {
    Unavailable,
}

#[timeout(800ms)]
async fn quote() -> Result<u64, PricingError> {
    Err(PricingError::Unavailable)
}

fn main() {
    let _ = quote();
}
