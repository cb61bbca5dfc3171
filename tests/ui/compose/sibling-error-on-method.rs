use resilience::{retry, timeout};

struct Client;

impl Client {
    #[timeout(1s)]
    #[retry(atempts = 2)]
    async fn fetch(&self) -> Result<u32, std::io::Error> {
        Ok(1)
    }
}

fn main() {
    let _ = Client.fetch();
}
