use resilience::hedge;

#[hedge(delay = 50ms)]
fn fetch() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
