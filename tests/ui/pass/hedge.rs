//! Shapes `#[hedge]` takes: borrowed arguments, `&self`, generics, a percentile with a
//! decimal, an expression delay, under `#[retry]` and over `#[circuit_breaker]`.
use resilience::{circuit_breaker, hedge, retry};
use std::time::Duration;

struct Client {
    base: String,
    delay: Duration,
}

impl Client {
    #[hedge(delay = self.delay, max_hedged = 2)]
    async fn get(&self, path: &str) -> Result<String, std::io::Error> {
        Ok(format!("{}{path}", self.base))
    }

    #[retry(attempts = 2)]
    #[hedge(delay = p99.9, budget = none, name = "client-put")]
    #[circuit_breaker(name = "client")]
    async fn put<T: AsRef<str>>(&self, body: T) -> Result<usize, std::io::Error> {
        Ok(body.as_ref().len() + self.base.len())
    }
}

#[hedge]
async fn pattern((a, b): (u32, u32), _: u8) -> Result<u32, std::io::Error> {
    Ok(a + b)
}

fn nothing(_x: u8, _e: resilience::Error) -> Vec<u8> {
    Vec::new()
}

// A plain return type under a fallback, each run bounded by a timeout.
#[resilience::fallback(nothing)]
#[hedge(delay = 10ms)]
#[resilience::timeout(1s)]
async fn plain(x: u8) -> Vec<u8> {
    vec![x]
}

fn main() {
    let _ = plain(1);
    let c = Client {
        base: "x".into(),
        delay: Duration::from_millis(5),
    };
    let _ = c.get("/");
    let _ = c.put("y");
    let _ = pattern((1, 2), 0);
}
