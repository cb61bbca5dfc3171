use resilience::hedge;

#[hedge(delay = 50ms, max_hedges = 2, budgte = 5%)]
async fn a() -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {}
