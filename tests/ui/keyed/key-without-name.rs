use resilience::circuit_breaker;

struct Client {
    host: String,
}

impl Client {
    #[circuit_breaker(key = self.host.as_str())]
    async fn fetch(&self) -> Result<u32, resilience::Error> {
        Ok(1)
    }
}

fn main() {
    let c = Client { host: "a".into() };
    let _ = c.fetch();
}
