use resilience::retry;

#[retry(attempts = 3)]
struct Client;

fn main() {
    let _ = Client;
}
