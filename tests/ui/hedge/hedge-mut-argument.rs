use resilience::hedge;

#[hedge(delay = 50ms)]
async fn fill(buf: &mut Vec<u8>, n: usize) -> Result<usize, std::io::Error> {
    buf.push(1);
    Ok(n)
}

fn main() {}
