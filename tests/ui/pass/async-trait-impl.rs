use async_trait::async_trait;
use resilience::{retry, timeout};

#[async_trait]
trait Store {
    async fn get(&self, key: u32) -> anyhow::Result<u32>;
}

struct Db;

#[async_trait]
impl Store for Db {
    #[retry(attempts = 2, backoff = none)]
    #[timeout(100ms)]
    async fn get(&self, key: u32) -> anyhow::Result<u32> {
        Ok(key + 1)
    }
}

fn main() {
    let _ = Db.get(1);
}
