//! `key = ..` on the three attributes that take it, on a method and a free fn, with and
//! without `max_keys`, stacked.
use resilience::{bulkhead, circuit_breaker, rate_limit, retry};

struct Client {
    host: String,
}

impl Client {
    #[retry(attempts = 2)]
    #[circuit_breaker(name = "upstream", key = self.host.as_str(), consecutive_failures = 3)]
    #[rate_limit(name = "upstream_rate", rate = 100/1s, key = &self.host, max_keys = 50)]
    #[bulkhead(name = "upstream_pool", max_concurrent = 4, key = self.host.clone())]
    async fn fetch(&self, path: &str) -> Result<usize, resilience::Error> {
        Ok(self.host.len() + path.len())
    }
}


#[bulkhead(name = "per_user", key = user)]
async fn per_user(user: &str) -> Result<(), resilience::Error> {
    let _ = user;
    Ok(())
}

fn main() {
    let c = Client { host: "a".into() };
    let _ = c.fetch("/x");
    let _ = per_user("ann");
}
