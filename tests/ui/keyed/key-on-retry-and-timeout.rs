use resilience::{retry, timeout};

struct Client {
    host: String,
}

impl Client {
    #[retry(name = "fetch", key = self.host.as_str())]
    #[timeout(1s, key = self.host.as_str())]
    async fn fetch(&self) -> Result<u32, resilience::Error> {
        Ok(1)
    }
}

fn main() {
    let c = Client { host: "a".into() };
    let _ = c.fetch();
}
