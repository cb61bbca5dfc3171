use resilience::{fallback, timeout};

#[derive(Debug)]
struct PricingError;

impl From<resilience::Error> for PricingError {
    fn from(_: resilience::Error) -> Self {
        PricingError
    }
}

fn cached(_e: PricingError) -> Result<u64, PricingError> {
    Ok(0)
}

fn is_io_transient(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::TimedOut
}

#[fallback(cached, when = is_io_transient)]
#[timeout(1s)]
async fn quote() -> Result<u64, PricingError> {
    Ok(1)
}

fn main() {
    let _ = quote();
}
