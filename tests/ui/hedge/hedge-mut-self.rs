use resilience::hedge;

struct Cache {
    hits: u32,
}

impl Cache {
    #[hedge(delay = 50ms)]
    async fn get(&mut self) -> Result<u32, std::io::Error> {
        self.hits += 1;
        Ok(self.hits)
    }
}

fn main() {}
