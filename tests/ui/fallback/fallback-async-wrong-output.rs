use resilience::{fallback, timeout};

// An `async fn` fallback is awaited, so its output must be the function's return type.
async fn cached(_user: u32, _error: resilience::Error) -> Option<Vec<u32>> {
    None
}

#[fallback(cached)]
#[timeout(1s)]
async fn items(user: u32) -> Vec<u32> {
    vec![user]
}

fn main() {
    let _ = items(1);
}
