use resilience::hedge;

#[hedge(max_hedged = 0)]
async fn a() -> Result<u32, std::io::Error> {
    Ok(1)
}

#[hedge(max_hedged = 11)]
async fn b() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {}
