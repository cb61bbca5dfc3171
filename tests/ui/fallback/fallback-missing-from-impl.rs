use resilience::{fallback, timeout};

#[derive(Debug)]
enum PricingError {
    Unavailable,
}

fn cached(_sku: &str, _error: PricingError) -> Result<u64, PricingError> {
    Ok(1)
}

// The timeout can fail the call with a `resilience::Error`, which the fallback receives as a
// `PricingError`: the conversion is missing.
#[fallback(cached)]
#[timeout(800ms)]
async fn quote(sku: &str) -> Result<u64, PricingError> {
    let _ = sku;
    Err(PricingError::Unavailable)
}

fn main() {
    let _ = quote("a");
}
