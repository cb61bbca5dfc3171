use resilience::rate_limit;

#[rate_limit(name = "per_user", rate = 10/1s, key = user, max_keys = 0)]
async fn search(user: &str) -> Result<u32, resilience::Error> {
    Ok(user.len() as u32)
}

fn main() {
    let _ = search("ann");
}
