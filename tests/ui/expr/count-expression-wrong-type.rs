use resilience::retry;

struct Settings {
    attempts: usize,
}

#[retry(attempts = settings.attempts)]
async fn fetch(settings: &Settings) -> Result<u32, resilience::Error> {
    let _ = settings;
    Ok(1)
}

fn main() {
    let _ = fetch(&Settings { attempts: 3 });
}
