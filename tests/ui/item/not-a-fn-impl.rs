use resilience::retry;

struct Client;

#[retry(attempts = 3)]
impl Client {
    async fn fetch(&self) -> Result<u32, std::io::Error> {
        Ok(1)
    }
}

fn main() {
    let _ = Client.fetch();
}
