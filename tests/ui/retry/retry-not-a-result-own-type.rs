use resilience::retry;

// A type of the crate may be an alias of `Result`, so the compiler decides: one error.
struct Nickname(String);

#[retry(attempts = 3)]
async fn nickname() -> Nickname {
    Nickname(String::new())
}

fn main() {
    let _ = nickname();
}
