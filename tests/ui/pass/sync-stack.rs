use resilience::{Error, bulkhead, circuit_breaker, fallback, rate_limit, retry};

fn cached(_db: &Db, _sku: &str, _e: Error) -> u32 {
    0
}

struct Db;

impl Db {
    #[fallback(cached)]
    #[retry(attempts = 2, backoff = none)]
    #[circuit_breaker(name = "ui-sync")]
    #[rate_limit(rate = 10/1s)]
    #[bulkhead(max_concurrent = 2)]
    fn stock(&self, sku: &str) -> u32 {
        sku.len() as u32
    }
}

fn main() {
    let _ = Db.stock("a");
}
