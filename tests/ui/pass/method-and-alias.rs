use resilience::{retry, timeout};
use std::time::Duration;

const LIMIT: Duration = Duration::from_millis(250);

struct Client {
    base: u32,
}

impl Client {
    /// Retries alone need no `From<resilience::Error>`.
    #[retry(attempts = 2, backoff = constant(10ms), jitter = none)]
    async fn get(&self, key: &str) -> std::io::Result<u32> {
        Ok(self.base + key.len() as u32)
    }

    #[timeout(LIMIT)]
    pub async fn put(&mut self, value: u32) -> anyhow::Result<()> {
        self.base = value;
        Ok(())
    }
}

fn main() {
    let mut client = Client { base: 1 };
    let _ = client.get("k");
    let _ = client.put(2);
}
