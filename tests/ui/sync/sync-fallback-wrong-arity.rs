use resilience::{bulkhead, fallback};

fn cached(_user: u32, _e: resilience::Error) -> Vec<u32> {
    Vec::new()
}

#[fallback(cached)]
#[bulkhead(max_concurrent = 2)]
fn items(user: u32, fresh: bool) -> Vec<u32> {
    let _ = fresh;
    vec![user]
}

fn main() {
    let _ = items(1, true);
}
