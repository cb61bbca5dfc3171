use resilience::{fallback, timeout};

#[derive(Debug)]
struct PayError;

impl From<resilience::Error> for PayError {
    fn from(_: resilience::Error) -> Self {
        PayError
    }
}

struct PaymentsClient;

impl PaymentsClient {
    // Returns the value alone, where `balance` returns a `Result`.
    fn cached(&self, _sku: &str, _error: PayError) -> u64 {
        0
    }

    #[fallback(Self::cached)]
    #[timeout(250ms)]
    async fn balance(&self, sku: &str) -> Result<u64, PayError> {
        let _ = sku;
        Ok(1)
    }
}

fn main() {
    let _ = PaymentsClient.balance("a");
}
