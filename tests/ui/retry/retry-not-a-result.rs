use resilience::retry;

// A lone `#[retry]` retries `Err(..)`: a fallback cannot help, a `Result` can.
#[retry(attempts = 3)]
async fn nickname(user: u32) -> Option<String> {
    Some(format!("user {user}"))
}

fn main() {
    let _ = nickname(1);
}
