use resilience::rate_limit;

#[rate_limit(name = "per_user", rate = 10/1s, key = user_id)]
async fn search(user_id: u64) -> Result<u64, resilience::Error> {
    Ok(user_id)
}

fn main() {
    let _ = search(7);
}
