use resilience::retry;

trait Client {
    #[retry(attempts = 3)]
    async fn fetch(&self) -> Result<u32, std::io::Error>;
}

struct Real;

impl Client for Real {
    async fn fetch(&self) -> Result<u32, std::io::Error> {
        Ok(1)
    }
}

fn main() {
    let _ = Real.fetch();
}
