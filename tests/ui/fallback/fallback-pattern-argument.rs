use resilience::{fallback, timeout};

fn zero(_: (u32, u32), _: resilience::Error) -> u32 {
    0
}

#[fallback(zero)]
#[timeout(1s)]
async fn sum((a, b): (u32, u32)) -> u32 {
    a + b
}

fn main() {
    let _ = sum((1, 2));
}
