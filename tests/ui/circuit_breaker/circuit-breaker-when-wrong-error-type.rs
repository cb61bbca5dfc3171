use resilience::circuit_breaker;

#[derive(Debug)]
struct PricingError;

impl From<resilience::Error> for PricingError {
    fn from(_: resilience::Error) -> Self {
        PricingError
    }
}

fn is_io_transient(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::TimedOut
}

#[circuit_breaker(when = is_io_transient)]
async fn quote() -> Result<u64, PricingError> {
    Ok(1)
}

fn main() {
    let _ = quote();
}
