use resilience::timeout;

// A type of the crate may be an alias of `Result`, so the compiler decides: it names the fix.
struct Balance(u64);

#[timeout(800ms)]
async fn balance() -> Balance {
    Balance(1)
}

fn main() {
    let _ = balance();
}
