use resilience::{retry, timeout};

#[derive(Debug)]
enum PricingError {
    Unavailable,
    Resilience(resilience::Error),
}

impl From<resilience::Error> for PricingError {
    fn from(e: resilience::Error) -> Self {
        PricingError::Resilience(e)
    }
}

fn is_transient(e: &PricingError) -> bool {
    matches!(e, PricingError::Unavailable)
}

#[retry(attempts = 4, backoff = exponential(50ms, max = 2s), when = is_transient)]
#[timeout(800ms)]
async fn quote(sku: &str) -> Result<u64, PricingError> {
    Ok(sku.len() as u64)
}

fn main() {
    let _ = quote("sku");
}
