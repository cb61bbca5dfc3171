use resilience::hedge;

#[hedge(delay = p101)]
async fn a() -> Result<u32, std::io::Error> {
    Ok(1)
}

#[hedge(delay = p30)]
async fn b() -> Result<u32, std::io::Error> {
    Ok(1)
}

#[hedge(delay = p99.99)]
async fn c() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {}
