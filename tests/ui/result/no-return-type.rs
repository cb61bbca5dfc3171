use resilience::timeout;

#[timeout(800ms)]
async fn ping() {}

fn main() {
    let _ = ping();
}
