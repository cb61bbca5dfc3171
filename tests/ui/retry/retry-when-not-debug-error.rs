use resilience::retry;

struct Opaque;

#[retry(attempts = 2)]
async fn fetch() -> Result<u32, Opaque> {
    Err(Opaque)
}

fn main() {
    let _ = fetch();
}
