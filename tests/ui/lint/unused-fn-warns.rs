// An annotated function that is never called gets rustc's `dead_code` warning, as a plain one
// does (denied here, so the warning is the error this case expects).
#![deny(dead_code)]

use resilience::{retry, timeout};

#[retry(attempts = 2)]
#[timeout(1s)]
async fn never_called() -> std::io::Result<()> {
    Ok(())
}

struct Client;

impl Client {
    #[timeout(1s)]
    async fn never_called_either(&self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let _ = Client;
}
